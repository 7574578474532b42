"""Job handlers that turn uploads into what tourists download: glTF LODs, USDZ, poster, targets.

Thin wrappers: fetch the stored source, call ``pipeline`` or ``markers`` in a child process
(``isolation``, under the job's time limit), store the outputs content-addressed (so a re-run
after a crash rewrites identical objects) and record them on the asset version.
"""

from __future__ import annotations

import dataclasses
import gzip
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ar_service.jobs.registry import JobContext, handler
from ar_service.media_types import content_type_for
from ar_service.models import AssetVersion
from ar_service.storage import Storage
from ar_service.storage.base import object_suffix
from hue_errors import NotFound
from markers.images import load_image
from markers.mind.compile import compile_targets
from markers.score import score_image
from pipeline import Provenance, RunOptions, run_pipeline


def _fetch(storage: Storage, version: AssetVersion, folder: Path) -> Path:
    target = folder / version.filename
    with storage.open(version.storage_key) as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst, 1024 * 1024)
    return target


def _load(context: JobContext, version_id: int) -> tuple[AssetVersion, dict[str, Any]]:
    with context.session() as session:
        version = session.get(AssetVersion, version_id)
        if version is None:
            raise NotFound(f"asset version {version_id} no longer exists")
        session.expunge(version)
        return version, dict(version.provenance)


def _provenance(recorded: dict[str, Any]) -> Provenance:
    """The pipeline's provenance from what the curator recorded on the asset version."""
    creator = recorded.get("creator") or ()
    return Provenance(
        title=recorded.get("title"),
        creator=(creator,) if isinstance(creator, str) else tuple(creator),
        licence=recorded.get("licence"),
        attribution=recorded.get("attribution"),
        source=recorded.get("source"),
        capture=recorded.get("capture") or {},
    )


def _store(storage: Storage, path: Path) -> dict[str, Any]:
    stored = storage.put(path, content_type=content_type_for(path.name), suffix=object_suffix(path.name))
    return {"key": stored.key, "bytes": stored.size}


def _record(context: JobContext, version_id: int, derivatives: dict[str, Any]) -> None:
    with context.session() as session:
        version = session.get(AssetVersion, version_id)
        if version is None:
            raise NotFound(f"asset version {version_id} no longer exists")
        version.derivatives = derivatives


@handler("model.process")
def process_model(context: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Run the pipeline recipe on a model version and record its LODs, USDZ and poster."""
    version_id = int(payload["asset_version_id"])
    version, provenance = _load(context, version_id)
    with tempfile.TemporaryDirectory(prefix=f"hue-ar-job{context.job_id}-") as scratch:
        folder = Path(scratch)
        source = _fetch(context.storage, version, folder)
        context.progress("fetch", 0.02)
        result = context.in_child(
            "pipeline",
            run_pipeline,
            source,
            folder / "out",
            recipe=str(payload.get("recipe", "web")),
            options=RunOptions(provenance=_provenance(provenance)),
            progress=lambda stage, fraction: context.progress(stage, 0.02 + 0.9 * fraction),
            scratch=folder,
        )
        context.progress("store", 0.93)
        levels = []
        for level in result.levels:
            entry = _store(context.storage, level.path)
            levels.append(
                entry
                | {
                    "level": level.name,
                    "triangles": level.triangles,
                    "error_m": level.error_m,
                    "error_pct_diag": level.error_pct_diag,
                    "texture_px": level.texture_px,
                    "gpu_bytes": level.gpu_bytes,
                    "compression": None if level.geometry == "none" else level.geometry,
                }
            )
        derivatives: dict[str, Any] = {"levels": levels, "manifest": _store(context.storage, result.manifest)}
        if result.usdz is not None:
            derivatives["usdz"] = _store(context.storage, result.usdz)
        if result.poster is not None:
            derivatives["poster"] = _store(context.storage, result.poster)
    _record(context, version_id, derivatives)
    return {"asset_version_id": version_id, "levels": [level["level"] for level in levels]}


@handler("marker.compile")
def compile_marker(context: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Score a marker image and compile its MindAR tracking target."""
    version_id = int(payload["asset_version_id"])
    version, _ = _load(context, version_id)
    with tempfile.TemporaryDirectory(prefix=f"hue-ar-job{context.job_id}-") as scratch:
        folder = Path(scratch)
        image = _fetch(context.storage, version, folder)
        context.progress("compile", 0.1)
        target = folder / "target.mind.gz"
        report = context.in_child("markers", _score_and_compile, image, target, scratch=folder)
        derivatives = {"mind": _store(context.storage, target), "score": report}
    _record(context, version_id, derivatives)
    return {"asset_version_id": version_id, "score": report["score"]}


def _score_and_compile(image: Path, target: Path) -> dict[str, Any]:
    """The marker's trackability report; its MindAR target written to ``target``, gzip-encoded:
    FREAK descriptors are random bits, but key names and the tracking images compress, to about
    60 % of the file, and the target is on the path to the first AR frame."""
    report = score_image(load_image(image).gray)
    target.write_bytes(gzip.compress(compile_targets([image]), compresslevel=9, mtime=0))
    return dataclasses.asdict(report)
