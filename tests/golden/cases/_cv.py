"""Helpers shared by the case files: colour handling like pixpipe's."""
import cv2
import numpy as np


def gray(img):
    """pixpipe's grayscale: cvtColor RGB2GRAY for colour, identity for gray."""
    return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY) if img.ndim == 3 else img
