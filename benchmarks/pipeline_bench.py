"""Compare our pipeline with gltfpack and gltf-transform on real scans at the same triangle target.

Usage: python benchmarks/pipeline_bench.py [--inputs PATH ...] [--samples N] [--repeat N]
Prints one table per input and writes benchmarks/out/pipeline_bench.json. Without --inputs: the
mask, the gargoyle and the seam-heavy mask (below), where ../shared/data holds them.

       python benchmarks/pipeline_bench.py --seam-heavy [--charts 6000]
The same comparison on the mask re-unwrapped into thousands of UV islands only.

       python benchmarks/pipeline_bench.py --ladder-6m [--rounds 3]
Times the full ``web`` ladder on the mask scan subdivided to 6.4M triangles (issue #3's goals).
"""

from __future__ import annotations

import argparse
import compileall
import json
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.scan_inputs import (  # noqa: E402
    SeamHeavyOptions,
    build_large_input,
    build_seam_heavy_input,
    load_scan,
    write_plain_glb,
)
from benchmarks.surface_metrics import compare, sample_surface  # noqa: E402
from pipeline.gltf_read import split_glb  # noqa: E402
from pipeline.inspect import count_uv_islands  # noqa: E402
from pipeline.model import Model  # noqa: E402
from pipeline.provenance import PARADATA_NS  # noqa: E402
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
    startup_seconds: float  # the same program doing nothing (part of ``seconds``)
    peak_rss_mb: float
    bytes: int
    triangles: int
    mean_pct_diag: float
    hausdorff_pct_diag: float
    colour_error: float
    validator_errors: int


@dataclass(frozen=True)
class InputResult:
    """One input's comparison: the source's size, the shared target, each tool's row, and the
    decimate and bake steps our level's provenance packet records (the path our run took)."""

    source_triangles: int
    uv_islands: int
    target_triangles: int
    rows: list[Row]
    ours_steps: list[str]


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
    """The references read glTF/GLB only: other formats are written as a plain GLB of what our
    reader loaded (PLY colours are sRGB bytes, COLOR_0 is linear: a plain export would hand the
    references colours they then keep wrong)."""
    if source.is_dir():
        found = sorted([*source.glob("*.gltf"), *source.glob("*.glb")])
        if found:
            return found[0]
    elif source.suffix.lower() in (".gltf", ".glb"):
        return source
    converted = work / f"{source.stem}.source.glb"
    model = load_scan(source)
    if len(model.primitives) != 1 or model.primitives[0].uvs is not None:
        raise SystemExit(f"{source}: expected one untextured primitive to convert")
    write_plain_glb(model.primitives[0], converted)
    return converted


