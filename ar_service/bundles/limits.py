"""Size and count limits for scene bundles, with units in their names."""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1024 * 1024


@dataclass(frozen=True)
class BundleLimits:
    """Defaults suit a phone-sized AR scene; large photogrammetry goes through /api/v1/uploads."""

    max_entries: int = 200
    # Per file and in total, uncompressed: checked against the zip directory and again while reading.
    max_file_bytes: int = 512 * MiB
    max_total_bytes: int = 1024 * MiB
    # Deflate tops out near 1032:1 on real data; 100:1 only happens for padding or bombs.
    max_ratio: float = 100.0
    # Ratios are only judged above this size: a small JSON file of spaces is not a bomb.
    ratio_floor_bytes: int = 1 * MiB
    max_scene_json_bytes: int = 1 * MiB
    max_data_uri_bytes: int = 64 * 1024
    # 8192 × 8192: above what any phone GPU uploads as a texture (WEBAR_NOTES: 4096 on most).
    max_image_pixels: int = 8192 * 8192
