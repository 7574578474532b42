"""Functions the isolation tests run in a child process (module-level, so a spawned child imports them)."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

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


def hang(pids: str) -> None:
    """Start a process (as the pipeline starts xatlas), write both ids to ``pids``, never return:
    native code stuck in a loop on a pathological file."""
    helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
    written = Path(f"{pids}.part")
    written.write_text(f"{os.getpid()} {helper.pid}\n")
    written.rename(pids)  # the reader sees both ids or no file
    while True:
        time.sleep(60)


def temporary_folder() -> str:
    return tempfile.gettempdir()
