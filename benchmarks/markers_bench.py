"""Image-target benchmark: our `.mind` compiler against MindAR 1.2.5's own, on compile time and detection.

Run: ``.venv/bin/python benchmarks/markers_bench.py`` (needs Debian's ``chromium`` and
``cd tools/mindar && npm ci --ignore-scripts``). MindAR compiles in headless Chromium (WebGL on SwiftShader),
as its browser compiler does for users. Each target from each compiler is then loaded by MindAR with a
fake-camera clip of the marker under perspective and motion (MindAR's pinhole camera); prints a table.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from markers.mind.compile import compile_targets  # noqa: E402 - after the path setup above
from tests.browser.artwork import textured_artwork  # noqa: E402
from tests.browser.camera import render_clip, write_y4m  # noqa: E402
from tests.browser.mind_site import detect, mindar_compile, mindar_missing  # noqa: E402

QR_PHOTO = REPO / ".." / "shared" / "data" / "qr-photos" / "qrcode-4_01.png"
FPS = 15


@dataclass
class Row:
    name: str
    size: str
    ours_s: float
    mindar_s: float
    ours_found_s: float | None
    mindar_found_s: float | None


def _images(count: int) -> list[tuple[str, Image.Image]]:
    images = [(f"artwork-{seed}", textured_artwork(seed)) for seed in range(100, 100 + count)]
    if QR_PHOTO.exists():
        with Image.open(QR_PHOTO) as photo:
            images.append(("qr-photo 4_01", photo.convert("RGB")))
    return images


def _ours(image: Image.Image, repeats: int) -> tuple[float, bytes]:
    times, data = [], b""
    for _ in range(repeats):
        start = time.perf_counter()
        data = compile_targets([image])
        times.append(time.perf_counter() - start)
    return statistics.median(times), data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=3, help="procedural artworks (plus one real photo)")
    parser.add_argument("--repeats", type=int, default=3, help="our compile runs per image (median)")
    args = parser.parse_args()
    reason = mindar_missing()
    if reason:
        raise SystemExit(f"cannot benchmark: {reason}")
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        for index, (name, image) in enumerate(_images(args.images)):
            # Both compilers get the same pixels: the input as our default options would resize it.
            short = min(image.size)
            if short > 512:
                image = image.resize(
                    (round(image.width * 512 / short), round(image.height * 512 / short)),
                    Image.Resampling.BOX,
                )
            png = work / f"{index}.png"
            image.save(png)
            ours_s, ours = _ours(image, args.repeats)
            mindar_s, theirs = mindar_compile(png, work)
            clip = render_clip(image, seconds=3, fps=FPS, seed=index)
            camera = write_y4m(work / f"{index}.y4m", clip.frames, FPS)
            found_ours = detect(ours, camera, work, timeout_s=8.0, settle_s=0.0).found_after_s
            found_theirs = detect(theirs, camera, work, timeout_s=8.0, settle_s=0.0).found_after_s
            rows.append(
                Row(name, f"{image.width}×{image.height}", ours_s, mindar_s, found_ours, found_theirs)
            )

    def cell(value: float | None) -> str:
        return "not found" if value is None else f"{value:.2f} s"

    print(
        f"{'image':<16}{'size':>10}{'ours':>9}{'MindAR':>9}{'ratio':>8}"
        f"{'found (ours)':>15}{'found (MindAR)':>16}"
    )
    for row in rows:
        print(
            f"{row.name:<16}{row.size:>10}{row.ours_s:>8.2f}s{row.mindar_s:>8.2f}s"
            f"{row.ours_s / row.mindar_s:>8.2f}"
            f"{cell(row.ours_found_s):>15}{cell(row.mindar_found_s):>16}"
        )
    ratio = statistics.median(r.ours_s / r.mindar_s for r in rows)
    rate_ours = sum(r.ours_found_s is not None for r in rows) / len(rows)
    rate_theirs = sum(r.mindar_found_s is not None for r in rows) / len(rows)
    print(f"median compile-time ratio ours/MindAR: {ratio:.2f} (goal ≤ 0.5)")
    print(f"detection rate: ours {rate_ours:.0%}, MindAR {rate_theirs:.0%}")


if __name__ == "__main__":
    main()
