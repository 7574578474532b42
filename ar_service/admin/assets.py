"""Asset library: upload a scan (queues the pipeline), inspect every LOD, edit licence and credits."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import jsonify, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from ar_service.admin import STAFF, bp
from ar_service.admin.actor import audit
from ar_service.auth import roles_required
from ar_service.bundles import BundleInvalid
from ar_service.bundles.archive import check_name
from ar_service.bundles.sniff import Kind, sniff
from ar_service.jobs.queue import job_key
from ar_service.library import add_version, new_asset
from ar_service.models import Asset, AssetKind, AssetVersion, Job, Site
from ar_service.models.base import parse_id
from ar_service.services import db, services
from hue_errors import InvalidInput, NotFound

# What a photogrammetry upload may be: a zipped capture folder or a single mesh file.
# What each kind of upload holds, by its first bytes.
MODEL_KINDS = {".zip": Kind.ZIP, ".glb": Kind.GLB, ".gltf": Kind.TEXT, ".obj": Kind.TEXT, ".ply": Kind.PLY}
MODEL_SUFFIXES = tuple(MODEL_KINDS)
RECIPE = "web"


@dataclass(frozen=True)
class Level:
    """One LOD row as the library page shows it."""

    level: str
    key: str
    triangles: int | None
    bytes: int | None
    error_m: float | None
    error_pct_diag: float | None
    texture_px: int | None
    gpu_bytes: int | None


def levels(version: AssetVersion) -> list[Level]:
    found: list[dict[str, Any]] = (version.derivatives or {}).get("levels", [])
    return [
        Level(
            level=str(entry.get("level", "")),
            key=str(entry.get("key", "")),
            triangles=entry.get("triangles"),
            bytes=entry.get("bytes"),
            error_m=entry.get("error_m"),
            error_pct_diag=entry.get("error_pct_diag"),
            texture_px=entry.get("texture_px"),
            gpu_bytes=entry.get("gpu_bytes"),
        )
        for entry in found
    ]


def _version(version_id: int) -> AssetVersion:
    version = db().get(AssetVersion, version_id)
    if version is None:
        raise NotFound(f"asset version {version_id} does not exist")
    return version


@bp.get("/assets")
@roles_required(*STAFF)
def assets_list() -> str:
    session = db()
    assets = list(session.scalars(select(Asset).order_by(Asset.created_at.desc())))
    sites = list(session.scalars(select(Site).order_by(Site.slug)))
    return render_template("admin/assets.html", assets=assets, sites=sites, suffixes=MODEL_SUFFIXES)


@bp.post("/assets")
@roles_required(*STAFF)
def asset_upload() -> Response:
    upload, filename = _uploaded_file()
    suffix = Path(filename).suffix.lower()
    if suffix not in MODEL_SUFFIXES:
        raise InvalidInput(
            f"file: {filename}: {suffix or 'no suffix'} is not one of {', '.join(MODEL_SUFFIXES)}"
        )
    session = db()
    site_id = request.form.get("site_id", type=parse_id)
    if site_id is None and request.form.get("site_id"):
        raise InvalidInput("site_id: choose one of the sites, or none for a shared asset")
    if site_id is not None and session.get(Site, site_id) is None:
        raise NotFound(f"site {site_id} does not exist")
    licence = {"spdx": request.form.get("licence", "").strip() or None}
    provenance = {"creator": [c.strip() for c in request.form.get("credits", "").split(";") if c.strip()]}
    name = request.form.get("name", "").strip() or Path(filename).stem
    storage, queue = services().storage, services().queue
    with tempfile.TemporaryDirectory(prefix="hue-ar-admin-") as scratch:
        path = Path(scratch) / filename
        upload.save(path)
        if path.stat().st_size == 0 or (found := sniff(path)) is not MODEL_KINDS[suffix]:
            what = "empty" if path.stat().st_size == 0 else f"{found.value}, not {MODEL_KINDS[suffix].value}"
            raise InvalidInput(f"file: {filename} is {what}: choose the scan's own file")
        asset = new_asset(session, AssetKind.MODEL, name, site_id)
        version = add_version(session, storage, asset, path, provenance=provenance, licence=licence)
    job = queue.enqueue(
        session,
        "model.process",
        {"asset_version_id": version.id, "recipe": RECIPE},
        idempotency_key=job_key("model.process", version.id),
    )
    audit(session, "asset.upload", "asset_version", version.id, filename=filename, job_id=job.id)
    session.commit()
    return redirect(url_for("admin.asset_version", version_id=version.id, job=job.id))


def _uploaded_file() -> tuple[FileStorage, str]:
    """The uploaded file and its own name, in its own script ('Lăng Tự Đức.zip': werkzeug's
    secure_filename gives 'Lang_Tu_uc.zip'), composed (NFC); of a path, its last part. It names
    the stored version; the storage key is its digest."""
    upload = request.files.get("file")
    name = (upload.filename or "") if upload is not None else ""
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if upload is None or not name:
        raise InvalidInput(
            "file: choose a photogrammetry file (zip of the capture folder, GLB, glTF, OBJ or PLY)"
        )
    try:
        return upload, check_name(name)
    except BundleInvalid as exc:
        raise InvalidInput(f"file: {exc.message}") from None


@bp.get("/assets/versions/<int:version_id>")
@roles_required(*STAFF)
def asset_version(version_id: int) -> str:
    version = _version(version_id)
    job = db().get(Job, request.args.get("job", type=parse_id) or 0)
    poster = (version.derivatives or {}).get("poster")
    return render_template(
        "admin/asset_version.html", version=version, levels=levels(version), job=job, poster=poster
    )


@bp.post("/assets/versions/<int:version_id>/licence")
@roles_required(*STAFF)
def asset_licence(version_id: int) -> Response:
    """Licence and credits are metadata, not content, so they may change on an immutable version."""
    version = _version(version_id)
    session = db()
    licence = request.form.get("licence", "").strip()
    credits = [c.strip() for c in request.form.get("credits", "").split(";") if c.strip()]
    version.licence = {**version.licence, "spdx": licence or None}
    version.provenance = {**version.provenance, "creator": credits}
    audit(session, "asset.licence", "asset_version", version.id, licence=licence, credits=credits)
    session.commit()
    return redirect(url_for("admin.asset_version", version_id=version.id))


@bp.get("/jobs/<int:job_id>.json")
@roles_required(*STAFF)
def job_status(job_id: int) -> Response:
    job = db().get(Job, job_id)
    if job is None:
        raise NotFound(f"job {job_id} does not exist")
    return jsonify(
        {
            "id": job.id,
            "kind": job.kind,
            "state": job.state,
            "progress": job.progress,
            "stage": job.stage,
            "done": job.done,
            "error_code": job.error_code,
            "error_message": job.error_message,
        }
    )
