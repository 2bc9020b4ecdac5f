"""Point filters: exact matches (tolerance 0)."""
import cv2

from _cv import gray


def _thr(value, maxval, mode):
    return lambda img: cv2.threshold(img, value, maxval, mode)[1]


CASES = [
    dict(name="grayscale", pipeline="grayscale", ref=gray, tol=("max", 0)),
    dict(name="invert", pipeline="invert", ref=cv2.bitwise_not, tol=("max", 0)),
    dict(name="enhance_default", pipeline="enhance",
         ref=lambda img: cv2.convertScaleAbs(img, alpha=1.2, beta=10), tol=("max", 0)),
    dict(name="enhance_neg", pipeline="enhance alpha=-0.7 beta=30.5",
         ref=lambda img: cv2.convertScaleAbs(img, alpha=-0.7, beta=30.5), tol=("max", 0)),
    dict(name="enhance_half", pipeline="enhance alpha=0.5 beta=0",
         ref=lambda img: cv2.convertScaleAbs(img, alpha=0.5, beta=0), tol=("max", 0)),
    dict(name="thr_binary", pipeline="threshold value=100",
         ref=_thr(100, 255, cv2.THRESH_BINARY), tol=("max", 0)),
    dict(name="thr_binary_inv", pipeline="threshold value=100.7 mode=binary_inv maxval=200",
         ref=_thr(100.7, 200, cv2.THRESH_BINARY_INV), tol=("max", 0)),
    dict(name="thr_trunc", pipeline="threshold value=128 mode=trunc",
         ref=_thr(128, 255, cv2.THRESH_TRUNC), tol=("max", 0)),
    dict(name="thr_tozero", pipeline="threshold value=90 mode=tozero",
         ref=_thr(90, 255, cv2.THRESH_TOZERO), tol=("max", 0)),
    dict(name="thr_tozero_inv", pipeline="threshold value=90 mode=tozero_inv",
         ref=_thr(90, 255, cv2.THRESH_TOZERO_INV), tol=("max", 0)),
    dict(name="thr_otsu", pipeline="threshold mode=otsu",
         ref=lambda img: cv2.threshold(gray(img), 0, 255,
                                       cv2.THRESH_BINARY | cv2.THRESH_OTSU)[1],
         tol=("max", 0)),
]
