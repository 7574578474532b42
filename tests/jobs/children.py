"""Functions the isolation tests run in a child process (module-level, so a spawned child imports them)."""

from __future__ import annotations

import ctypes
from collections.abc import Callable

from hue_errors import InvalidInput


def count(stages: int, progress: Callable[[str, float], None]) -> list[int]:
    for i in range(stages):
        progress(f"stage {i}", (i + 1) / stages)
    return list(range(stages))


def refuse(name: str) -> None:
    raise InvalidInput(f"ingest: {name}: not a mesh", code="not_a_mesh")


def divide(numerator: int) -> float:
    return numerator / 0


def crash() -> None:
    ctypes.string_at(0)  # reads address 0: SIGSEGV, as a native library's bug on a hostile file would
