"""Rank filters: exact matches with cv::medianBlur (tolerance 0).

3 and 5 use pixpipe's selection networks, 7 and up its histogram method;
the larger sizes also cover windows wider than the small inputs."""
import cv2


def _median(k):
    return lambda img: cv2.medianBlur(img, k)


CASES = [
    dict(name="median_default", pipeline="median", ref=_median(3), tol=("max", 0)),
    dict(name="median5", pipeline="median ksize=5", ref=_median(5), tol=("max", 0)),
    dict(name="median7", pipeline="median ksize=7", ref=_median(7), tol=("max", 0)),
    dict(name="median9", pipeline="median ksize=9", ref=_median(9), tol=("max", 0)),
    dict(name="median15", pipeline="median ksize=15", ref=_median(15), tol=("max", 0)),
    dict(name="median31", pipeline="median ksize=31", ref=_median(31), tol=("max", 0)),
    # windows wider than the inputs; too slow for the photo samples
    dict(name="median101", pipeline="median ksize=101", ref=_median(101), tol=("max", 0),
         inputs=["g61x47", "c61x47", "g13x9", "c4x3"], samples=False),
    dict(name="median255", pipeline="median ksize=255", ref=_median(255), tol=("max", 0),
         inputs=["g13x9", "c4x3", "camera96x80"], samples=False),
]
