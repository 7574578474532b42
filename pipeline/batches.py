"""Work on every core, for numpy-heavy steps (numpy's array loops and scipy's k-d tree release
the GIL, so threads really run side by side)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

_T = TypeVar("_T")
_R = TypeVar("_R")


def map_threads(function: Callable[[_T], _R], items: Sequence[_T]) -> Iterator[_R]:
    """``function`` of each item, yielded in order as the threads finish them."""
    if len(items) <= 1:
        yield from map(function, items)
        return
    with ThreadPoolExecutor(max_workers=min(len(items), os.cpu_count() or 1)) as pool:
        yield from pool.map(function, items)


def side_by_side(first: Callable[[], _T], second: Callable[[], _R]) -> tuple[_T, _R]:
    """``first()`` on a second thread while ``second()`` runs on this one."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        started = pool.submit(first)
        other = second()
        return started.result(), other


def map_batches(function: Callable[[slice], _R], count: int, size: int) -> list[_R]:
    """``function`` of each slice of ``size`` items of ``range(count)``, in order; independent
    batches, so the results do not depend on the number of threads."""
    return list(
        map_threads(function, [slice(start, min(start + size, count)) for start in range(0, count, size)])
    )
