"""Procedural marker artwork with rich texture, drawn with Pillow (free to commit and regenerate)."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw


def textured_artwork(seed: int, size: tuple[int, int] = (512, 512)) -> Image.Image:
    """Overlapping shapes, lines and text-like ticks: corners and blobs at every scale, no symmetry."""
    rng = np.random.default_rng(seed)
    width, height = size
    image = Image.new("RGB", size, tuple(int(v) for v in rng.integers(0, 256, 3)))
    draw = ImageDraw.Draw(image)
    for _ in range(180):
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        x0, x1 = sorted(int(v) for v in rng.integers(-40, width + 40, 2))
        y0, y1 = sorted(int(v) for v in rng.integers(-40, height + 40, 2))
        kind = int(rng.integers(0, 4))
        if kind == 0:
            r = int(rng.integers(4, max(5, min(width, height) // 8)))
            draw.ellipse((x0, y0, x0 + r, y0 + r), fill=colour)
        elif kind == 1:
            draw.rectangle(
                (x0, y0, min(x1, x0 + 120), min(y1, y0 + 120)), outline=colour, width=int(rng.integers(1, 6))
            )
        elif kind == 2:
            draw.line((x0, y0, x1, y1), fill=colour, width=int(rng.integers(1, 5)))
        else:
            pts = [tuple(int(v) for v in rng.integers(0, max(width, height), 2)) for _ in range(3)]
            draw.polygon(pts, fill=colour)
    return image
