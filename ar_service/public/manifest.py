"""The scene manifest: everything the viewer needs for one site, with byte sizes and URLs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ar_service.localised import Localised, localised
from ar_service.models import AssetVersion, Scene, SceneVersion, Site, utcnow

FileUrl = Callable[[str], str]


def published_version(session: Session, site: Site) -> SceneVersion | None:
    """The scene version tourists see now: published, and inside its publication window if it has one."""
    now = utcnow()
    scenes = session.scalars(
        select(Scene)
        .where(Scene.site_id == site.id, Scene.published_version_id.is_not(None))
        .order_by(Scene.id)
    ).all()
    for scene in reversed(scenes):
        version = scene.published_version
        if version is None:
            continue
        if version.publish_from and now < version.publish_from:
            continue
        if version.publish_until and now >= version.publish_until:
            continue
        return version
    return None


def _file(entry: dict[str, Any] | None, file_url: FileUrl, **extra: Any) -> dict[str, Any] | None:
    if not entry:
        return None
    return {"url": file_url(entry["key"]), "bytes": entry["bytes"], **extra}


def build_manifest(session: Session, site: Site, language: str, file_url: FileUrl) -> dict[str, Any]:
    """The manifest for ``site`` in ``language``; ``scene`` is null when nothing is published."""
    return version_manifest(session, site, published_version(session, site), language, file_url)


def version_manifest(
    session: Session, site: Site, version: SceneVersion | None, language: str, file_url: FileUrl
) -> dict[str, Any]:
    """The manifest showing ``version`` of a scene of ``site`` (published or not: previews use it).
    Each text and the narration are the ones a reader of ``language`` is given
    (``ar_service.localised``), with the language they are in."""
    name = site.in_language("names", language)
    manifest: dict[str, Any] = {
        "site": {
            "slug": site.slug,
            "code": site.code,
            "name": name.value,
            "name_language": name.language,
            "language": language,
        },
        "scene": None,
        "pack": {"urls": [], "bytes": 0},
    }
    if version is None:
        return manifest
    model = session.get(AssetVersion, version.model_version_id) if version.model_version_id else None
    marker = session.get(AssetVersion, version.marker_version_id) if version.marker_version_id else None
    derived = (model.derivatives or {}) if model else {}
    levels = [
        {
            "level": level["level"],
            "url": file_url(level["key"]),
            "bytes": level["bytes"],
            "triangles": level.get("triangles"),
            "compression": level.get("compression"),
        }
        for level in derived.get("levels", [])
    ]
    marker_entry = None
    if marker is not None and marker.derivatives and "mind" in marker.derivatives:
        marker_entry = _file(
            marker.derivatives["mind"],
            file_url,
            image_url=file_url(marker.storage_key),
            width_m=float(version.placement.get("marker_width_m", 0.2)),
        )
        if marker_entry is not None:
            marker_entry["target_url"] = marker_entry.pop("url")
    narration = localised(version.narration, language) or Localised(language, {})
    recorded = narration.value
    audio = session.get(AssetVersion, recorded["audio"]) if recorded.get("audio") else None
    captions = session.get(AssetVersion, recorded["captions"]) if recorded.get("captions") else None
    annotations = []
    for note in version.annotations:
        text = localised(note.get("text", {}), language) or Localised(language, {})
        annotations.append(
            {
                "id": note["id"],
                "position": note["position"],
                "normal": note.get("normal", [0, 0, 1]),
                "title": text.value.get("title", ""),
                "text": text.value.get("text", ""),
                "language": text.language,
            }
        )
    scene: dict[str, Any] = {
        "version": version.number,
        "placement": {
            "translation": version.placement.get("translation", [0, 0, 0]),
            "rotation": version.placement.get("rotation", [0, 0, 0, 1]),
            "scale": version.placement.get("scale", 1.0),
        },
        "models": levels,
        "usdz": _file(derived.get("usdz"), file_url),
        "poster": _file(derived.get("poster"), file_url),
        "marker": marker_entry,
        "annotations": annotations,
        "audio": {
            "url": file_url(audio.storage_key),
            "type": audio.content_type,
            "bytes": audio.byte_size,
            "language": narration.language,
        }
        if audio
        else None,
        "captions": {"url": file_url(captions.storage_key), "language": narration.language}
        if captions
        else None,
        "alt": name.value,
    }
    manifest["scene"] = scene
    files: list[dict[str, Any] | None] = [
        *levels,
        scene["usdz"],
        scene["poster"],
        scene["audio"],
        scene["captions"],
    ]
    urls = [f["url"] for f in files if f]
    if marker_entry:
        urls.append(marker_entry["target_url"])
    manifest["pack"] = {
        "urls": urls,
        "bytes": sum(f.get("bytes", 0) for f in files if f) + (marker_entry["bytes"] if marker_entry else 0),
    }
    return manifest
