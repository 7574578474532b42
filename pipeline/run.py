"""The one entry point the CLI and the service job share: source → LOD ladder of GLBs + manifest."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from threadpoolctl import threadpool_limits

from hue_errors import InvalidInput, StorageError
from pipeline.bundle import Bundle
from pipeline.clean import clean
from pipeline.decimate import DecimateOptions, DecimateResult, decimate, decimate_ignoring_seams
from pipeline.fit import FitOptions, ScanPlanes, fit_to_surface
from pipeline.glb_write import EncodeOptions, GeometryCodec, write_glb
from pipeline.identity_cache import IdentityCache
from pipeline.ingest import load_model
from pipeline.inspect import InspectReport, count_uv_islands, inspect_model
from pipeline.model import Model
from pipeline.orient import Dimension, OrientOptions, UpAxis, orient
from pipeline.poster import PosterOptions, render_poster
from pipeline.provenance import Provenance, tool_versions, xmp_packet
from pipeline.recipe import LevelSpec, Recipe, load_recipe
from pipeline.textures import SOURCE_HEADROOM, TextureOptions, TextureWork
from pipeline.topology import survey_faces
from pipeline.unwrap import AtlasJob

if TYPE_CHECKING:
    from pipeline.bake import BakeSource  # libigl is imported only for seam-heavy scans

Progress = Callable[[str, float], None]
MANIFEST_NAME = "manifest.json"
POSTER_NAME = "poster.webp"
# Share of the run each stage takes on the bundled mask (for the progress fraction only).
FIXED_STAGES = {"ingest": 0.10, "inspect": 0.05, "clean": 0.05, "orient": 0.02}
MANIFEST_SHARE = 0.02
# Triangles per UV island where seam-preserving decimation stops (4.03 on the seam-heavy mask's
# 8 719 islands, 4.08 on the mask's 1 272): a level whose target times ``rebake_above`` is below
# this many per island of the scan is expected to be re-baked.
SEAM_FLOOR = 4
_T = TypeVar("_T")


@dataclass(frozen=True)
class RunOptions:
    """Per-run settings on top of the recipe. ``up``: the source's up axis or "auto";
    ``scale_factor`` (metres per source unit) or ``known_dimension`` (("height", 2.4) in metres);
    ``geometry`` overrides the recipe's codec for every level."""

    up: UpAxis = "auto"
    scale_factor: float | None = None
    known_dimension: tuple[Dimension, float] | None = None
    provenance: Provenance = field(default_factory=Provenance)
    geometry: GeometryCodec | None = None


@dataclass(frozen=True)
class LevelOutput:
    name: str
    path: Path
    triangles: int
    bytes: int
    error_m: float  # simplifier's geometric error estimate, metres
    error_pct_diag: float  # the same as a percentage of the bounding-box diagonal
    texture_px: int  # longest side of the largest texture (0 without textures)
    gpu_bytes: int
    geometry: GeometryCodec  # the decoder a viewer needs for this level
    steps: list[dict[str, Any]]  # what made this level after the shared stages (decimate, bake, encode)


@dataclass
class RunResult:
    levels: list[LevelOutput]
    manifest: Path
    inspect: InspectReport
    usdz: Path | None = None
    poster: Path | None = None


class _StageClock:
    """Times each stage and reports the overall fraction done after it."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.timings: dict[str, float] = {}
        self.started = time.perf_counter()
        self._done = 0.0

    @contextmanager
    def stage(self, name: str, share: float) -> Iterator[None]:
        began = time.perf_counter()
        yield
        self.timings[name] = time.perf_counter() - began
        self._done += share
        self.progress(name, min(self._done, 1.0))


def run_pipeline(
    source: Path,
    out_dir: Path,
    *,
    recipe: str | Recipe = "web",
    options: RunOptions | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Ingest ``source`` (file, folder or zip), clean, orient, and write every level of ``recipe``
    to ``out_dir`` as ``<level>.glb`` plus ``manifest.json``. Raises hue_errors types."""
    options = options or RunOptions()
    recipe = load_recipe(recipe) if isinstance(recipe, str) else recipe
    if not recipe.levels:
        raise InvalidInput(f"run: recipe {recipe.name!r} has no levels (expected ≥ 1)")
    clock = _StageClock(progress or (lambda _stage, _fraction: None))
    # numpy's OpenBLAS wakes its thread pool for each long vector operation (the fit's conjugate
    # gradients), and those threads then spin-wait: on two cores they took 0.6 s of CPU from the
    # run's own threads and the xatlas child (the seam-heavy mask level 2.15 → 1.98 s). The run
    # spreads its work over the cores itself (batches, its second thread, the atlas child).
    with threadpool_limits(limits=1, user_api="blas"):
        return _run(source, out_dir, recipe, options, clock)


