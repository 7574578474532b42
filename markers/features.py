"""ORB features at a fixed working size, and marker search by matching plus a RANSAC homography."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from markers.images import GrayImage

WORK_SIDE = 640  # longest side features are computed at, so scores do not depend on file resolution
ORB_FEATURES = 1500
# A photo holds the QR code and text too, whose strong corners would crowd out the artwork's.
PHOTO_FEATURES = 8000
ORB_EDGE = 31  # OpenCV's default edgeThreshold: ORB keeps no keypoint nearer an edge than this


@dataclass(frozen=True)
class Features:
    points: npt.NDArray[np.float32]  # (n, 2) in working-size pixels
    descriptors: npt.NDArray[np.uint8] | None
    size: tuple[int, int]  # working (width, height)


def resize_to(gray: GrayImage, side: int) -> GrayImage:
    height, width = gray.shape
    scale = side / max(height, width)
    if scale >= 1.0:
        return gray
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(cv2.resize(gray, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def detect(gray: GrayImage, side: int = WORK_SIDE, limit: int = ORB_FEATURES) -> Features:
    work = resize_to(gray, side)
    if min(work.shape) <= 2 * ORB_EDGE:
        # No pixel is far enough from both edges for ORB to keep, and on a strip 1 px wide (what an
        # extreme aspect ratio becomes at working size) its pyramid rounds a side to 0 and fails.
        return Features(np.empty((0, 2), dtype=np.float32), None, (work.shape[1], work.shape[0]))
    orb = cv2.ORB.create(nfeatures=limit, edgeThreshold=ORB_EDGE)
    keypoints, raw = orb.detectAndCompute(work, None)
    points = np.array([k.pt for k in keypoints], dtype=np.float32).reshape(-1, 2)
    descriptors = None if raw is None else np.asarray(raw, dtype=np.uint8)
    return Features(points=points, descriptors=descriptors, size=(work.shape[1], work.shape[0]))


@dataclass(frozen=True)
class MarkerMatch:
    found: bool
    matches: int
    inliers: int


MIN_INLIERS = 15
RATIO = 0.8  # Lowe's ratio test (Lowe 2004, §7.1)


def find_marker(reference: Features, photo_gray: GrayImage) -> MarkerMatch:
    """Whether ``reference`` appears in the photo: ratio-tested matches, then a RANSAC homography."""
    photo = detect(photo_gray, side=max(photo_gray.shape), limit=PHOTO_FEATURES)
    if reference.descriptors is None or photo.descriptors is None or len(photo.points) < 4:
        return MarkerMatch(found=False, matches=0, inliers=0)
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(reference.descriptors, photo.descriptors, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < RATIO * p[1].distance]
    if len(good) < MIN_INLIERS:
        return MarkerMatch(found=False, matches=len(good), inliers=0)
    source = reference.points[[m.queryIdx for m in good]]
    target = photo.points[[m.trainIdx for m in good]]
    cv2.setRNGSeed(0)
    homography, mask = cv2.findHomography(source, target, cv2.RANSAC, 5.0)
    if homography is None or mask is None:
        return MarkerMatch(found=False, matches=len(good), inliers=0)
    inliers = int(mask.sum())
    # A mirrored or collapsed quad is a false match even with many inliers.
    det = float(np.linalg.det(homography[:2, :2]))
    return MarkerMatch(found=inliers >= MIN_INLIERS and det > 1e-4, matches=len(good), inliers=inliers)
