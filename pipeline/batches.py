"""Work in consecutive batches on every core, for numpy-heavy steps (numpy's array loops and
scipy's k-d tree release the GIL, so threads really run side by side)."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

_T = TypeVar("_T")


def map_batches(function: Callable[[slice], _T], count: int, size: int) -> list[_T]:
    """``function`` of each slice of ``size`` items of ``range(count)``, in order; independent
    batches, so the results do not depend on the number of threads."""
    parts = [slice(start, min(start + size, count)) for start in range(0, count, size)]
    if len(parts) <= 1:
        return [function(part) for part in parts]
    with ThreadPoolExecutor(max_workers=min(len(parts), os.cpu_count() or 1)) as pool:
        return list(pool.map(function, parts))