def _run(source: Path, out_dir: Path, recipe: Recipe, options: RunOptions, clock: _StageClock) -> RunResult:
    _clear_outputs(out_dir, recipe)
    with Bundle(source) as bundle:
        clock.progress("ingest", 0.0)
        with clock.stage("ingest", FIXED_STAGES["ingest"]):
            model = load_model(bundle, SOURCE_HEADROOM * max(level.texture_px for level in recipe.levels))
        digests, main = dict(bundle.digests), bundle.main
    with _second_thread() as background, ExitStack() as atlases:
        # The report's UV islands first, counted while the faces are surveyed and cleaned: they
        # predict which levels will be re-baked.
        islands = background.submit(_timed, count_uv_islands, model)
        with clock.stage("inspect", FIXED_STAGES["inspect"]):
            surveys = [survey_faces(p) for p in model.primitives]  # measured once, for both stages
        with clock.stage("clean", FIXED_STAGES["clean"]):
            cleaned = clean(model, recipe.clean, surveys)
        uv_islands, seconds = islands.result()
        # The rest of the report (components) is counted on the second thread.
        report = background.submit(_timed, inspect_model, model, main, surveys, uv_islands)
        # The first re-bake's atlas process, importing xatlas while the scan is oriented and decimated.
        expected = _textured(model) and any(
            _expects_rebake(recipe, lv.target_triangles, uv_islands) for lv in recipe.levels
        )
        spare = atlases.enter_context(AtlasJob()) if expected else None
        with clock.stage("orient", FIXED_STAGES["orient"]):
            oriented = orient(cleaned, _orient_options(options, main))
        scan = _Scan(oriented, background, recipe.fit, uv_islands, spare)
        written = _write_levels(scan, recipe, options, out_dir, clock)
        inspect, report_seconds = report.result()
    clock.timings["inspect"] += seconds + report_seconds
    timings = {**clock.timings, "total": time.perf_counter() - clock.started}
    manifest = out_dir / MANIFEST_NAME
    manifest.write_text(
        json.dumps(
            _manifest(recipe, options, main, digests, inspect, oriented, written.levels, timings),
            indent=2,
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    clock.progress("manifest", 1.0)
    return RunResult(
        levels=written.levels, manifest=manifest, inspect=inspect, poster=written.poster, usdz=written.usdz
    )


def _clear_outputs(out_dir: Path, recipe: Recipe) -> None:
    """Make ``out_dir`` and remove what an earlier run of ``recipe`` wrote there, the manifest
    first: it is written last, so a folder without one never holds a finished run."""
    names = [
        MANIFEST_NAME,
        POSTER_NAME,
        *(f"{level.name}.{kind}" for level in recipe.levels for kind in ("glb", "usdz")),
    ]
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name in names:
            (out_dir / name).unlink(missing_ok=True)
    except OSError as exc:
        raise StorageError(f"run: cannot write to the output folder {out_dir}: {exc.strerror}") from None


@contextmanager
def _second_thread() -> Iterator[ThreadPoolExecutor]:
    """A second thread that takes work off the critical path: meshoptimizer (through ctypes),
    numpy's array loops, scipy's k-d tree build and Pillow release the GIL, so on two cores it
    runs alongside (libigl's AABB build does not release it: a re-bake builds that on its own thread).
    Work not yet started when the run ends (or fails) is dropped."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pipeline")
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _orient_options(options: RunOptions, main: str) -> OrientOptions:
    up = options.up
    if up == "auto" and main.lower().endswith((".gltf", ".glb")):
        # glTF mandates +Y up (glTF 2.0 §3.4): trust it rather than risk laying a flat-backed
        # relief or stele on its back because its back is the largest flat area.
        up = "y"
    return OrientOptions(up=up, scale_factor=options.scale_factor, known_dimension=options.known_dimension)


@dataclass(frozen=True)
class _Written:
    levels: list[LevelOutput]  # in the recipe's order
    usdz: Path | None
    poster: Path | None


@dataclass(frozen=True)
class _Levels:
    """What every level of one run is written with."""

    recipe: Recipe
    options: RunOptions
    out_dir: Path
    diagonal: float  # of the cleaned, oriented scan
    shared_steps: int  # steps before the levels part ways (ingest to orient)
    textures: TextureWork


def _write_levels(
    scan: _Scan, recipe: Recipe, options: RunOptions, out_dir: Path, clock: _StageClock
) -> _Written:
    """Every level of ``recipe`` (with its USDZ and the poster) from the cleaned, oriented scan."""
    model = scan.model
    low, high = model.bounds()
    levels = _Levels(
        recipe=recipe,
        options=options,
        out_dir=out_dir,
        diagonal=float(np.linalg.norm(high.astype(np.float64) - low)),
        shared_steps=len(model.steps),
        textures=TextureWork(scan.background),
    )
    for spec in recipe.levels:  # the scan's own textures, made while the geometry is simplified
        if not _expects_rebake(recipe, spec.target_triangles, scan.uv_islands):
            levels.textures.prefetch(model, spec.texture_px, _texture_options(spec))
    level_share = (1.0 - sum(FIXED_STAGES.values()) - MANIFEST_SHARE) / len(recipe.levels)
    outputs: dict[int, LevelOutput] = {}
    usdz = None
    seam_kept: dict[DecimateOptions, DecimateResult] = {}
    # Levels sharing a target (and texture size, which a re-bake depends on) share the work.
    simplified: dict[tuple[DecimateOptions, int], DecimateResult] = {}
    # Largest first, so smaller levels can be simplified from an already simplified one.
    for i in sorted(range(len(recipe.levels)), key=lambda i: -recipe.levels[i].target_triangles):
        spec = recipe.levels[i]
        with clock.stage(f"level:{spec.name}", level_share):
            wanted = DecimateOptions(target_triangles=spec.target_triangles, max_error=spec.max_error)
            key = (wanted, spec.texture_px)
            if key not in simplified:
                # A level expected to be re-baked starts on the scan's textures only once it is
                # known not to be: on the seam-heavy mask they took 0.2 s beside the fit.
                def keep_textures(spec: LevelSpec = spec) -> None:
                    levels.textures.prefetch(model, spec.texture_px, _texture_options(spec))

                simplified[key] = _simplify(scan, wanted, spec.texture_px, recipe, seam_kept, keep_textures)
            outputs[i] = _write_level(simplified[key], spec, levels)
            if spec.name == recipe.usdz_level:
                from pipeline.usdz import write_usdz  # pxr takes a third of a second to import

                usdz = out_dir / f"{spec.name}.usdz"
                resized = levels.textures.resize(
                    simplified[key].model, spec.texture_px, _texture_options(spec)
                )
                write_usdz(resized, usdz)
    poster = None
    if recipe.poster_px:
        smallest = min(simplified.values(), key=lambda result: result.model.triangle_count).model
        with clock.stage("poster", 0.0):
            poster = out_dir / POSTER_NAME
            # An unlit scene is drawn with its captured colour only: the poster matches it.
            ambient = 1.0 if recipe.unlit else PosterOptions.ambient
            shading = PosterOptions(size=recipe.poster_px, ambient=ambient)
            image = render_poster(smallest, options=shading)
            image.save(poster, format="WEBP", quality=85, method=4)
    return _Written(levels=[outputs[i] for i in range(len(recipe.levels))], usdz=usdz, poster=poster)


def _texture_options(spec: LevelSpec) -> TextureOptions:
    return TextureOptions(format=spec.texture_format, quality=spec.texture_quality)


def _timed(function: Callable[..., _T], *args: Any) -> tuple[_T, float]:
    """``function(*args)`` and the seconds it took."""
    began = time.perf_counter()
    return function(*args), time.perf_counter() - began


def _write_level(decimated: DecimateResult, spec: LevelSpec, levels: _Levels) -> LevelOutput:
    recipe, options = levels.recipe, levels.options
    level_model = levels.textures.resize(decimated.model, spec.texture_px, _texture_options(spec))
    encode = EncodeOptions(
        geometry=options.geometry or spec.geometry,
        position_bits=recipe.position_bits,
        texture=_texture_options(spec),
        unlit=recipe.unlit,
    )
    level_model.steps.append(
        {
            "stage": "encode",
            "geometry": encode.geometry,
            "position_bits": encode.position_bits,
            "texture_format": spec.texture_format,
            "texture_px": spec.texture_px,
            "unlit": encode.unlit,
        }
    )
    measured = options.scale_factor is not None or options.known_dimension is not None
    written = write_glb(
        level_model,
        encode,
        xmp_packet(options.provenance, level_model.steps, spec.name, measured),
        levels.textures.encode,
    )
    path = levels.out_dir / f"{spec.name}.glb"
    path.write_bytes(written.data)
    texture_px = max(
        (
            max(m.base_color_texture.image.size)
            for m in level_model.materials
            if m.base_color_texture is not None
        ),
        default=0,
    )
    return LevelOutput(
        name=spec.name,
        path=path,
        triangles=written.triangles,
        bytes=len(written.data),
        error_m=decimated.error_m,
        error_pct_diag=100 * decimated.error_m / levels.diagonal if levels.diagonal > 0 else 0.0,
        texture_px=texture_px,
        gpu_bytes=written.gpu_bytes,
        geometry=encode.geometry,
        steps=level_model.steps[levels.shared_steps :],
    )


def _textured(model: Model) -> bool:
    return bool(model.materials) and all(
        p.uvs is not None and p.material is not None and model.materials[p.material].base_color_texture
        for p in model.primitives
    )


def _cascade_source(
    model: Model, wanted: DecimateOptions, ratio: float, done: dict[DecimateOptions, DecimateResult]
) -> DecimateResult:
    """The smallest seam-preserving result with at least ``ratio`` × the wanted triangles, or the
    scan itself: simplifying 500k triangles instead of 6M is 10× less work, and the error of the
    two steps adds up to at most the sum of both (returned as the result's error)."""
    bigger = [
        result
        for result in done.values()
        if ratio and ratio * wanted.target_triangles <= result.model.triangle_count < model.triangle_count
    ]
    return min(bigger, key=lambda r: r.model.triangle_count, default=DecimateResult(model=model, error_m=0.0))


class _Scan:
    """The cleaned, oriented scan, the run's ``background`` executor, the source's UV islands, an
    atlas process already started for the first re-bake (if one was expected), and (with ``fit``)
    the scan's planes for the fit stage, built there at once while the first level is simplified
    (a 6M-triangle scan's take about 3 s)."""

    def __init__(
        self, model: Model, background: Executor, fit: bool, uv_islands: int, spare: AtlasJob | None
    ) -> None:
        self.model = model
        self.background = background
        self.uv_islands = uv_islands
        self._spare = spare
        self._planes = background.submit(ScanPlanes, model) if fit else None
        self._bake_sources: IdentityCache[BakeSource] = IdentityCache()

    def atlas_job(self) -> AtlasJob:
        """The spare atlas process, then fresh ones."""
        job, self._spare = self._spare or AtlasJob(), None
        return job

    def bake_source(self, model: Model) -> BakeSource:
        """What a re-bake from ``model`` (the scan or a larger level) samples, made once per model."""
        from pipeline.bake import BakeSource

        return self._bake_sources.get(model, None, lambda: BakeSource(model))

    def fit(self, low: DecimateResult, options: FitOptions) -> DecimateResult:
        """``low`` moved onto the scan; its error the larger of the bound and what the fit measured."""
        if low.error_m <= 0:  # nothing was simplified
            return low
        assert self._planes is not None, "a scan made without fit has no planes"
        fitted = fit_to_surface(self._planes.result(), low.model, low.error_m, options)
        return DecimateResult(model=fitted.model, error_m=max(low.error_m, fitted.max_distance))


def _simplify(
    scan: _Scan,
    wanted: DecimateOptions,
    texture_px: int,
    recipe: Recipe,
    done: dict[DecimateOptions, DecimateResult],
    keep_textures: Callable[[], None],
) -> DecimateResult:
    """Seam-preserving decimation (from a larger level where ``recipe.cascade_above`` allows),
    then ``keep_textures``; on a textured scan where it would stall (as its UV islands foretell,
    see ``SEAM_FLOOR``) or does stall above ``recipe.rebake_above`` × the target (thousands of UV
    islands lock their borders), decimate ignoring seams and re-bake instead. With ``recipe.fit``
    the result's vertices are then moved onto the scan (sliding along it only before a re-bake,
    which maps the texture afresh)."""
    base = _cascade_source(scan.model, wanted, recipe.cascade_above, done)
    may_rebake = bool(recipe.rebake_above) and _textured(base.model)
    # A foretold re-bake is not confirmed by a seam-preserving decimation first: beside the
    # seam-free one it cost the seam-heavy mask 0.1 s of CPU for 32 000 triangles it would not use.
    if not (may_rebake and _expects_rebake(recipe, wanted.target_triangles, scan.uv_islands)):
        if wanted not in done:
            done[wanted] = _seam_kept(base, wanted)
        stalled = done[wanted].model.triangle_count > recipe.rebake_above * wanted.target_triangles
        if not (may_rebake and stalled):
            keep_textures()
            return scan.fit(done[wanted], FitOptions()) if recipe.fit else done[wanted]
    with scan.atlas_job() as atlas:  # the spare child, or a fresh one started now
        low = _seam_free(base, wanted, atlas, texture_px)
        return _rebaked(scan, base, low, atlas, texture_px, recipe)


def _expects_rebake(recipe: Recipe, target_triangles: int, uv_islands: int) -> bool:
    """Whether seam-preserving decimation of a scan with ``uv_islands`` is expected to stop above
    ``recipe.rebake_above`` × the target (see ``SEAM_FLOOR``)."""
    return bool(recipe.rebake_above) and SEAM_FLOOR * uv_islands > recipe.rebake_above * target_triangles


def _seam_kept(base: DecimateResult, wanted: DecimateOptions) -> DecimateResult:
    step = decimate(base.model, wanted)
    return DecimateResult(model=step.model, error_m=base.error_m + step.error_m)


def _seam_free(
    base: DecimateResult, wanted: DecimateOptions, atlas: AtlasJob, texture_px: int
) -> DecimateResult:
    """``base`` decimated ignoring seams, with ``atlas`` started on the result."""
    from pipeline.bake import BakeOptions, start_atlas  # libigl: only for seam-heavy scans

    step = decimate_ignoring_seams(base.model, wanted)
    start_atlas(atlas, step.model, BakeOptions(size=texture_px))
    return DecimateResult(model=step.model, error_m=base.error_m + step.error_m)


def _rebaked(
    scan: _Scan, base: DecimateResult, low: DecimateResult, atlas: AtlasJob, texture_px: int, recipe: Recipe
) -> DecimateResult:
    """``low`` (with ``recipe.fit``, fitted to the scan) on its atlas, colour baked from ``base``.

    The atlas child has a core to itself meanwhile: this thread fits ``low`` with a one-thread
    search of the scan, then builds the bake's closest-point index (libigl holds the GIL while it
    builds). With the build on the second thread and the fit searching on both cores, all three
    took turns with xatlas: in a trace of the seam-heavy mask its atlas took 0.85 s, 0.56–0.73 s now."""
    from pipeline.bake import BakeOptions, rebake

    if recipe.fit:
        # One search of the scan: a second took 0.19 s of the seam-heavy mask's 1.66 s to
        # bring its mean distance 1 % closer.
        low = scan.fit(low, FitOptions(slide=True, workers=1))
    source = scan.bake_source(base.model)
    baked = rebake(source, low.model, atlas.result(), options=BakeOptions(size=texture_px))
    return DecimateResult(model=baked, error_m=low.error_m)


def _manifest(
    recipe: Recipe,
    options: RunOptions,
    main: str,
    digests: dict[str, str],
    inspect: InspectReport,
    model: Model,
    levels: list[LevelOutput],
    timings: dict[str, float],
) -> dict[str, Any]:
    """The run record: inputs (sha256), settings, steps, per-level figures, tool versions, timings."""
    return {
        "source": main,
        "inputs": {name: {"sha256": digest} for name, digest in sorted(digests.items())},
        "recipe": asdict(recipe),
        "options": asdict(options),
        "tools": tool_versions(),
        "inspect": asdict(inspect),
        "steps": model.steps,
        "levels": [{**asdict(level), "path": level.path.name} for level in levels],
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
    }
