"""What changed between two scene versions: files (by hash), placement, and texts per language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from ar_service.models import AssetVersion, SceneVersion


@dataclass(frozen=True)
class Change:
    what: str  # "model", "placement.scale", "annotation tower · en · title", ...
    before: str
    after: str


def _file(session: Session, version_id: int | None) -> str:
    if version_id is None:
        return "—"
    found = session.get(AssetVersion, version_id)
    return (
        f"{found.filename} · sha256 {found.sha256[:12]}" if found is not None else f"#{version_id} (missing)"
    )


def _texts(annotations: list[Any]) -> dict[str, str]:
    flat: dict[str, str] = {}
    for annotation in annotations:
        for lang, entry in (annotation.get("text") or {}).items():
            for field, value in (entry or {}).items():
                flat[f"annotation {annotation.get('id', '?')} · {lang} · {field}"] = str(value)
        if "position" in annotation:
            flat[f"annotation {annotation.get('id', '?')} · position"] = str(annotation["position"])
    return flat


def _narration(narration: dict[str, Any]) -> dict[str, str]:
    return {
        f"narration · {lang} · {kind}": str(value)
        for lang, entry in narration.items()
        for kind, value in (entry or {}).items()
    }


def scene_diff(session: Session, old: SceneVersion | None, new: SceneVersion) -> list[Change]:
    """Every difference from ``old`` (None: nothing published yet) to ``new``, in a stable order."""
    changes: list[Change] = []
    for label, attribute in (("model", "model_version_id"), ("marker", "marker_version_id")):
        before = _file(session, getattr(old, attribute) if old else None)
        after = _file(session, getattr(new, attribute))
        if before != after:
            changes.append(Change(label, before, after))
    pairs = (
        (
            {f"placement.{k}": str(v) for k, v in (old.placement if old else {}).items()},
            {f"placement.{k}": str(v) for k, v in new.placement.items()},
        ),
        (_texts(old.annotations if old else []), _texts(new.annotations)),
        (_narration(old.narration if old else {}), _narration(new.narration)),
    )
    for before_map, after_map in pairs:
        for key in sorted(before_map.keys() | after_map.keys()):
            before, after = before_map.get(key, "—"), after_map.get(key, "—")
            if before != after:
                changes.append(Change(key, before, after))
    return changes
