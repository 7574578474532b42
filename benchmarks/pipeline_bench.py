"""Compare our pipeline with gltfpack and gltf-transform on real scans at the same triangle target.

Usage: python benchmarks/pipeline_bench.py [--inputs PATH ...] [--samples N]
Prints one table per input and writes benchmarks/out/pipeline_bench.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import trimesh

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.surface_metrics import compare, sample_surface  # noqa: E402
from pipeline.bundle import Bundle  # noqa: E402
from pipeline.ingest import load_model  # noqa: E402
from pipeline.model import Model  # noqa: E402
from pipeline.recipe import load_recipe  # noqa: E402

SHARED = REPO / ".." / "shared" / "data"
DEFAULT_INPUTS = [SHARED / "bali-mask", SHARED / "gargoyle-3dhop" / "gargo.ply"]
NODE_BIN = REPO / "tools" / "node" / "node_modules" / ".bin"
OUT = REPO / "benchmarks" / "out"
RECIPE = "preview"  # one level; its target and texture size are given to the references too


@dataclass(frozen=True)
class Row:
    tool: str
    seconds: float
    peak_rss_mb: float
    bytes: int
    triangles: int
    mean_pct_diag: float
    hausdorff_pct_diag: float
    colour_error: float
    validator_errors: int


def _timed(command: list[str], log: Path) -> tuple[float, float]:
    """Run a child to completion; wall seconds and its peak RSS in MB.

    Peak RSS is polled from /proc/PID/status VmHWM: wait4's ru_maxrss is unusable here because
    Linux folds the pre-exec address space (this large process's, shared by fork/vfork) into it."""
    began = time.perf_counter()
    peak_kib = 0
    with log.open("wb") as sink:
        child = subprocess.Popen(command, stdout=sink, stderr=sink, cwd=REPO)
        status = Path(f"/proc/{child.pid}/status")
        while child.poll() is None:
            try:
                fields = dict(line.split(":", 1) for line in status.read_text().splitlines())
                peak_kib = max(peak_kib, int(fields.get("VmHWM", "0 kB").split()[0]))
            except (OSError, ValueError):
                pass  # the child exited between poll() and the read
            time.sleep(0.005)
    if child.returncode != 0:
        raise RuntimeError(
            f"{command[0]} failed ({child.returncode}): {log.read_text(errors='replace')[-2000:]}"
        )
    return time.perf_counter() - began, peak_kib / 1024


def _gltf_source(source: Path, work: Path) -> Path:
    """The references read glTF/GLB only: other formats go through a plain trimesh GLB export."""
    if source.is_dir():
        found = sorted([*source.glob("*.gltf"), *source.glob("*.glb")])
        if found:
            return found[0]
    elif source.suffix.lower() in (".gltf", ".glb"):
        return source
    converted = work / f"{source.stem}.source.glb"
    trimesh.load(source, force="scene").export(converted)  # type: ignore[no-untyped-call]  # trimesh is untyped
    return converted


def _commands(
    source: Path, gltf: Path, work: Path, ratio: float, texture_px: int
) -> dict[str, tuple[list[str], Path]]:
    """Each tool's command line and its output file. Outputs use EXT_meshopt_compression, which
    the pipeline's own reader decodes; gltf-transform writes WebP (Pillow decodes it). gltfpack
    keeps the source JPEG: its npm build has no WebP encoder, and its KTX2/BasisU (-tc) output
    has no Python decoder, so its bytes include an uncompressed-size texture."""
    ours = work / "ours"
    script = (
        "import sys; from pathlib import Path; from pipeline.run import run_pipeline; "
        f"run_pipeline(Path(sys.argv[1]), Path(sys.argv[2]), recipe={RECIPE!r})"
    )
    level = load_recipe(RECIPE).levels[0].name
    return {
        "ours": ([sys.executable, "-c", script, str(source), str(ours)], ours / f"{level}.glb"),
        "gltfpack": (
            [
                str(NODE_BIN / "gltfpack"),
                "-i",
                str(gltf),
                "-o",
                str(work / "gltfpack.glb"),
                "-si",
                f"{ratio:.6f}",
                "-cc",
            ],
            work / "gltfpack.glb",
        ),
        "gltf-transform": (
            # --simplify-ratio counts vertices (UV seams split them, so it overshoots the triangle
            # target); --simplify-error 0.01 matches gltfpack's default error bound.
            [
                str(NODE_BIN / "gltf-transform"),
                "optimize",
                str(gltf),
                str(work / "gltf-transform.glb"),
                "--simplify-ratio",
                f"{ratio:.6f}",
                "--simplify-error",
                "0.01",
                "--compress",
                "meshopt",
                "--texture-compress",
                "webp",
                "--texture-size",
                str(texture_px),
            ],
            work / "gltf-transform.glb",
        ),
    }


def _validator_errors(path: Path) -> int:
    result = subprocess.run(
        ["node", str(REPO / "tools" / "node" / "validate.mjs"), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    return int(json.loads(result.stdout.splitlines()[0])["issues"]["numErrors"])


def _load(path: Path) -> Model:
    with Bundle(path) as bundle:
        return load_model(bundle)


def bench(source: Path, samples: int) -> list[Row]:
    work = OUT / source.stem
    work.mkdir(parents=True, exist_ok=True)
    reference = _load(source)
    low, high = reference.bounds()
    diagonal = float(np.linalg.norm(high.astype(np.float64) - low))
    level = load_recipe(RECIPE).levels[0]
    ratio = min(1.0, level.target_triangles / reference.triangle_count)
    source_samples = sample_surface(reference, samples * 10)
    rows = []
    for tool, (command, output) in _commands(
        source, _gltf_source(source, work), work, ratio, level.texture_px
    ).items():
        if tool != "ours" and not Path(command[0]).exists():
            print(f"  {tool}: not installed under tools/node (run npm ci there); skipped")
            continue
        seconds, rss = _timed(command, work / f"{tool}.log")
        model = _load(output)
        # Our orient stage moves the base centre to the origin: align bounding-box centres
        # (a translation only; the glTF inputs keep +Y up and metres) before measuring.
        lo, hi = model.bounds()
        shift = (low + high) / 2 - (lo + hi) / 2
        for prim in model.primitives:
            prim.positions = (prim.positions + shift).astype(np.float32)
        metrics = compare(reference, source_samples, model, sample_surface(model, samples, seed=1), diagonal)
        rows.append(
            Row(
                tool,
                seconds,
                rss,
                output.stat().st_size,
                model.triangle_count,
                metrics.mean_pct_diag,
                metrics.hausdorff_pct_diag,
                metrics.colour_error,
                _validator_errors(output),
            )
        )
    return rows


def _table(name: str, rows: list[Row]) -> str:
    columns = ("s", "RSS MB", "KiB", "tris", "mean%", "haus%", "colour", "val.err")
    header = f"{'tool':<15}{columns[0]:>7}" + "".join(f"{c:>8}" for c in columns[1:])
    lines = [f"== {name}", header]
    for r in rows:
        lines.append(
            f"{r.tool:<15}{r.seconds:>7.2f}{r.peak_rss_mb:>8.0f}{r.bytes / 1024:>8.0f}{r.triangles:>8}"
            f"{r.mean_pct_diag:>8.3f}{r.hausdorff_pct_diag:>8.3f}{r.colour_error:>8.2f}{r.validator_errors:>8}"
        )
    ours = next((r for r in rows if r.tool == "ours"), None)
    for r in rows:
        if ours and r is not ours:
            lines.append(
                f"ours/{r.tool}: time {ours.seconds / r.seconds:.2f}x, bytes {ours.bytes / r.bytes:.2f}x, "
                f"mean dist {ours.mean_pct_diag / max(r.mean_pct_diag, 1e-12):.2f}x, "
                f"colour {ours.colour_error / max(r.colour_error, 1e-12):.2f}x"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", nargs="*", type=Path, default=DEFAULT_INPUTS)
    parser.add_argument("--samples", type=int, default=50_000, help="points sampled on each output")
    args = parser.parse_args()
    results = {}
    for source in args.inputs:
        if not source.exists():
            print(f"skip {source}: not found (sample scans live in ../shared/data)")
            continue
        rows = bench(source.resolve(), args.samples)
        print(_table(source.name, rows))
        results[str(source)] = [asdict(r) for r in rows]
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "pipeline_bench.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
