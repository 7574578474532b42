"""The least work a WSGI app can do: the scene manifest's bytes from memory, no framework.

The load benchmark serves it with the same gunicorn settings as the service, so its row shows
what gunicorn itself allows on the machine: the ceiling of any Python app served this way.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

BODY = Path(os.environ["HUE_AR_CEILING_BODY"]).read_bytes()
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", HEADERS)
    return [BODY]
