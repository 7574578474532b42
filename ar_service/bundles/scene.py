"""scene.json: JSON Schema validation (published at /api/v1/schema/scene.json) and language completeness."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

from ar_service.bundles.problems import BundleInvalid, Problem, refuse
from hue_json import MalformedJson, parse_json

SCENE_FILE = "scene.json"


@cache
def scene_schema() -> dict[str, Any]:
    """The published JSON Schema (draft 2020-12) of scene.json."""
    schema: dict[str, Any] = json.loads(
        resources.files("ar_service.schemas").joinpath("scene.json").read_text()
    )
    return schema


def _message(error: jsonschema.ValidationError) -> str:
    """The validator's message, or for a failed pattern, what the schema says it allows
    (``x-message``: the words beside the regular expression)."""
    words = error.schema.get("x-message") if isinstance(error.schema, dict) else None
    if error.validator == "pattern" and words:
        return f"{error.instance!r} is not {words}"
    return str(error.message)


def _pointer(path: Any) -> str:
    """A JSON path a person can read: annotations[0].text.en."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


def parse_scene(raw: bytes) -> dict[str, Any]:
    """The scene document if it is JSON that follows the schema; every violation is listed."""
    try:
        doc = parse_json(raw)
    except MalformedJson as exc:
        raise refuse(SCENE_FILE, exc.message) from None
    validator = jsonschema.Draft202012Validator(scene_schema())
    errors = sorted(validator.iter_errors(doc), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    if errors:
        raise BundleInvalid(
            [Problem(SCENE_FILE, f"{_pointer(e.absolute_path)}: {_message(e)}") for e in errors[:50]]
        )
    assert isinstance(doc, dict)
    _check_languages(doc)
    return doc


def _check_languages(doc: dict[str, Any]) -> None:
    """Every text and narration exists in each declared language, and in no other."""
    declared = list(doc["languages"])
    problems = []

    def compare(where: str, present: set[str]) -> None:
        for lang in declared:
            if lang not in present:
                problems.append(
                    Problem(SCENE_FILE, f"{where}: missing translation for declared language '{lang}'")
                )
        for lang in sorted(present - set(declared)):
            problems.append(
                Problem(SCENE_FILE, f"{where}: language '{lang}' is not declared in 'languages' {declared}")
            )

    for i, note in enumerate(doc.get("annotations", [])):
        compare(f"annotations[{i}].text", set(note["text"]))
    if "narration" in doc:
        compare("narration", set(doc["narration"]))
    ids = [note["id"] for note in doc.get("annotations", [])]
    for duplicate in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(Problem(SCENE_FILE, f"annotations: id '{duplicate}' is used more than once"))
    if problems:
        raise BundleInvalid(problems)
