"""Convolution filters: gaussian, box, convolve, sharpen, unsharp.

gaussian, box and sharpen are bit-exact with OpenCV (tolerance 0). convolve
sums in float like cv::filter2D, but OpenCV fuses multiply-adds and switches
to a DFT from 130 taps, so kernels with fractional values may land on the
other side of .5 (tolerance 1); integer kernels are exact. unsharp has no
OpenCV call: its reference is the formula in numpy on top of
cv2.GaussianBlur (tolerance 1, see _unsharp).
"""
import cv2
import numpy as np


def _gauss(ksize, sigma):
    return lambda img: cv2.GaussianBlur(img, (ksize, ksize), sigma)


def _blur(ksize):
    return lambda img: cv2.blur(img, (ksize, ksize))


def _filter(kernel, normalize=False):
    k = np.array(kernel, dtype=np.float64)
    side = int(round(len(kernel) ** 0.5))
    k = k.reshape(side, side)
    if normalize and abs(k.sum()) > 1e-9 * np.abs(k).sum():
        k = k / k.sum()
    return lambda img: cv2.filter2D(img, -1, k)


def _unsharp(sigma, amount, threshold):
    """src + amount*(src - blur) where |src - blur| > threshold, in double,
    rounded half to even and saturated. pixpipe's blur is GaussianBlur
    bit for bit and it evaluates the same double expression (through a
    table), so the expected difference is 0; the tolerance of 1 leaves room
    for a rounding tie decided differently, never more."""
    def ref(img):
        s = img.astype(np.float64)
        b = cv2.GaussianBlur(img, (0, 0), sigma).astype(np.float64)
        d = s - b
        out = np.where(np.abs(d) > threshold, s + amount * d, s)
        return np.clip(np.rint(out), 0, 255).astype(np.uint8)
    return ref


def _klist(values):
    return ",".join("%g" % v for v in values)


_rng = np.random.default_rng(7)
K5_FRAC = np.round(_rng.uniform(-1, 1, 25), 3).tolist()
K5_INT = _rng.integers(-3, 4, 25).tolist()
K7_POS = np.round(_rng.uniform(0, 1, 49), 2).tolist()
K11_FRAC = np.round(_rng.uniform(-0.5, 1, 121), 2).tolist()
K13_POS = _rng.integers(0, 10, 169).tolist()
SHARPEN = [0, -1, 0, -1, 5, -1, 0, -1, 0]
EMBOSS = [-2, -1, 0, -1, 1, 1, 0, 1, 2]
BINOMIAL = [1, 2, 1, 2, 4, 2, 1, 2, 1]
LAPLACE8 = [-1, -1, -1, -1, 8, -1, -1, -1, -1]
DYADIC_SIGNED = [-0.25, 0, 0.25, -0.5, 1, 0.5, -0.25, 0, 0.25]
SOFT_SHARPEN = [-1, 2, -1, 2, 4, 2, -1, 2, -1]
BINOMIAL5 = [a * b for a in (1, 4, 6, 4, 1) for b in (1, 4, 6, 4, 1)]
LARGE_INT = [-40, 0, 40, -80, 300, 80, -40, 0, 40]
EXACT = ("max", 0)

