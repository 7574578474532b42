"""Public reads kept for a few seconds (scene manifests, where a QR code leads): a crowd scanning one
plaque costs one build, not one per phone.

An entry lives ``ttl_s`` seconds, so a change made by another process shows within that time (the
HTTP ``max-age`` of a manifest is longer anyway); a change committed by this process drops every entry at
once. Visit counts (scan events, beacons) are not changes to what is read and keep the entries.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from cachetools import TTLCache
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from ar_service.models import ScanEvent

T = TypeVar("T")
TTL_S = 5.0
STALE = "read_cache_stale"  # Session.info flag: this transaction changed something a public read shows


class ReadCache:
    def __init__(
        self, session_factory: sessionmaker[Session], ttl_s: float = TTL_S, size: int = 1024
    ) -> None:
        self._entries: TTLCache[Hashable, Any] = TTLCache(maxsize=size, ttl=ttl_s)
        self._lock = threading.Lock()
        event.listen(session_factory, "after_flush", _note_changes)
        event.listen(session_factory, "after_commit", self._drop_if_changed)
        event.listen(session_factory, "after_rollback", lambda session: session.info.pop(STALE, None))

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        """The entry under ``key``, built (outside the lock: builds query the database) when missing."""
        with self._lock:
            if key in self._entries:
                found: T = self._entries[key]
                return found
        built = build()
        with self._lock:
            self._entries[key] = built
        return built

    def _drop_if_changed(self, session: Session) -> None:
        if session.info.pop(STALE, False):
            with self._lock:
                self._entries.clear()


def _note_changes(session: Session, _context: Any) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(not isinstance(instance, ScanEvent) for instance in changed):
        session.info[STALE] = True
