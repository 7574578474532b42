"""The JSON object a request carries, parsed strictly (``hue_json``) whatever its Content-Type."""

from __future__ import annotations

from typing import Any

from flask import request

from hue_errors import InvalidInput, TooLarge
from hue_json import MalformedJson, parse_json


def json_object(what: str, example: str, max_bytes: int | None = None) -> dict[str, Any]:
    """The body as a JSON object of at most ``max_bytes`` (no more is read: a public endpoint must
    not buffer a stranger's gigabyte); refusals start with ``what`` and show ``example``."""
    if max_bytes is None:
        raw = request.get_data(cache=False)
    elif (request.content_length or 0) > max_bytes or len(
        raw := request.stream.read(max_bytes + 1)
    ) > max_bytes:
        raise TooLarge(f"{what}: the body is over {max_bytes} bytes (at most {max_bytes})")
    try:
        data = parse_json(raw or b"null")
    except MalformedJson as exc:
        raise InvalidInput(f"{what}: the body is not JSON: {exc.message} (expected {example})") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{what}: expected a JSON object {example}")
    return data
