"""Edge filters: sobel (abs exact, magnitude within 1) and canny (exact).

sobel works per channel like cv::Sobel on a colour image; canny runs on
pixpipe's grayscale of the input (cv2.Canny on a colour image would take the
strongest channel's gradient instead).
"""
import cv2

from _cv import gray


def _sobel(dx, dy, ksize, scale=1.0):
    return lambda img: cv2.convertScaleAbs(cv2.Sobel(img, cv2.CV_16S, dx, dy, ksize=ksize),
                                           alpha=scale)


def _magnitude(ksize, scale=1.0):
    def ref(img):
        gx = cv2.Sobel(img, cv2.CV_32F, 1, 0, ksize=ksize)
        gy = cv2.Sobel(img, cv2.CV_32F, 0, 1, ksize=ksize)
        return cv2.convertScaleAbs(cv2.magnitude(gx, gy), alpha=scale)
    return ref


def _canny(low, high, aperture=3, l2=False):
    return lambda img: cv2.Canny(gray(img), low, high, apertureSize=aperture, L2gradient=l2)


def _sobel_case(name, pipeline, dx, dy, ksize, scale=1.0):
    return dict(name=name, pipeline=pipeline, ref=_sobel(dx, dy, ksize, scale), tol=("max", 0))


def _blurred_canny(low, high, aperture=3, l2=False):
    return lambda img: cv2.Canny(cv2.GaussianBlur(gray(img), (0, 0), 1.4), low, high,
                                 apertureSize=aperture, L2gradient=l2)


def _canny_case(name, pipeline, low, high, aperture=3, l2=False):
    return dict(name=name, pipeline=pipeline, ref=_canny(low, high, aperture, l2),
                tol=("max", 0))


CASES = [
    _sobel_case("sobel_default", "sobel", 1, 0, 3),
    _sobel_case("sobel_dy", "sobel dx=0 dy=1", 0, 1, 3),
    _sobel_case("sobel_dxdy_k5", "sobel dx=1 dy=1 ksize=5", 1, 1, 5),
    _sobel_case("sobel_dx2_k7_scale", "sobel dx=2 dy=0 ksize=7 scale=0.25", 2, 0, 7, 0.25),
    _sobel_case("sobel_dx2dy1_k5", "sobel dx=2 dy=1 ksize=5 scale=0.1", 2, 1, 5, 0.1),
    _sobel_case("sobel_k1_dx", "sobel ksize=1", 1, 0, 1),
    _sobel_case("sobel_k1_dy2", "sobel dx=0 dy=2 ksize=1 scale=0.5", 0, 2, 1, 0.5),
    _sobel_case("sobel_k1_dxdy", "sobel dx=1 dy=1 ksize=1 scale=3", 1, 1, 1, 3.0),
    _sobel_case("sobel_k7_saturate", "sobel dx=1 dy=1 ksize=7 scale=0.01", 1, 1, 7, 0.01),
    _sobel_case("sobel_k7_dy2", "sobel dx=0 dy=2 ksize=7", 0, 2, 7),
    _sobel_case("sobel_k3_dx2dy2", "sobel dx=2 dy=2 scale=1.7", 2, 2, 3, 1.7),
    dict(name="sobel_mag_k3", pipeline="sobel mode=magnitude", ref=_magnitude(3),
         tol=("max", 1)),
    dict(name="sobel_mag_k1", pipeline="sobel mode=magnitude ksize=1 scale=2",
         ref=_magnitude(1, 2.0), tol=("max", 1)),
    dict(name="sobel_mag_k5", pipeline="sobel mode=magnitude ksize=5 scale=0.3",
         ref=_magnitude(5, 0.3), tol=("max", 1)),
    dict(name="sobel_mag_k7", pipeline="sobel mode=magnitude ksize=7 scale=0.01 dx=2",
         ref=_magnitude(7, 0.01), tol=("max", 1)),
    _canny_case("canny_default", "canny", 50, 150),
    _canny_case("canny_low", "canny low=20 high=60", 20, 60),
    _canny_case("canny_swapped", "canny low=180 high=90", 180, 90),
    _canny_case("canny_frac", "canny low=35.7 high=99.9", 35.7, 99.9),
    _canny_case("canny_zero", "canny low=0 high=0", 0, 0),
    _canny_case("canny_l2", "canny low=40 high=120 l2=true", 40, 120, 3, True),
    _canny_case("canny_l2_frac", "canny low=12.5 high=55.25 l2=true", 12.5, 55.25, 3, True),
    _canny_case("canny_ap5", "canny low=200 high=600 aperture=5", 200, 600, 5),
    _canny_case("canny_ap5_l2", "canny low=150 high=450 aperture=5 l2=true", 150, 450, 5, True),
    _canny_case("canny_ap7", "canny low=800 high=2400 aperture=7", 800, 2400, 7),
    _canny_case("canny_ap7_l2", "canny low=500 high=1500 aperture=7 l2=true", 500, 1500, 7,
                True),
    _canny_case("canny_ap7_low", "canny low=100 high=300 aperture=7", 100, 300, 7),
    # after the same Gaussian: depends on the gaussian filter being exact too.
    # grayscale first, so colour inputs blur the same gray image as the reference
    dict(name="gauss_canny", pipeline="grayscale | gaussian sigma=1.4 | canny",
         ref=_blurred_canny(50, 150), tol=("agree", 99.5)),
    dict(name="gauss_canny_l2_ap5",
         pipeline="grayscale | gaussian sigma=1.4 | canny low=60 high=240 l2=true aperture=5",
         ref=_blurred_canny(60, 240, 5, True), tol=("agree", 99.5)),
]
