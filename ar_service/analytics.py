"""Cookie-free visit counting: events keep a coarse device class and nothing that identifies a person."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ar_service.models import EventKind

_TABLET = re.compile(r"iPad|Tablet|Android(?!.*Mobile)", re.IGNORECASE)
_MOBILE = re.compile(r"Mobi|iPhone|iPod|Android", re.IGNORECASE)
_OS = (
    ("ios", re.compile(r"iPhone|iPad|iPod")),
    ("android", re.compile(r"Android")),
    ("windows", re.compile(r"Windows")),
    ("macos", re.compile(r"Mac OS X")),
    ("linux", re.compile(r"Linux|CrOS")),
)
_FORMS = ("mobile", "tablet", "desktop")
# Every class either side names: the viewer's deviceClass (web/src/environment.js) and device_class.
DEVICE_CLASSES = frozenset(
    {"other"} | {f"{form}-{system}" for form in _FORMS for system in [*(name for name, _ in _OS), "other"]}
)


def device_class(user_agent: str) -> str:
    """ "mobile-android", "tablet-ios", "desktop-windows"… from a User-Agent; the UA itself is not kept."""
    if not user_agent:
        return "other"
    form = "tablet" if _TABLET.search(user_agent) else "mobile" if _MOBILE.search(user_agent) else "desktop"
    system = next((name for name, pattern in _OS if pattern.search(user_agent)), "other")
    return f"{form}-{system}"


def visit_row(
    site_id: int, kind: EventKind, *, language: str, device: str, detail: str = ""
) -> dict[str, Any]:
    """One visit event for ``site_id`` as a scan_events row (see ``VisitWriter``); ``device`` is
    a device class (``device_class``)."""
    return {
        "site_id": site_id,
        "day": dt.datetime.now(dt.UTC).date(),
        "kind": kind,
        "language": language[:8],
        "device_class": device,
        "detail": detail[:40],
    }
