"""Histogram filters: exact matches."""
import cv2


def _equalize(img):
    if img.ndim == 2:
        return cv2.equalizeHist(img)
    ycc = cv2.cvtColor(img, cv2.COLOR_RGB2YCrCb)
    ycc[:, :, 0] = cv2.equalizeHist(ycc[:, :, 0])
    return cv2.cvtColor(ycc, cv2.COLOR_YCrCb2RGB)


CASES = [
    dict(name="equalize", pipeline="equalize", ref=_equalize, tol=("max", 0)),
    # one luma value: Y stays, but the colour still takes the YCrCb round trip
    dict(name="equalize_solid", pipeline="equalize", ref=_equalize, tol=("max", 0),
         inputs=["red9x7"], samples=False),
]
