"""Geometry filters: rotate, flip, resize, crop.

Moves (rotations by multiples of 90, flips, crops) and the integer paths of
resize (linear, area with integer factors) are exact. Paths that go through
libm (sin/cos of the rotation, Lanczos weights) or float sums (cubic, area
with other factors) are exact here too but allowed 1 for other libms, the
tolerance docs/filters.md (geometry) promises.
"""
import math

import cv2

SMALL_OK = ["g61x47", "c61x47", "chelsea96x80", "camera96x80"]


def _rotate(angle, expand=False, background=0):
    def ref(img):
        turn = angle % 360
        if turn == 0:
            return img
        if turn in (90, 180, 270):
            code = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180,
                    270: cv2.ROTATE_90_COUNTERCLOCKWISE}[turn]
            return cv2.rotate(img, code)
        h, w = img.shape[:2]
        m = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), -angle, 1.0)
        ow, oh = w, h
        if expand:  # the bounding box, as docs/filters.md (geometry) defines it
            ow = int(math.ceil(w * abs(m[0, 0]) + h * abs(m[0, 1]) - 1e-6))
            oh = int(math.ceil(w * abs(m[0, 1]) + h * abs(m[0, 0]) - 1e-6))
            m[0, 2] += (ow - w) / 2
            m[1, 2] += (oh - h) / 2
        return cv2.warpAffine(img, m, (ow, oh), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT,
                              borderValue=(background,) * 3)
    return ref


def _round(v):
    """pixpipe's rounding of derived sizes: half away from zero."""
    return int(math.floor(v + 0.5))


INTERP = {"area": cv2.INTER_AREA, "linear": cv2.INTER_LINEAR,
          "cubic": cv2.INTER_CUBIC, "lanczos": cv2.INTER_LANCZOS4}


def _resize(interp, width=0, height=0, scale=0.0):
    def ref(img):
        h, w = img.shape[:2]
        ow, oh = width, height
        if not ow and not oh:
            ow, oh = _round(w * scale), _round(h * scale)
        elif not ow:
            ow = _round(w * oh / h)
        elif not oh:
            oh = _round(h * ow / w)
        if (ow, oh) == (w, h):
            return img
        return cv2.resize(img, (ow, oh), interpolation=INTERP[interp])
    return ref


def _crop(x, y, w, h):
    def ref(img):
        ih, iw = img.shape[:2]
        return img[y:y + (h or ih - y), x:x + (w or iw - x)]
    return ref


def _chain(*fns):
    def ref(img):
        for f in fns:
            img = f(img)
        return img
    return ref


EXACT, LIBM = ("max", 0), ("max", 1)

CASES = [
    # rotate: multiples of 90 are moves, other angles bilinear warps
    dict(name="rot90", pipeline="rotate", ref=_rotate(90), tol=EXACT),
    dict(name="rot180", pipeline="rotate angle=180", ref=_rotate(180), tol=EXACT),
    dict(name="rot270", pipeline="rotate angle=270", ref=_rotate(270), tol=EXACT),
    dict(name="rot_m90", pipeline="rotate angle=-90", ref=_rotate(-90), tol=EXACT),
    dict(name="rot360", pipeline="rotate angle=360", ref=_rotate(360), tol=EXACT),
    dict(name="rot30", pipeline="rotate angle=30", ref=_rotate(30), tol=LIBM),
    dict(name="rot30_expand", pipeline="rotate angle=30 expand=true background=255",
         ref=_rotate(30, True, 255), tol=LIBM),
    dict(name="rot_m17", pipeline="rotate angle=-17.5 background=128",
         ref=_rotate(-17.5, False, 128), tol=LIBM),
    dict(name="rot135_expand", pipeline="rotate angle=135 expand=true",
         ref=_rotate(135, True), tol=LIBM),
    dict(name="rot_tiny", pipeline="rotate angle=0.25 background=40",
         ref=_rotate(0.25, False, 40), tol=LIBM),
    dict(name="rot_m300_expand", pipeline="rotate angle=-300.75 expand=true background=9",
         ref=_rotate(-300.75, True, 9), tol=LIBM),
    # flip
    dict(name="flip_h", pipeline="flip", ref=lambda img: cv2.flip(img, 1), tol=EXACT),
    dict(name="flip_v", pipeline="flip axis=v", ref=lambda img: cv2.flip(img, 0), tol=EXACT),
    dict(name="flip_both", pipeline="flip axis=both", ref=lambda img: cv2.flip(img, -1),
         tol=EXACT),
    # resize: every interpolation down and up, integer and other factors
    dict(name="area_half", pipeline="resize scale=0.5", ref=_resize("area", scale=0.5),
         tol=LIBM),
    dict(name="area_third", pipeline="resize scale=0.33 interp=area",
         ref=_resize("area", scale=0.33), tol=LIBM),
    dict(name="area_int", pipeline="resize width=32 height=40",
         ref=_resize("area", 32, 40), tol=LIBM, inputs=["chelsea96x80", "camera96x80"]),
    dict(name="area_up", pipeline="resize scale=1.6 interp=area",
         ref=_resize("area", scale=1.6), tol=EXACT),
    dict(name="area_mixed", pipeline="resize width=100 height=20 interp=area",
         ref=_resize("area", 100, 20), tol=EXACT),
    dict(name="linear_down", pipeline="resize scale=0.6 interp=linear",
         ref=_resize("linear", scale=0.6), tol=EXACT),
    dict(name="linear_half", pipeline="resize scale=0.5 interp=linear",
         ref=_resize("linear", scale=0.5), tol=EXACT),
    dict(name="linear_up", pipeline="resize width=110 interp=linear",
         ref=_resize("linear", 110, 0), tol=EXACT),
    dict(name="cubic_down", pipeline="resize scale=0.45 interp=cubic",
         ref=_resize("cubic", scale=0.45), tol=LIBM),
    dict(name="cubic_up", pipeline="resize width=77 height=101 interp=cubic",
         ref=_resize("cubic", 77, 101), tol=LIBM),
    dict(name="cubic_height", pipeline="resize height=30 interp=cubic",
         ref=_resize("cubic", 0, 30), tol=LIBM),
    dict(name="lanczos_down", pipeline="resize scale=0.3 interp=lanczos",
         ref=_resize("lanczos", scale=0.3), tol=LIBM),
    dict(name="lanczos_up", pipeline="resize scale=1.3 interp=lanczos",
         ref=_resize("lanczos", scale=1.3), tol=LIBM),
    # crop
    dict(name="crop_corner", pipeline="crop x=1 y=1 w=2 h=1", ref=_crop(1, 1, 2, 1),
         tol=EXACT),
    dict(name="crop_to_edges", pipeline="crop x=2 y=1", ref=_crop(2, 1, 0, 0), tol=EXACT),
    dict(name="crop_mid", pipeline="crop x=10 y=5 w=30 h=20", ref=_crop(10, 5, 30, 20),
         tol=EXACT, inputs=SMALL_OK),
    # chains: streaming stages around barriers
    dict(name="chain_moves", pipeline="crop x=1 y=1 | rotate angle=90 | flip axis=v | flip",
         ref=_chain(_crop(1, 1, 0, 0), _rotate(90), lambda img: cv2.flip(img, 0),
                    lambda img: cv2.flip(img, 1)), tol=EXACT),
    dict(name="chain_resample",
         pipeline="resize scale=1.5 interp=linear | rotate angle=20 | resize scale=0.5",
         ref=_chain(_resize("linear", scale=1.5), _rotate(20), _resize("area", scale=0.5)),
         tol=LIBM),
]
