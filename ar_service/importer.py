"""Importing a site from a folder: ``site.yaml`` (or ``site.json``) plus its model and marker files."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ar_service.jobs.queue import JobQueue, job_key
from ar_service.library import add_version, allocate_site_code, new_asset
from ar_service.models import AssetKind, AuditLog, Job, Scene, SceneState, SceneVersion, Site
from ar_service.models.site import TEXT_MAX_CHARS
from ar_service.settings import LANGUAGES
from ar_service.storage import Storage
from hue_errors import InvalidInput
from markers.qr import validate_short_code


def _texts(field: str) -> dict[str, Any]:
    """A text per language, each no longer than a site's ``field`` may be (the workspace's limit)."""
    return {
        "type": "object",
        "propertyNames": {"enum": list(LANGUAGES)},
        "additionalProperties": {"type": "string", "maxLength": TEXT_MAX_CHARS[field]},
    }


_VEC3 = {"type": "array", "items": {"type": "number"}, "minItems": 3, "maxItems": 3}
SITE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["slug", "names"],
    "properties": {
        "slug": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{1,78}[a-z0-9]$"},
        "code": {"type": "string", "pattern": "^[A-Za-z0-9]{4,16}$"},
        "names": _texts("names") | {"required": ["vi", "en"]},
        "descriptions": _texts("descriptions"),
        "latitude": {"type": "number", "minimum": -90, "maximum": 90},
        "longitude": {"type": "number", "minimum": -180, "maximum": 180},
        "model": {"type": "string"},
        "marker": {"type": "string"},
        "recipe": {"type": "string"},
        "provenance": {"type": "object"},
        "placement": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "translation": _VEC3,
                "rotation": {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4},
                "scale": {"type": "number", "exclusiveMinimum": 0},
                "marker_width_m": {"type": "number", "exclusiveMinimum": 0},
            },
        },
        "annotations": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "position", "text"],
                "properties": {
                    "id": {"type": "string"},
                    "position": _VEC3,
                    "normal": _VEC3,
                    "text": {"type": "object", "propertyNames": {"enum": list(LANGUAGES)}},
                },
            },
        },
    },
}


@dataclass(frozen=True)
class Imported:
    site: Site
    jobs: list[Job]


def read_site_spec(folder: Path) -> dict[str, Any]:
    """The folder's site description, validated; errors name the file and the field."""
    for name in ("site.yaml", "site.yml", "site.json"):
        path = folder / name
        if path.exists():
            break
    else:
        raise InvalidInput(f"import-site: {folder}: no site.yaml or site.json found")
    try:
        data = json.loads(path.read_text()) if path.suffix == ".json" else yaml.safe_load(path.read_text())
    except (ValueError, yaml.YAMLError) as exc:
        raise InvalidInput(f"import-site: {path.name}: not valid {path.suffix[1:].upper()}: {exc}") from None
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(SITE_SCHEMA).iter_errors(data))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise InvalidInput(f"import-site: {path.name}: {where}: {error.message}")
    for key in ("model", "marker"):
        if key in data:
            data[key] = _inside(folder, data[key], f"{path.name}: {key}")
    return dict(data)


def _inside(folder: Path, relative: str, what: str) -> Path:
    target = (folder / relative).resolve()
    if not target.is_relative_to(folder.resolve()):
        raise InvalidInput(f"import-site: {what}: {relative!r} points outside the site folder")
    if not target.exists():
        raise InvalidInput(f"import-site: {what}: {relative!r} does not exist")
    return target


def import_site(
    session: Session, storage: Storage, queue: JobQueue, folder: Path, *, publish: bool, actor_id: int | None
) -> Imported:
    """Create or update the site, store its files as new asset versions, queue their processing.

    With ``publish`` the new scene version is published at once (an admin's import);
    otherwise it waits in review like any upload.
    """
    spec = read_site_spec(folder)
    site = session.scalar(select(Site).where(Site.slug == spec["slug"]))
    if site is None:
        site = Site(
            slug=spec["slug"],
            code=validate_short_code(spec["code"]) if spec.get("code") else allocate_site_code(session),
        )
        session.add(site)
    site.names = spec["names"]
    site.descriptions = spec.get("descriptions", {})
    site.latitude = spec.get("latitude")
    site.longitude = spec.get("longitude")
    session.flush()

    jobs: list[Job] = []
    provenance = spec.get("provenance", {})
    version = SceneVersion(
        placement=spec.get("placement", {}), annotations=spec.get("annotations", []), created_by_id=actor_id
    )
    if "model" in spec:
        model = add_version(
            session,
            storage,
            new_asset(session, AssetKind.MODEL, spec["slug"], site.id),
            spec["model"],
            provenance=provenance,
            licence={"spdx": provenance.get("licence")},
        )
        version.model_version_id = model.id
        jobs.append(
            queue.enqueue(
                session,
                "model.process",
                {"asset_version_id": model.id, "recipe": spec.get("recipe", "web")},
                idempotency_key=job_key("model.process", model.id),
            )
        )
    if "marker" in spec:
        marker = add_version(
            session,
            storage,
            new_asset(session, AssetKind.MARKER, f"{spec['slug']} marker", site.id),
            spec["marker"],
            provenance=provenance,
            licence={"spdx": provenance.get("licence"), "attribution": provenance.get("attribution")},
        )
        version.marker_version_id = marker.id
        jobs.append(
            queue.enqueue(
                session,
                "marker.compile",
                {"asset_version_id": marker.id},
                idempotency_key=job_key("marker.compile", marker.id),
            )
        )
    if version.model_version_id or version.marker_version_id:
        _add_scene_version(session, site, version, publish=publish)
    session.add(
        AuditLog(
            actor_id=actor_id,
            action="site.import",
            target_type="site",
            target_id=site.id,
            details={"folder": folder.name, "publish": publish},
        )
    )
    return Imported(site=site, jobs=jobs)


def _add_scene_version(session: Session, site: Site, version: SceneVersion, *, publish: bool) -> None:
    scene = session.scalar(select(Scene).where(Scene.site_id == site.id).order_by(Scene.id))
    if scene is None:
        scene = Scene(site_id=site.id, title=site.text("names", "en"))
        session.add(scene)
        session.flush()
    latest = session.scalar(select(func.max(SceneVersion.number)).where(SceneVersion.scene_id == scene.id))
    version.scene = scene
    version.number = (latest or 0) + 1
    session.add(version)
    session.flush()
    if publish:
        for state in (SceneState.IN_REVIEW, SceneState.APPROVED, SceneState.PUBLISHED):
            version.move_to(state)
        if scene.published_version is not None:
            scene.published_version.move_to(SceneState.RETIRED)
        scene.published_version_id = version.id
