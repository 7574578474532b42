"""Output files of the ``markers`` commands: a failed write is a ``StorageError`` naming the path."""

from __future__ import annotations

from pathlib import Path

from hue_errors import StorageError


def write_output(path: Path, data: bytes) -> None:
    """Write ``data`` to the file ``path``."""
    try:
        path.write_bytes(data)
    except OSError as exc:
        reason = exc.strerror or exc
        raise StorageError(
            f"output: {path}: cannot write ({reason}; expected a file in an existing folder)"
        ) from exc


def make_output_folder(path: Path) -> None:
    """Create the folder ``path`` and its parents, unless it exists."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or exc
        raise StorageError(
            f"output: {path}: cannot create the folder ({reason}; expected a folder or a new path)"
        ) from exc
