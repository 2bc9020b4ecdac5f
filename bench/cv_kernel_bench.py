#!/usr/bin/python3
"""Single-thread OpenCV timing of one expression on a decoded image.

    cv_kernel_bench.py IMAGE 'cv2.GaussianBlur(img, (5, 5), 0)' [REPS]

`img` is the image in RGB (or gray) order as a numpy array, decoded before
timing. Prints best_ms, median_ms and mpx_per_s like kernel_bench.
"""
import sys
import time

import cv2
import numpy as np  # noqa: F401  (available to expressions)

cv2.setNumThreads(1)
img = cv2.imread(sys.argv[1], cv2.IMREAD_UNCHANGED)
if img.ndim == 3 and img.shape[2] == 3:
    img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
expr = compile(sys.argv[2], "expr", "eval")
reps = int(sys.argv[3]) if len(sys.argv) > 3 else 5
times = []
for _ in range(reps):
    t0 = time.perf_counter()
    eval(expr)
    times.append(time.perf_counter() - t0)
times.sort()
mpx = img.shape[0] * img.shape[1] / 1e6
print("best_ms=%.3f median_ms=%.3f mpx_per_s=%.1f" % (times[0] * 1e3, times[len(times) // 2] * 1e3,
                                                      mpx / times[0]))
