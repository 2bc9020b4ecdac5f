"""Morphology: exact matches with cv::erode/dilate/morphologyEx (tolerance 0).

OpenCV's defaults throughout: getStructuringElement(shape, (size, size)) with
the centre anchor, BORDER_CONSTANT with morphologyDefaultBorderValue()."""
import cv2

_SHAPES = {"rect": cv2.MORPH_RECT, "cross": cv2.MORPH_CROSS, "ellipse": cv2.MORPH_ELLIPSE}
_OPS = {"open": cv2.MORPH_OPEN, "close": cv2.MORPH_CLOSE, "gradient": cv2.MORPH_GRADIENT,
        "tophat": cv2.MORPH_TOPHAT, "blackhat": cv2.MORPH_BLACKHAT}
_SMALL = ["g61x47", "c61x47", "g13x9", "c4x3"]
# the colour photo crop only for each filter's default case: it is the
# largest reference
_NO_PHOTO = _SMALL + ["camera96x80"]


def _ref(op, shape, size, it):
    kernel = cv2.getStructuringElement(_SHAPES[shape], (size, size))
    if op == "erode":
        return lambda img: cv2.erode(img, kernel, iterations=it)
    if op == "dilate":
        return lambda img: cv2.dilate(img, kernel, iterations=it)
    return lambda img: cv2.morphologyEx(img, _OPS[op], kernel, iterations=it)


def _case(op, shape="rect", size=3, it=1, inputs=None, samples=True):
    params = []
    if shape != "rect":
        params.append("shape=" + shape)
    if size != 3:
        params.append("size=%d" % size)
    if it != 1:
        params.append("iterations=%d" % it)
    case = dict(name="%s_%s%d_i%d" % (op, shape, size, it),
                pipeline=" ".join([op] + params), ref=_ref(op, shape, size, it),
                tol=("max", 0))
    if inputs is None and (shape, size, it) != ("rect", 3, 1):
        inputs = _NO_PHOTO
    if inputs:
        case["inputs"] = inputs
    if not samples:  # OpenCV's large ellipses are too slow on the photo samples
        case["samples"] = False
    return case


CASES = [
    _case("erode"),
    _case("erode", size=5),
    _case("erode", size=15),
    _case("erode", size=3, it=3),
    _case("erode", size=9, it=4),
    _case("erode", "cross", 5, 2),
    _case("erode", "ellipse", 7),
    _case("erode", "ellipse", 15, 2),
    _case("erode", size=1),
    _case("erode", "ellipse", 255, inputs=_SMALL, samples=False),
    _case("dilate"),
    _case("dilate", "cross", 3),
    _case("dilate", "ellipse", 11),
    _case("dilate", size=7, it=2),
    _case("dilate", "ellipse", 5, 3),
    _case("dilate", size=255, it=3, inputs=_SMALL, samples=False),
    _case("open"),
    _case("open", "ellipse", 5),
    _case("open", "cross", 3, 2),
    _case("open", size=5, it=2),
    _case("close"),
    _case("close", "ellipse", 7),
    _case("close", "cross", 5, 2),
    _case("close", size=11),
    _case("gradient"),
    _case("gradient", "ellipse", 5),
    _case("gradient", "cross", 3, 3),
    _case("gradient", size=5, it=2),
    _case("gradient", size=1),
    _case("tophat"),
    _case("tophat", "ellipse", 9),
    _case("tophat", "cross", 5, 2),
    _case("tophat", size=3, it=2),
    _case("tophat", "ellipse", 31, 2, inputs=_SMALL, samples=False),
    _case("blackhat"),
    _case("blackhat", "ellipse", 7),
    _case("blackhat", "cross", 3, 3),
    _case("blackhat", size=15),
]
