"""The `.mind` compiler: format round trip, structure and keypoints against MindAR's own output, bad input."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import msgpack
import numpy as np
import pytest
from PIL import Image

from hue_errors import InvalidInput
from markers.mind.cluster import build_tree
from markers.mind.compile import CompileOptions, build_targets, compile_targets
from markers.mind.mindfile import read_mind, write_mind
from tests.browser.artwork import textured_artwork

REFERENCE = Path(__file__).parents[1] / "data" / "mind" / "artwork-seed3-320x256.mind"
QR_PHOTOS = Path(__file__).parents[2] / ".." / "shared" / "data" / "qr-photos"
# Keypoints per keyframe may differ from MindAR's by this fraction (its GPU float32 vs our float64).
KEYPOINT_TOLERANCE = 0.05


@pytest.fixture(scope="module")
def reference_art() -> Image.Image:
    return textured_artwork(3, (320, 256))


@pytest.fixture(scope="module")
def ours(reference_art: Image.Image) -> bytes:
    return compile_targets([reference_art])


def _shape(value: object) -> object:
    """Keys and leaf types of a decoded msgpack tree, first element of each list standing for all."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


def test_file_round_trips_byte_for_byte(ours: bytes) -> None:
    assert write_mind(read_mind(ours)) == ours


def test_structure_and_types_match_mindar(ours: bytes) -> None:
    mine = msgpack.unpackb(ours, strict_map_key=False)
    theirs = msgpack.unpackb(REFERENCE.read_bytes(), strict_map_key=False)
    assert mine["v"] == theirs["v"] == 2
    target, ref = mine["dataList"][0], theirs["dataList"][0]
    assert target["targetImage"] == ref["targetImage"]
    for level, ref_level in zip(target["trackingData"], ref["trackingData"], strict=True):
        assert _shape(level) == _shape(ref_level)
    assert len(target["matchingData"]) == len(ref["matchingData"])
    for frame, ref_frame in zip(target["matchingData"], ref["matchingData"], strict=True):
        assert (frame["width"], frame["height"], frame["scale"]) == (
            ref_frame["width"],
            ref_frame["height"],
            ref_frame["scale"],
        )
        for key in ("maximaPoints", "minimaPoints"):
            assert _shape(frame[key][:1]) == _shape(ref_frame[key][:1])
            assert all(len(p["descriptors"]) == 21 for p in frame[key])
        root, ref_root = (
            frame["maximaPointsCluster"]["rootNode"],
            ref_frame["maximaPointsCluster"]["rootNode"],
        )
        assert root.keys() == ref_root.keys()
        assert root["centerPointIndex"] is ref_root["centerPointIndex"] is None
        if not root["leaf"]:
            assert _shape(root["children"][0]["centerPointIndex"]) == "str"


def test_keypoint_counts_within_tolerance_of_mindar(ours: bytes) -> None:
    mine, theirs = read_mind(ours).targets[0], read_mind(REFERENCE.read_bytes()).targets[0]
    for frame, ref in zip(mine.matching, theirs.matching, strict=True):
        for got, want in ((len(frame.maxima), len(ref.maxima)), (len(frame.minima), len(ref.minima))):
            assert abs(got - want) <= max(2, KEYPOINT_TOLERANCE * want), (frame.scale, got, want)
    for level, ref_level in zip(mine.tracking, theirs.tracking, strict=True):
        assert level.data == ref_level.data  # same box-filter downscale, so identical grey pixels
        assert abs(len(level.points) - len(ref_level.points)) <= max(
            2, KEYPOINT_TOLERANCE * len(ref_level.points)
        )


def test_full_size_keypoints_coincide_with_mindars(ours: bytes) -> None:
    frame = read_mind(ours).targets[0].matching[0]
    ref = read_mind(REFERENCE.read_bytes()).targets[0].matching[0]
    distance = np.hypot(
        ref.maxima.x[:, None] - frame.maxima.x[None], ref.maxima.y[:, None] - frame.maxima.y[None]
    )
    nearest = distance.argmin(axis=1)
    close = distance.min(axis=1) < 0.5
    assert close.mean() > 0.9
    bits = np.bitwise_count(ref.maxima.descriptors[close] ^ frame.maxima.descriptors[nearest[close]]).sum(
        axis=1
    )
    assert np.median(bits) <= 16  # of 666 comparison bits


