"""From an HTTP upload to a draft scene version: stage, validate, then store (only when valid)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flask import request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ar_service.api.uploads import fetch_upload
from ar_service.bundles import Bundle, BundleLimits, StagedFile, stage_parts, stage_zip, validate_bundle
from ar_service.bundles.archive import copy_limited
from ar_service.bundles.problems import refuse
from ar_service.jobs.queue import job_key
from ar_service.library import add_version, new_asset
from ar_service.models import AssetKind, AssetVersion, AuditLog, Job, Scene, SceneVersion, Site, User
from ar_service.services import Services
from ar_service.settings import Settings

ZIP_TYPES = ("application/zip", "application/x-zip-compressed", "application/octet-stream")


def bundle_limits(settings: Settings) -> BundleLimits:
    """Limits from ``Settings.extra["bundle_limits"]`` (tests, deployments), else the defaults."""
    configured = settings.extra.get("bundle_limits")
    limits = configured if isinstance(configured, BundleLimits) else BundleLimits()
    return limits


def _multipart_parts() -> Iterator[tuple[str, IO[bytes]]]:
    if request.form:
        name = next(iter(request.form))
        raise refuse(name or "", "sent as a text field; send every file as a file part named by its path")
    for name, upload in request.files.items(multi=True):
        yield name or "", upload.stream


def receive_bundle(scratch: Path, limits: BundleLimits) -> dict[str, StagedFile]:
    """Stage the request's bundle (a zip body or multipart parts) under ``scratch``."""
    files = scratch / "bundle"
    files.mkdir()
    if request.mimetype == "multipart/form-data":
        return stage_parts(_multipart_parts(), files, limits)
    if request.mimetype in ZIP_TYPES:
        archive = scratch / "bundle.zip"
        copy_limited(request.stream, archive, "bundle.zip", limits.max_total_bytes, limits.max_total_bytes)
        return stage_zip(archive, files, limits)
    raise refuse(
        "",
        f"unsupported Content-Type {request.mimetype or 'none'!r} "
        "(send application/zip, or multipart/form-data with one part per file)",
    )


def check_bundle(site: Site, services: Services, scratch: Path) -> Bundle:
    limits = bundle_limits(services.settings)
    staged = receive_bundle(scratch, limits)
    return validate_bundle(staged, limits, lambda ref: fetch_upload(ref, site.id, scratch))


@dataclass(frozen=True)
class Stored:
    version: SceneVersion
    jobs: list[Job]


def _add_file(
    session: Session, services: Services, kind: AssetKind, site: Site, name: str, path: Path
) -> AssetVersion:
    asset = new_asset(session, kind, name, site.id)
    return add_version(session, services.storage, asset, path, provenance={"source": "bundle", "file": name})


def _model_source(bundle: Bundle, scratch: Path) -> Path:
    """A single file, or a folder of the model and the files it names (stored as a zip)."""
    model = bundle.model
    if not model.dependencies:
        return model.main.path
    folder = scratch / "model" / Path(model.main.name).stem
    for part in (model.main, *model.dependencies):
        target = folder / part.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(part.path, target)
    return folder


def store_bundle(
    session: Session, services: Services, site: Site, scene: Scene, bundle: Bundle, user: User, scratch: Path
) -> Stored:
    """Store the files as asset versions, add a draft scene version, and queue its processing jobs."""
    model_source = _model_source(bundle, scratch)
    model_asset = new_asset(session, AssetKind.MODEL, bundle.model.main.name, site.id)
    model = add_version(
        session,
        services.storage,
        model_asset,
        model_source,
        provenance={"source": "bundle", "file": bundle.model.main.name, "recipe": bundle.recipe},
    )
    marker = None
    if bundle.marker is not None:
        marker = _add_file(session, services, AssetKind.MARKER, site, bundle.marker.name, bundle.marker.path)
    narration: dict[str, dict[str, int]] = {}
    for lang, entry in bundle.narration.items():
        audio = _add_file(session, services, AssetKind.AUDIO, site, entry.audio.name, entry.audio.path)
        narration[lang] = {"audio": audio.id}
        if entry.captions is not None:
            captions = _add_file(
                session, services, AssetKind.CAPTIONS, site, entry.captions.name, entry.captions.path
            )
            narration[lang]["captions"] = captions.id
    number = (
        session.scalar(select(func.max(SceneVersion.number)).where(SceneVersion.scene_id == scene.id)) or 0
    ) + 1
    version = SceneVersion(
        scene=scene,
        number=number,
        model_version_id=model.id,
        marker_version_id=marker.id if marker else None,
        placement=bundle.placement,
        annotations=bundle.annotations,
        narration=narration,
        created_by_id=user.id,
    )
    session.add(version)
    session.flush()
    jobs = [
        services.queue.enqueue(
            session,
            "model.process",
            {"asset_version_id": model.id, "recipe": bundle.recipe},
            idempotency_key=job_key("model.process", model.id),
        )
    ]
    if marker is not None:
        jobs.append(
            services.queue.enqueue(
                session,
                "marker.compile",
                {"asset_version_id": marker.id},
                idempotency_key=job_key("marker.compile", marker.id),
            )
        )
    session.add(
        AuditLog(
            actor_id=user.id,
            action="scene.upload",
            target_type="scene_version",
            target_id=version.id,
            details={
                "scene": scene.id,
                "number": number,
                "site": site.slug,
                "jobs": [job.id for job in jobs],
            },
        )
    )
    return Stored(version, jobs)


def version_jobs(session: Session, version: SceneVersion) -> list[Job]:
    keys = []
    if version.model_version_id:
        keys.append(job_key("model.process", version.model_version_id))
    if version.marker_version_id:
        keys.append(job_key("marker.compile", version.marker_version_id))
    if not keys:
        return []
    return list(session.scalars(select(Job).where(Job.idempotency_key.in_(keys)).order_by(Job.id)))