def _commands(
    source: Path, gltf: Path, work: Path, ratio: float, texture_px: int
) -> dict[str, tuple[list[str], Path]]:
    """Each tool's command line and its output file. Outputs use EXT_meshopt_compression, which
    the pipeline's own reader decodes; gltf-transform writes WebP (Pillow decodes it). gltfpack
    keeps the source JPEG: its npm build has no WebP encoder, and its KTX2/BasisU (-tc) output
    has no Python decoder, so its bytes include an uncompressed-size texture."""
    ours = work / "ours"
    level = load_recipe(RECIPE).levels[0].name
    return {
        "ours": (
            [sys.executable, "-m", "pipeline", "run", str(source), "--out", str(ours), "--recipe", RECIPE],
            ours / f"{level}.glb",
        ),
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


# Each tool's program starting and stopping with no work: its interpreter and the modules it loads
# (ours: CPython, numpy, scipy, Pillow; the references: Node.js and their WASM).
STARTUP = {
    "ours": [sys.executable, "-m", "pipeline", "--help"],
    "gltfpack": [str(NODE_BIN / "gltfpack"), "-v"],
    "gltf-transform": [str(NODE_BIN / "gltf-transform"), "--version"],
}


def _validator_errors(path: Path) -> int:
    result = subprocess.run(
        ["node", str(REPO / "tools" / "node" / "validate.mjs"), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    return int(json.loads(result.stdout.splitlines()[0])["issues"]["numErrors"])


def bench(source: Path, samples: int, repeat: int) -> InputResult:
    work = OUT / source.stem
    work.mkdir(parents=True, exist_ok=True)
    reference = load_scan(source)
    low, high = reference.bounds()
    diagonal = float(np.linalg.norm(high.astype(np.float64) - low))
    level = load_recipe(RECIPE).levels[0]
    ratio = min(1.0, level.target_triangles / reference.triangle_count)
    source_samples = sample_surface(reference, samples * 10)
    commands = _commands(source, _gltf_source(source, work), work, ratio, level.texture_px)
    for tool, (command, _) in list(commands.items()):
        if tool != "ours" and not Path(command[0]).exists():
            print(f"  {tool}: not installed under tools/node (run npm ci there); skipped")
            del commands[tool]
    # The fastest of ``repeat`` runs, the tools taking turns: the cores are shared, a neighbour's
    # load only adds time, and a change in the machine's speed reaches every tool alike.
    runs: dict[str, list[tuple[float, float]]] = {tool: [] for tool in commands}
    startups: dict[str, list[float]] = {tool: [] for tool in commands}
    for _ in range(repeat):
        for tool, (command, _) in commands.items():
            runs[tool].append(_timed(command, work / f"{tool}.log"))
            startups[tool].append(_timed(STARTUP[tool], work / f"{tool}.startup.log")[0])
    rows, ours_steps = [], []
    for tool, (_, output) in commands.items():
        seconds, rss = min(r[0] for r in runs[tool]), max(r[1] for r in runs[tool])
        startup = min(startups[tool])
        model = load_scan(output)
        if tool == "ours":
            _undo_orient(model, output.parent / "manifest.json")
            ours_steps = _processing(output, ("decimate", "fit", "bake"))
        metrics = compare(reference, source_samples, model, sample_surface(model, samples, seed=1), diagonal)
        rows.append(
            Row(
                tool,
                seconds,
                startup,
                rss,
                output.stat().st_size,
                model.triangle_count,
                metrics.mean_pct_diag,
                metrics.hausdorff_pct_diag,
                metrics.colour_error,
                _validator_errors(output),
            )
        )
    islands = count_uv_islands(reference)
    return InputResult(reference.triangle_count, islands, level.target_triangles, rows, ours_steps)


def _processing(glb: Path, stages: tuple[str, ...]) -> list[str]:
    """The ``stages`` lines of a GLB's KHR_xmp_json_ld packet (``paradata:processing``)."""
    document, _ = split_glb(glb.read_bytes(), glb.name)
    packet = document["extensions"]["KHR_xmp_json_ld"]["packets"][0]
    assert packet["@context"]["paradata"] == PARADATA_NS
    lines: list[str] = packet["paradata:processing"]["@list"]
    return [line for line in lines if line.split(" ", 1)[0] in {f"stage={s}" for s in stages}]


def _undo_orient(model: Model, manifest: Path) -> None:
    """Our orient stage moved the model (base centre to the origin, +Y up): apply the inverse of
    the matrix it recorded, so the output is measured where the source is, exactly."""
    steps = json.loads(manifest.read_text(encoding="utf-8"))["steps"]
    matrix = np.linalg.inv(np.array(next(s["matrix"] for s in steps if s["stage"] == "orient")))
    for prim in model.primitives:
        prim.positions = (prim.positions.astype(np.float64) @ matrix[:3, :3].T + matrix[:3, 3]).astype(
            np.float32
        )


def _work(row: Row) -> float:
    return max(row.seconds - row.startup_seconds, 0.0)


def _table(name: str, result: InputResult) -> str:
    columns = ("s", "start", "RSS MB", "KiB", "tris", "mean%", "haus%", "colour", "val.err")
    header = f"{'tool':<15}{columns[0]:>7}" + "".join(f"{c:>8}" for c in columns[1:])
    target = result.target_triangles
    lines = [
        f"== {name}: {result.source_triangles} triangles, {result.uv_islands} UV islands, target {target}",
        header,
    ]
    rows = result.rows
    for r in rows:
        lines.append(
            f"{r.tool:<15}{r.seconds:>7.2f}{r.startup_seconds:>8.2f}{r.peak_rss_mb:>8.0f}"
            f"{r.bytes / 1024:>8.0f}{r.triangles:>8}"
            f"{r.mean_pct_diag:>8.3f}{r.hausdorff_pct_diag:>8.3f}{r.colour_error:>8.2f}{r.validator_errors:>8}"
        )
    ours = next((r for r in rows if r.tool == "ours"), None)
    for r in rows:
        if ours and r is not ours:
            lines.append(
                f"ours/{r.tool}: time {ours.seconds / r.seconds:.2f}x "
                f"(after start-up {_work(ours) / max(_work(r), 1e-3):.2f}x), "
                f"bytes {ours.bytes / r.bytes:.2f}x, "
                f"mean dist {ours.mean_pct_diag / max(r.mean_pct_diag, 1e-12):.2f}x, "
                f"colour {ours.colour_error / max(r.colour_error, 1e-12):.2f}x"
            )
    lines.append("triangles / target: " + ", ".join(f"{r.tool} {r.triangles / target:.2f}x" for r in rows))
    lines += [f"ours: {step}" for step in result.ours_steps]
    return "\n".join(lines)


# ---- the 6M-triangle ladder (issue #3: < 60 s and < 4 GB peak on 2 cores) ----------------------

LADDER_GOAL_S, LADDER_GOAL_MB = 60.0, 4096.0


def ladder(source: Path, rounds: int) -> dict[str, Any]:
    """Run the ``web`` recipe end to end in a child on the subdivided scan; print it against the goals."""
    work = OUT / "ladder"
    work.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    big = build_large_input(source, work, rounds)
    built = time.perf_counter() - began
    print(f"input {big.name}: {big.stat().st_size / 2**20:.0f} MiB (built or reused in {built:.0f} s)")
    out = work / "ours"
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "pipeline", "run", str(big), "--out", str(out), "--recipe", "web"]
    seconds, rss = _timed(command, work / "ours.log")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    print(f"source triangles {manifest['inspect']['triangles']}, recipe web")
    print(f"{'level':<8}{'tris':>9}{'KiB':>8}{'tex px':>8}{'err %diag':>10}")
    for level in manifest["levels"]:
        print(
            f"{level['name']:<8}{level['triangles']:>9}{level['bytes'] / 1024:>8.0f}"
            f"{level['texture_px']:>8}{level['error_pct_diag']:>10.3f}"
        )
    print("stages s: " + ", ".join(f"{k} {v:.1f}" for k, v in manifest["timings_s"].items()))
    verdict = {True: "met", False: "NOT met"}
    print(
        f"wall {seconds:.1f} s (goal < {LADDER_GOAL_S:.0f} s: {verdict[seconds < LADDER_GOAL_S]}), "
        f"peak RSS {rss:.0f} MB (goal < {LADDER_GOAL_MB:.0f} MB: {verdict[rss < LADDER_GOAL_MB]})"
    )
    return {
        "source_triangles": manifest["inspect"]["triangles"],
        "seconds": seconds,
        "peak_rss_mb": rss,
        "levels": manifest["levels"],
        "timings_s": manifest["timings_s"],
    }


def _seam_heavy_input(mask: Path, options: SeamHeavyOptions) -> Path:
    """The mask re-unwrapped into small charts, built under benchmarks/out/seam-heavy once."""
    began = time.perf_counter()
    path = build_seam_heavy_input(mask, OUT / "seam-heavy", options)
    print(
        f"seam-heavy input {path.name}: {path.stat().st_size / 2**20:.1f} MiB "
        f"(built or reused in {time.perf_counter() - began:.0f} s)"
    )
    return path


def _byte_compile() -> None:
    """Byte-compile what ``python -m pipeline`` loads of ours (the package and the top-level
    modules), as pip does when it installs a wheel. An editable install run with
    PYTHONDONTWRITEBYTECODE set (as on CI machines and in many container images) would otherwise
    compile every module from source at each start, a cost no installed copy pays."""
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    compileall.compile_dir(REPO / "pipeline", quiet=1)
    for module in setuptools["py-modules"]:
        compileall.compile_file(REPO / f"{module}.py", quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", nargs="*", type=Path, help="scans to compare (default: see above)")
    parser.add_argument("--samples", type=int, default=50_000, help="points sampled on each output")
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool; the fastest is reported")
    parser.add_argument(
        "--ladder-6m", action="store_true", help="time the web ladder on a 6.4M-triangle scan"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="subdivisions of the mask for --ladder-6m (×4 each)"
    )
    parser.add_argument(
        "--seam-heavy", action="store_true", help="compare on the mask re-unwrapped into small charts only"
    )
    parser.add_argument(
        "--charts", type=int, default=SeamHeavyOptions.charts, help="xatlas charts for the seam-heavy mask"
    )
    args = parser.parse_args()
    _byte_compile()
    if args.ladder_6m:
        result = ladder(DEFAULT_INPUTS[0].resolve(), args.rounds)
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / "pipeline_ladder.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        return
    mask = DEFAULT_INPUTS[0]
    inputs: list[Path] = args.inputs or ([] if args.seam_heavy else DEFAULT_INPUTS)
    if args.seam_heavy and not mask.exists():
        raise SystemExit(f"--seam-heavy: {mask} not found (sample scans live in ../shared/data)")
    if args.seam_heavy or (not args.inputs and mask.exists()):
        inputs.append(_seam_heavy_input(mask.resolve(), SeamHeavyOptions(charts=args.charts)))
    results = {}
    for source in inputs:
        if not source.exists():
            print(f"skip {source}: not found (sample scans live in ../shared/data)")
            continue
        compared = bench(source.resolve(), args.samples, args.repeat)
        print(_table(source.name, compared))
        results[str(source)] = asdict(compared)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "pipeline_bench.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