def test_several_images_make_one_target_each() -> None:
    mind = read_mind(compile_targets([textured_artwork(10, (256, 256)), textured_artwork(11, (300, 200))]))
    assert [(t.width, t.height) for t in mind.targets] == [(256, 256), (300, 200)]
    assert all(len(frame.maxima) + len(frame.minima) > 50 for t in mind.targets for frame in t.matching[:1])


def test_large_input_is_downscaled_to_the_short_side_limit() -> None:
    mind = build_targets([textured_artwork(12, (900, 600))], options=CompileOptions(max_short_side_px=300))
    assert (mind.targets[0].width, mind.targets[0].height) == (450, 300)


def test_real_photo_compiles_with_keypoints() -> None:
    photo = QR_PHOTOS / "qrcode-3_01.png"
    if not photo.exists():
        pytest.skip(f"sample data absent: {photo}")
    target = build_targets([photo]).targets[0]
    assert min(target.width, target.height) <= 512
    assert len(target.matching[0].maxima) + len(target.matching[0].minima) > 100
    assert len(target.tracking[0].points) > 5


@pytest.mark.parametrize(
    "size", [(128, 128), (128, 129), (129, 128), (128, 200), (200, 128), (130, 200), (200, 130), (131, 257)]
)
def test_small_and_odd_sizes_compile(size: tuple[int, int]) -> None:
    # Tracking levels upscale these to a short side of 256 px, where box edges used to run off the image.
    target = read_mind(compile_targets([textured_artwork(13, size)])).targets[0]
    assert (target.width, target.height) == size
    assert [min(level.width, level.height) for level in target.tracking] == [256, 128]
    assert all(len(level.data) == level.width * level.height for level in target.tracking)


@pytest.mark.parametrize(
    "image",
    [Image.new("L", (300, 300), 0), Image.new("RGB", (300, 300), "white"), Image.new("1", (300, 300), 1)],
    ids=["black", "white", "one-bit"],
)
def test_featureless_image_is_refused(image: Image.Image) -> None:
    with pytest.raises(
        InvalidInput, match=r"image 0: too few keypoints to be detected \(0 in the best keyframe"
    ):
        compile_targets([image])


def test_keyframe_without_maxima_round_trips() -> None:
    mind = build_targets([textured_artwork(14, (256, 256))])
    frame = mind.targets[0].matching[-1]
    empty = frame.maxima.subset(np.zeros(len(frame.maxima), dtype=bool))
    frames = [
        *mind.targets[0].matching[:-1],
        replace(frame, maxima=empty, maxima_tree=build_tree(empty.descriptors)),
    ]
    data = write_mind(replace(mind, targets=[replace(mind.targets[0], matching=frames)]))
    assert len(read_mind(data).targets[0].matching[-1].maxima) == 0
    assert write_mind(read_mind(data)) == data


def test_truncated_image_file_is_rejected_by_name(tmp_path: Path) -> None:
    cut = tmp_path / "cut.ppm"
    cut.write_bytes(b"P6\n6\xc8 64\n255\n" + bytes(100))
    with pytest.raises(InvalidInput, match=r"cut\.ppm: corrupt or truncated image data"):
        compile_targets([cut])


def test_non_image_file_is_rejected_by_name(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.png"
    bogus.write_text("not an image")
    with pytest.raises(InvalidInput, match=r"notes\.png"):
        compile_targets([bogus])


def test_one_pixel_image_is_rejected_by_name(tmp_path: Path) -> None:
    tiny = tmp_path / "dot.png"
    Image.new("RGB", (1, 1)).save(tiny)
    with pytest.raises(InvalidInput, match=r"dot\.png: 1×1 px is too small"):
        compile_targets([tiny])


def test_empty_list_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="no images"):
        compile_targets([])


def test_not_a_mind_file_is_rejected() -> None:
    with pytest.raises(InvalidInput, match=r"target\.mind"):
        read_mind(msgpack.packb({"v": 1}), name="target.mind")


def test_a_strip_is_refused_before_its_tracking_levels_are_built() -> None:
    with pytest.raises(InvalidInput, match=r"image 0: 128×1100 px is 8.6:1 \(expected at most 8:1: crop"):
        compile_targets([textured_artwork(15, (128, 1100))])