CASES = [
    # gaussian: fixed binomial tables (ksize <= 9, sigma 0), sigma from
    # ksize, ksize from sigma, both given, and kernels wider than the image
    dict(name="gauss_k1", pipeline="gaussian ksize=1", ref=_gauss(1, 0), tol=EXACT),
    dict(name="gauss_k3", pipeline="gaussian ksize=3", ref=_gauss(3, 0), tol=EXACT),
    dict(name="gauss_k5", pipeline="gaussian ksize=5", ref=_gauss(5, 0), tol=EXACT),
    dict(name="gauss_k7", pipeline="gaussian ksize=7", ref=_gauss(7, 0), tol=EXACT),
    dict(name="gauss_k9", pipeline="gaussian ksize=9", ref=_gauss(9, 0), tol=EXACT),
    dict(name="gauss_k13", pipeline="gaussian ksize=13", ref=_gauss(13, 0), tol=EXACT),
    dict(name="gauss_default", pipeline="gaussian", ref=_gauss(0, 1), tol=EXACT),
    dict(name="gauss_s0.6", pipeline="gaussian sigma=0.6", ref=_gauss(0, 0.6), tol=EXACT),
    dict(name="gauss_s1.4", pipeline="gaussian sigma=1.4", ref=_gauss(0, 1.4), tol=EXACT),
    dict(name="gauss_s3", pipeline="gaussian sigma=3", ref=_gauss(0, 3), tol=EXACT),
    dict(name="gauss_s8.5", pipeline="gaussian sigma=8.5", ref=_gauss(0, 8.5), tol=EXACT),
    dict(name="gauss_s0.8_k5", pipeline="gaussian sigma=0.8 ksize=5", ref=_gauss(5, 0.8),
         tol=EXACT),
    dict(name="gauss_s2.5_k7", pipeline="gaussian sigma=2.5 ksize=7", ref=_gauss(7, 2.5),
         tol=EXACT),
    dict(name="gauss_s5_k31", pipeline="gaussian sigma=5 ksize=31", ref=_gauss(31, 5),
         tol=EXACT),
    # box: the integer quotient up to 15x15, the float one above; direct
    # and running horizontal sums
    dict(name="box_default", pipeline="box", ref=_blur(3), tol=EXACT),
    dict(name="box_k1", pipeline="box ksize=1", ref=_blur(1), tol=EXACT),
    dict(name="box_k5", pipeline="box ksize=5", ref=_blur(5), tol=EXACT),
    dict(name="box_k7", pipeline="box ksize=7", ref=_blur(7), tol=EXACT),
    dict(name="box_k9", pipeline="box ksize=9", ref=_blur(9), tol=EXACT),
    dict(name="box_k15", pipeline="box ksize=15", ref=_blur(15), tol=EXACT),
    dict(name="box_k17", pipeline="box ksize=17", ref=_blur(17), tol=EXACT),
    dict(name="box_k41", pipeline="box ksize=41", ref=_blur(41), tol=EXACT),
    # convolve: integer kernels are exact; fractional ones within 1
    dict(name="conv_1x1", pipeline="convolve kernel=2", ref=_filter([2]), tol=EXACT),
    dict(name="conv_sharpen", pipeline="convolve kernel=" + _klist(SHARPEN),
         ref=_filter(SHARPEN), tol=EXACT),
    dict(name="conv_emboss", pipeline="convolve kernel=" + _klist(EMBOSS),
         ref=_filter(EMBOSS), tol=EXACT),
    dict(name="conv_binomial", pipeline="convolve kernel=" + _klist(BINOMIAL) + " normalize=true",
         ref=_filter(BINOMIAL, True), tol=EXACT),
    dict(name="conv_laplace_norm", pipeline="convolve kernel=" + _klist(LAPLACE8) +
         " normalize=true", ref=_filter(LAPLACE8, True), tol=EXACT),
    dict(name="conv_5x5_int", pipeline="convolve kernel=" + _klist(K5_INT),
         ref=_filter(K5_INT), tol=EXACT),
    # dyadic kernels (k / 2^n) take the 16-bit path with exact half-even
    # rounding; large integers the float path (exact too)
    dict(name="conv_dyadic_signed", pipeline="convolve kernel=" + _klist(DYADIC_SIGNED),
         ref=_filter(DYADIC_SIGNED), tol=EXACT),
    dict(name="conv_soft_sharpen", pipeline="convolve kernel=" + _klist(SOFT_SHARPEN) +
         " normalize=true", ref=_filter(SOFT_SHARPEN, True), tol=EXACT),
    dict(name="conv_binomial5", pipeline="convolve kernel=" + _klist(BINOMIAL5) +
         " normalize=true", ref=_filter(BINOMIAL5, True), tol=EXACT),
    dict(name="conv_large_int", pipeline="convolve kernel=" + _klist(LARGE_INT),
         ref=_filter(LARGE_INT), tol=EXACT),
    dict(name="conv_5x5_frac", pipeline="convolve kernel=" + _klist(K5_FRAC),
         ref=_filter(K5_FRAC), tol=("max", 1)),
    dict(name="conv_7x7_norm", pipeline="convolve kernel=" + _klist(K7_POS) + " normalize=true",
         ref=_filter(K7_POS, True), tol=("max", 1)),
    dict(name="conv_11x11_frac", pipeline="convolve kernel=" + _klist(K11_FRAC),
         ref=_filter(K11_FRAC), tol=("max", 1)),
    dict(name="conv_13x13_dft", pipeline="convolve kernel=" + _klist(K13_POS) + " normalize=true",
         ref=_filter(K13_POS, True), tol=("max", 1)),
    # sharpen
    dict(name="sharpen", pipeline="sharpen", ref=_filter(SHARPEN), tol=EXACT),
    # unsharp
    dict(name="unsharp_default", pipeline="unsharp", ref=_unsharp(1, 1, 0), tol=("max", 1)),
    dict(name="unsharp_s2_a1.5", pipeline="unsharp sigma=2 amount=1.5",
         ref=_unsharp(2, 1.5, 0), tol=("max", 1)),
    dict(name="unsharp_s1.5_a0.7_t10", pipeline="unsharp sigma=1.5 amount=0.7 threshold=10",
         ref=_unsharp(1.5, 0.7, 10), tol=("max", 1)),
    dict(name="unsharp_s0.5_a3_t3", pipeline="unsharp sigma=0.5 amount=3 threshold=3",
         ref=_unsharp(0.5, 3, 3), tol=("max", 1)),
]
