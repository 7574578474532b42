"""The `.mind` file: MindAR's msgpack image-target format (version 2), read and written.

Layout from hiukim/mind-ar-js `compiler-base.js` (MIT). Like its JavaScript encoder, whole numbers are
written as msgpack integers and all other numbers as float64; grey images are msgpack `bin`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgpack
import numpy as np

from hue_errors import InvalidInput
from markers.mind.cluster import ClusterNode
from markers.mind.detect import Keypoints
from markers.mind.freak import DESCRIPTOR_WORDS
from markers.mind.tracking import TrackingPoint

MIND_VERSION = 2


@dataclass(frozen=True)
class TrackingLevel:
    """A grey copy of the target at one scale and the points the tracker follows in it."""

    data: bytes
    scale: float
    width: int
    height: int
    points: list[TrackingPoint]


@dataclass(frozen=True)
class Keyframe:
    """Keypoints of the target resized by `scale`, split by extremum type, each with its search tree."""

    maxima: Keypoints
    minima: Keypoints
    maxima_tree: ClusterNode
    minima_tree: ClusterNode
    width: int
    height: int
    scale: float


@dataclass(frozen=True)
class MindTarget:
    width: int
    height: int
    tracking: list[TrackingLevel]
    matching: list[Keyframe]


@dataclass(frozen=True)
class MindFile:
    version: int
    targets: list[MindTarget]


def _number(value: float) -> int | float:
    """JavaScript has one number type; its msgpack encoder writes integral values as integers."""
    value = float(value)
    return int(value) if value.is_integer() else value


def write_mind(mind: MindFile) -> bytes:
    """Serialise to the bytes MindAR's `Controller.addImageTargetsFromBuffer` loads."""
    data_list = [
        {
            "targetImage": {"width": t.width, "height": t.height},
            "trackingData": [_tracking_dict(level) for level in t.tracking],
            "matchingData": [_keyframe_dict(frame) for frame in t.matching],
        }
        for t in mind.targets
    ]
    packed: bytes = msgpack.packb({"v": mind.version, "dataList": data_list}, use_bin_type=True)
    return packed


def _tracking_dict(level: TrackingLevel) -> dict[str, Any]:
    return {
        "data": level.data,
        "scale": _number(level.scale),
        "width": level.width,
        "height": level.height,
        "points": [{"x": p.x, "y": p.y} for p in level.points],
    }


def _points_list(points: Keypoints) -> list[dict[str, Any]]:
    return [
        {
            "maxima": bool(m),
            "x": _number(x),
            "y": _number(y),
            "scale": _number(s),
            "angle": _number(a),
            "descriptors": d.tolist(),
        }
        for m, x, y, s, a, d in zip(
            points.maxima, points.x, points.y, points.scale, points.angle, points.descriptors, strict=True
        )
    ]


def _tree_dict(node: ClusterNode) -> dict[str, Any]:
    # Child centres are JavaScript object keys in the reference, hence strings; the root's is null.
    out: dict[str, Any] = {
        "centerPointIndex": None if node.center is None else str(node.center),
        "leaf": node.leaf,
    }
    if node.leaf:
        out["pointIndexes"] = list(node.point_indexes)
    else:
        out["children"] = [_tree_dict(child) for child in node.children]
    return out


def _keyframe_dict(frame: Keyframe) -> dict[str, Any]:
    return {
        "maximaPoints": _points_list(frame.maxima),
        "minimaPoints": _points_list(frame.minima),
        "maximaPointsCluster": {"rootNode": _tree_dict(frame.maxima_tree)},
        "minimaPointsCluster": {"rootNode": _tree_dict(frame.minima_tree)},
        "width": frame.width,
        "height": frame.height,
        "scale": _number(frame.scale),
    }


def read_mind(data: bytes, *, name: str = "<bytes>") -> MindFile:
    """Parse a `.mind` file; raises InvalidInput naming `name` when it is not a version-2 MindAR file."""
    try:
        content = msgpack.unpackb(data, raw=False, strict_map_key=False)
        if not isinstance(content, dict) or content.get("v") != MIND_VERSION:
            raise InvalidInput(f"mind: {name}: not a version {MIND_VERSION} .mind file")
        targets = [_target(entry) for entry in content["dataList"]]
    except (
        ValueError,
        KeyError,
        TypeError,
        msgpack.ExtraData,
        msgpack.FormatError,
        msgpack.StackError,
    ) as exc:
        raise InvalidInput(f"mind: {name}: malformed .mind file ({exc})") from exc
    return MindFile(MIND_VERSION, targets)


def _target(entry: dict[str, Any]) -> MindTarget:
    return MindTarget(
        width=int(entry["targetImage"]["width"]),
        height=int(entry["targetImage"]["height"]),
        tracking=[
            TrackingLevel(
                bytes(level["data"]),
                float(level["scale"]),
                int(level["width"]),
                int(level["height"]),
                [TrackingPoint(int(p["x"]), int(p["y"])) for p in level["points"]],
            )
            for level in entry["trackingData"]
        ],
        matching=[
            Keyframe(
                _keypoints(frame["maximaPoints"]),
                _keypoints(frame["minimaPoints"]),
                _tree(frame["maximaPointsCluster"]["rootNode"]),
                _tree(frame["minimaPointsCluster"]["rootNode"]),
                int(frame["width"]),
                int(frame["height"]),
                float(frame["scale"]),
            )
            for frame in entry["matchingData"]
        ],
    )


def _keypoints(points: list[dict[str, Any]]) -> Keypoints:
    def column(key: str) -> np.ndarray[Any, np.dtype[np.float64]]:
        return np.array([p[key] for p in points], dtype=np.float64)

    return Keypoints(
        maxima=np.array([bool(p["maxima"]) for p in points], dtype=bool),
        x=column("x"),
        y=column("y"),
        scale=column("scale"),
        angle=column("angle"),
        descriptors=np.array([p["descriptors"] for p in points], dtype=np.uint32).reshape(
            len(points), DESCRIPTOR_WORDS
        ),
    )


def _tree(node: dict[str, Any]) -> ClusterNode:
    center = node["centerPointIndex"]
    return ClusterNode(
        center=None if center is None else int(center),
        leaf=bool(node["leaf"]),
        children=[_tree(child) for child in node.get("children", [])],
        point_indexes=[int(i) for i in node.get("pointIndexes", [])],
    )
