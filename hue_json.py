"""JSON as the project reads it from uploads, requests and model files: strict RFC 8259.

Python's ``json`` accepts what other readers (a phone's ``JSON.parse``, PostgreSQL's jsonb)
refuse or choke on later: NaN and Infinity, escaped lone surrogates, integers too long to
convert, and it raises RecursionError on deep nesting. Here each is refused up front, so a bad
document never gets stored and served.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, NoReturn

from hue_errors import InvalidInput

# No field the project reads needs more; Python refuses to convert past 4 300 digits.
MAX_INTEGER_DIGITS = 40
_SURROGATE = re.compile("[\ud800-\udfff]")


class MalformedJson(InvalidInput):
    """A JSON text the project refuses; the message says why and where, without the file's name."""

    code = "malformed_json"


def parse_json(raw: bytes | str) -> Any:
    """The value of the JSON text ``raw`` (bytes: UTF-8, or UTF-16/32 as RFC 8259 §8.1 detection)."""
    try:
        value = json.loads(raw, parse_constant=_constant, parse_int=_integer, parse_float=_number)
    except UnicodeDecodeError as exc:
        raise MalformedJson(f"not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise MalformedJson(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise MalformedJson("JSON is nested too deeply") from None
    _check_strings(value)
    return value


def _constant(name: str) -> NoReturn:
    raise MalformedJson(f"{name} is not a JSON number (RFC 8259 §6): write a finite number")


def _integer(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INTEGER_DIGITS:
        raise MalformedJson(f"an integer has {digits} digits (at most {MAX_INTEGER_DIGITS})")
    return int(text)


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise MalformedJson(f"the number {text[:40]} is out of range (it is not a finite double)")
    return value


def _check_strings(value: Any) -> None:
    """Refuse lone surrogates (an unpaired ``\\ud800`` escape): no UTF-8 text can hold them."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str) and (found := _SURROGATE.search(item)):
            raise MalformedJson(
                f"the text {item[: found.start()][-30:]!r}… holds an unpaired surrogate "
                f"\\u{ord(found.group()):04x} (RFC 8259 §8.2): write the character as UTF-8"
            )
