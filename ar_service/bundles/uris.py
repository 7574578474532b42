"""Resolving URIs found inside model files: relative paths in the bundle, or small data: URIs only."""

from __future__ import annotations

import base64
import binascii
import posixpath
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import unquote

from ar_service.bundles.problems import refuse

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_DATA = re.compile(r"^data:(?P<type>[\w.+-]+/[\w.+-]+)?(?P<params>(;[^,;]*)*?);base64,(?P<data>.*)$", re.S)


@dataclass(frozen=True)
class Reference:
    """Where a URI points: a file of the bundle, or bytes embedded in a data: URI."""

    path: str | None = None
    data: bytes | None = None
    media_type: str | None = None


def resolve_uri(owner: str, where: str, uri: str, max_data_bytes: int) -> Reference:
    """Resolve ``uri`` found in bundle file ``owner`` at ``where`` ("buffer 0"); never fetches anything.

    glTF 2.0 §3.9.3 allows relative paths and data: URIs; any other scheme (http:, file:, …)
    is refused so that a model cannot make the server fetch a URL (SSRF) or read a local file.
    """
    if uri.startswith("data:"):
        match = _DATA.match(uri)
        if match is None:
            raise refuse(owner, f"{where}: data: URI is not base64-encoded")
        encoded = match["data"]
        if len(encoded) * 3 // 4 > max_data_bytes:
            raise refuse(
                owner,
                f"{where}: data: URI holds about {len(encoded) * 3 // 4} bytes (at most {max_data_bytes}; "
                "put large data in a file of the bundle)",
                too_large=True,
            )
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise refuse(owner, f"{where}: data: URI is not valid base64") from None
        return Reference(data=data, media_type=match["type"])
    if _SCHEME.match(uri) or uri.startswith("//"):
        raise refuse(
            owner,
            f"{where}: URI {uri[:80]!r} points outside the bundle "
            "(only relative paths and data: URIs are allowed; nothing is fetched)",
        )
    path = unquote(uri.split("#", 1)[0].split("?", 1)[0])
    if path.startswith("/"):
        raise refuse(owner, f"{where}: URI {uri[:80]!r} is an absolute path (must be relative to {owner})")
    if "\\" in path:
        raise refuse(owner, f"{where}: URI {uri[:80]!r} holds a backslash (a URI separates folders with '/')")
    joined = _inside(owner, path)
    if joined is None or path == "":
        raise refuse(owner, f"{where}: URI {uri[:80]!r} leaves the bundle")
    return Reference(path=joined)


def resolve_name(owner: str, what: str, name: str) -> str:
    """The bundle file a plain file name in OBJ or MTL file ``owner`` points to, as the pipeline's
    reader resolves it: not a URI (nothing is percent-decoded, '#' and '?' are part of the name),
    and a backslash, as Windows exporters write, separates folders."""
    path, shown = name.replace("\\", "/"), repr(name[:80])
    if path.startswith("/") or ":" in name.split("/")[0]:
        raise refuse(owner, f"{what} {shown} is an absolute path or a URL (must be relative to {owner})")
    joined = _inside(owner, path)
    if joined is None:
        raise refuse(owner, f"{what} {shown} leaves the bundle")
    return joined


def _inside(owner: str, path: str) -> str | None:
    """The bundle name ``path`` (relative to ``owner``'s folder) stands for, composed as staged
    names are (check_name); None where it leaves the bundle."""
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(owner), path))
    return None if joined.startswith("../") or joined == ".." else unicodedata.normalize("NFC", joined)
