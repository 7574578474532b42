"""Size and count limits for scene bundles, with units in their names."""

from __future__ import annotations

from dataclasses import dataclass

from hue_zip import MAX_RATIO, RATIO_FLOOR_BYTES

MiB = 1024 * 1024


@dataclass(frozen=True)
class BundleLimits:
    """Defaults suit a phone-sized AR scene; large photogrammetry goes through /api/v1/uploads."""

    max_entries: int = 200
    # Per file and in total, uncompressed: checked against the zip directory and again while reading.
    max_file_bytes: int = 512 * MiB
    max_total_bytes: int = 1024 * MiB
    max_ratio: float = MAX_RATIO  # see hue_zip
    ratio_floor_bytes: int = RATIO_FLOOR_BYTES
    max_scene_json_bytes: int = 1 * MiB
    max_data_uri_bytes: int = 64 * 1024
    # 8192 × 8192: above what any phone GPU uploads as a texture (WEBAR_NOTES: 4096 on most).
    max_image_pixels: int = 8192 * 8192
