"""The JSON object a request carries, parsed strictly (``hue_json``) whatever its Content-Type."""

from __future__ import annotations

from typing import Any

from flask import request

from hue_errors import InvalidInput
from hue_json import MalformedJson, parse_json


def json_object(what: str, example: str, max_bytes: int | None = None) -> dict[str, Any]:
    """The body as a JSON object of at most ``max_bytes``; refusals start with ``what`` and show
    ``example``."""
    raw = request.get_data(cache=False)
    if max_bytes is not None and len(raw) > max_bytes:
        raise InvalidInput(f"{what}: body is {len(raw)} bytes (at most {max_bytes})")
    try:
        data = parse_json(raw or b"null")
    except MalformedJson as exc:
        raise InvalidInput(f"{what}: the body is not JSON: {exc.message} (expected {example})") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{what}: expected a JSON object {example}")
    return data
