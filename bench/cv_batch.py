#!/usr/bin/python3
"""OpenCV peer of workload 2: a folder of JPEGs on a process pool.

    cv_batch.py PIPE JOBS QUALITY IN_DIR OUT_DIR

PIPE is a (decode + encode), b (GaussianBlur 5x5) or c (gray, GaussianBlur
sigma 1.4, Canny 50/150). One worker process per job slot, each with
cv2.setNumThreads(1): imread -> operation -> imwrite JPEG at QUALITY with
4:2:0 chroma (OpenCV's default sampling factor, as pixpipe's). Largest files
go first, as in `pixpipe batch`. Outputs mirror the relative paths under
OUT_DIR. Prints "images=N failed=N"; exit status 65 when any image failed.
"""
import multiprocessing as mp
import os
import sys

import cv2


def init():
    cv2.setNumThreads(1)


def work(args):
    pipe, quality, src, dst = args
    img = cv2.imread(src, cv2.IMREAD_COLOR)
    if img is None:
        return src + ": cannot decode"
    if pipe == "b":
        img = cv2.GaussianBlur(img, (5, 5), 0)
    elif pipe == "c":
        g = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
        g = cv2.GaussianBlur(g, (0, 0), 1.4)
        img = cv2.Canny(g, 50, 150)
    params = [cv2.IMWRITE_JPEG_QUALITY, quality]
    if hasattr(cv2, "IMWRITE_JPEG_SAMPLING_FACTOR"):
        params += [cv2.IMWRITE_JPEG_SAMPLING_FACTOR, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_420]
    if not cv2.imwrite(dst, img, params):
        return dst + ": cannot write"
    return None


def main():
    if len(sys.argv) != 6 or sys.argv[1] not in ("a", "b", "c"):
        sys.exit(__doc__)
    pipe, jobs, quality, ind, outd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
        sys.argv[4], sys.argv[5]
    tasks = []
    for root, _, files in os.walk(ind):
        for f in files:
            if f.lower().endswith((".jpg", ".jpeg")):
                src = os.path.join(root, f)
                dst = os.path.join(outd, os.path.relpath(src, ind))
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                tasks.append((os.path.getsize(src), (pipe, quality, src, dst)))
    tasks.sort(key=lambda t: -t[0])
    failed = 0
    with mp.Pool(jobs, initializer=init) as pool:
        for err in pool.imap_unordered(work, [t[1] for t in tasks], chunksize=1):
            if err:
                failed += 1
                print("cv_batch: " + err, file=sys.stderr)
    print("images=%d failed=%d" % (len(tasks) - failed, failed))
    sys.exit(65 if failed else 0)


if __name__ == "__main__":
    main()
