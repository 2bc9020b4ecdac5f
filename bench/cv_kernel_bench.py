#!/usr/bin/python3
"""Single-thread OpenCV timing of one expression on a decoded image.

    cv_kernel_bench.py IMAGE 'cv2.GaussianBlur(img, (5, 5), 0)' [REPS [OUT]]

`img` is the image in RGB (or gray) order as a numpy array, decoded before
timing. Prints best_ms, median_ms, mpx_per_s and best_cpu_ms (process CPU
time) like kernel_bench. OUT (optional) receives the last result through
cv2.imwrite (RGB results are written in the file's usual channel order, so a
PPM from here and one from kernel_bench compare byte for byte).
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
res = None
cpus = []
for _ in range(reps):
    c0 = time.process_time()
    t0 = time.perf_counter()
    res = eval(expr)
    times.append(time.perf_counter() - t0)
    cpus.append(time.process_time() - c0)
if len(sys.argv) > 4:
    if res.ndim == 3 and res.shape[2] == 3:
        res = cv2.cvtColor(res, cv2.COLOR_RGB2BGR)
    if not cv2.imwrite(sys.argv[4], res):
        sys.exit("cannot write " + sys.argv[4])
times.sort()
mpx = img.shape[0] * img.shape[1] / 1e6
print("best_ms=%.3f median_ms=%.3f mpx_per_s=%.1f best_cpu_ms=%.3f"
      % (times[0] * 1e3, times[len(times) // 2] * 1e3, mpx / times[0], min(cpus) * 1e3))
