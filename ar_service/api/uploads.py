"""Large files outside the bundle: ask for an upload, send the bytes, then name it in scene.json.

``POST /api/v1/uploads`` returns a ticket. With S3 storage the client sends the file straight
to the bucket with a presigned POST; with local storage it PUTs it to
``/api/v1/uploads/<id>``, which streams to disk in chunks, enforces the size as it goes,
and resumes an interrupted transfer from a Content-Range.
The ticket id is signed (itsdangerous), so no table is needed: it names the site, the token,
the file name and the exact size. A bundle then refers to the file as ``upload:<id>``.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from flask import current_app, jsonify, request, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from ar_service.api.body import json_object
from ar_service.api.scope import caller, site_in_scope
from ar_service.api.views import bp
from ar_service.auth import token_required
from ar_service.bundles import UPLOAD_PREFIX, BundleInvalid, StagedFile
from ar_service.bundles.archive import CHUNK_BYTES, check_name
from ar_service.bundles.problems import refuse
from ar_service.media_types import content_type_for
from ar_service.services import services
from hue_errors import Conflict, Forbidden, InvalidInput, NotFound, TooLarge

UPLOAD_TTL = dt.timedelta(hours=24)
UPLOAD_SUFFIXES = (
    ".glb",
    ".gltf",
    ".obj",
    ".ply",
    ".bin",
    ".png",
    ".jpg",
    ".jpeg",
    ".webp",
    ".mp3",
    ".ogg",
    ".vtt",
)
_SALT = "hue-ar-upload"
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


@dataclass(frozen=True)
class Ticket:
    """What a signed upload id promises: who may send which file of what size for which site."""

    slot: str  # random, names the staged object
    site_id: int
    token_id: int
    filename: str
    size: int

    @property
    def staging_key(self) -> str:
        """The object key in a bucket (keys allow fewer characters than file names)."""
        return f"uploads/{self.slot}{PurePosixPath(self.filename).suffix.lower()}"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def _sign(ticket: Ticket) -> str:
    return str(
        _serializer().dumps([ticket.slot, ticket.site_id, ticket.token_id, ticket.filename, ticket.size])
    )


def read_ticket(upload_id: str) -> Ticket:
    try:
        slot, site_id, token_id, filename, size = _serializer().loads(
            upload_id, max_age=int(UPLOAD_TTL.total_seconds())
        )
    except SignatureExpired:
        raise NotFound(f"upload {upload_id[:12]}…: expired (uploads are kept {UPLOAD_TTL})") from None
    except (BadSignature, ValueError, TypeError):
        raise NotFound(f"upload {upload_id[:12]}…: unknown upload id") from None
    return Ticket(str(slot), int(site_id), int(token_id), str(filename), int(size))


def _staging_path(ticket: Ticket) -> Path:
    return services().settings.instance_path / "uploads" / ticket.slot / ticket.filename


def _field(data: dict[str, Any], name: str, kind: type) -> Any:
    value = data.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise InvalidInput(f"uploads: '{name}' must be a {kind.__name__}")
    return value


@bp.post("/uploads")
@token_required
def create_upload() -> tuple[Response, int]:
    """Reserve an upload of one large file for a site; returns where and how to send it."""
    data = json_object("uploads", '{"site": slug, "filename": name, "bytes": size}')
    site = site_in_scope(_field(data, "site", str))
    filename = _field(data, "filename", str)
    size = _field(data, "bytes", int)
    try:
        check_name(filename)
    except BundleInvalid as exc:
        raise InvalidInput(f"uploads: filename {exc.message}") from None
    if (
        "/" in filename
        or len(filename) > 100
        or PurePosixPath(filename).suffix.lower() not in UPLOAD_SUFFIXES
    ):
        raise InvalidInput(
            "uploads: filename must be a plain name of at most 100 characters ending in one of "
            + ", ".join(UPLOAD_SUFFIXES)
        )
    limit = services().settings.max_upload_bytes
    if not 0 < size <= limit:
        raise TooLarge(f"uploads: {size} bytes; uploads must be 1 to {limit} bytes")
    ticket = Ticket(secrets.token_urlsafe(12), site.id, caller().id, filename, size)
    upload_id = _sign(ticket)
    expires = dt.datetime.now(dt.UTC) + UPLOAD_TTL
    presigned = services().storage.presign_upload(
        ticket.staging_key,
        content_type=content_type_for(filename),
        max_bytes=size,
        expires_s=int(UPLOAD_TTL.total_seconds()),
    )
    if presigned is not None:  # S3: straight to the bucket, the POST policy caps the size
        send: dict[str, Any] = {
            "method": presigned.method,
            "url": presigned.url,
            "fields": presigned.fields,
            "headers": presigned.headers,
        }
    else:  # local storage: the bytes come through this server, streamed to disk
        send = {
            "method": "PUT",
            "url": url_for("api.put_upload", upload_id=upload_id, _external=True),
            "headers": {"Authorization": "Bearer <your token>", "Content-Length": str(size)},
        }
    body = {
        "id": upload_id,
        "ref": UPLOAD_PREFIX + upload_id,
        "filename": filename,
        "bytes": size,
        "expires_at": expires.isoformat(),
        "upload": send,
    }
    return jsonify(body), 201


def _owned_ticket(upload_id: str) -> Ticket:
    ticket = read_ticket(upload_id)
    if ticket.token_id != caller().id:
        raise Forbidden("this upload was reserved by another token")
    return ticket


def _byte_range(ticket: Ticket) -> tuple[int, int]:
    """The part of the file this request carries: [start, end), the whole file without Content-Range."""
    header = request.headers.get("Content-Range")
    if header is None:
        return 0, ticket.size
    match = _CONTENT_RANGE.match(header.strip())
    if match is None:
        raise InvalidInput("uploads: Content-Range must be 'bytes <first>-<last>/<total>' (RFC 9110 §14.4)")
    first, last, total = (int(group) for group in match.groups())
    if total != ticket.size or first > last or last >= total:
        raise InvalidInput(
            f"uploads: Content-Range {header!r} does not fit the announced {ticket.size} bytes"
        )
    return first, last + 1


def _status(upload_id: str, ticket: Ticket) -> dict[str, Any]:
    target = _staging_path(ticket)
    partial = target.with_name(target.name + ".part")
    received = ticket.size if target.exists() else (partial.stat().st_size if partial.exists() else 0)
    return {
        "ref": UPLOAD_PREFIX + upload_id,
        "bytes": ticket.size,
        "received": received,
        "complete": target.exists(),
    }


@bp.get("/uploads/<upload_id>")
@token_required
def get_upload(upload_id: str) -> Response:
    """How much of an upload has arrived: where to resume an interrupted PUT."""
    return jsonify(_status(upload_id, _owned_ticket(upload_id)))


@bp.put("/uploads/<upload_id>")
@token_required
def put_upload(upload_id: str) -> tuple[Response, int]:
    """Receive the file of a ticket (local storage), streamed to disk in chunks, at most the announced size.

    An interrupted upload resumes with ``Content-Range: bytes <received>-<last>/<total>``;
    GET tells how many bytes arrived.
    """
    ticket = _owned_ticket(upload_id)
    target = _staging_path(ticket)
    start, end = _byte_range(ticket)
    expected = end - start
    if request.content_length is not None and request.content_length != expected:
        raise InvalidInput(
            f"uploads: Content-Length is {request.content_length} but {expected} bytes were announced"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    with _only_transfer(target):
        return _receive(upload_id, ticket, target, start, expected)


@contextmanager
def _only_transfer(target: Path) -> Iterator[None]:
    """Hold a lock on the upload's own folder: two PUTs of one upload at once would write one file."""
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        try:
            fcntl.flock(folder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Conflict(
                "uploads: another transfer of this file is in progress; resume once it ends"
            ) from None
        yield
    finally:
        os.close(folder)  # releases the lock


def _receive(upload_id: str, ticket: Ticket, target: Path, start: int, expected: int) -> tuple[Response, int]:
    if target.exists():
        raise Conflict("uploads: this file has already been received in full")
    partial = target.with_name(target.name + ".part")
    have = partial.stat().st_size if partial.exists() else 0
    if start not in (0, have):
        raise Conflict(f"uploads: {have} bytes received so far; resume from byte {have}")
    received = 0
    with partial.open("ab" if start else "wb") as out:
        while chunk := request.stream.read(CHUNK_BYTES):
            received += len(chunk)
            if received > expected:
                out.close()
                partial.unlink()
                raise TooLarge(f"uploads: more than the announced {expected} bytes were sent")
            out.write(chunk)
    if start + received < ticket.size:
        return jsonify(_status(upload_id, ticket)), 202
    partial.replace(target)
    digest = hashlib.sha256()
    with target.open("rb") as stream:
        while chunk := stream.read(CHUNK_BYTES):
            digest.update(chunk)
    return jsonify(_status(upload_id, ticket) | {"sha256": digest.hexdigest()}), 201


def fetch_upload(ref: str, site_id: int, scratch: Path) -> StagedFile:
    """The uploaded file a bundle names as ``upload:<id>``, as a local file; refusals name the ref."""
    try:
        ticket = read_ticket(ref.removeprefix(UPLOAD_PREFIX))
    except NotFound as exc:
        raise refuse(ref[:40], exc.message) from None
    if ticket.site_id != site_id:
        raise refuse(ref[:40], "was reserved for another site")
    name = f"{UPLOAD_PREFIX}{ticket.slot}/{ticket.filename}"
    local = _staging_path(ticket)
    storage = services().storage
    if not local.exists():
        if not storage.exists(ticket.staging_key):
            raise refuse(name, "announced but never sent (PUT or POST the file first)")
        local = scratch / "uploads" / ticket.slot / ticket.filename
        local.parent.mkdir(parents=True, exist_ok=True)
        with storage.open(ticket.staging_key) as src, local.open("wb") as out:
            while chunk := src.read(CHUNK_BYTES):
                out.write(chunk)
    size = local.stat().st_size
    if size != ticket.size:
        raise refuse(name, f"{size} bytes arrived but {ticket.size} were announced")
    return StagedFile(name, local, size)
