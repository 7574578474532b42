"""Visit events written by one thread per process in shared transactions (group commit).

A request that counts a visit waits until its rows are committed, so nothing is acknowledged
before it is stored; but every request that arrives while one transaction commits joins the
next, so a crowd scanning one plaque costs a few transactions a second instead of one per phone
(one per phone serialises on SQLite's single writer and on PostgreSQL's WAL flush).
"""

from __future__ import annotations

import os
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, insert

from ar_service.models import ScanEvent

WAIT_S = 10.0  # longest a request waits for its commit


@dataclass
class _Waiting:
    rows: list[dict[str, Any]]
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class VisitWriter:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reset()
        # A forked worker starts its own thread (the weak reference lets a closed writer go).
        reset = weakref.WeakMethod(self._reset)
        os.register_at_fork(after_in_child=lambda: (method := reset()) is not None and method())

    def _reset(self) -> None:
        self._wake = threading.Condition()
        self._pending: list[_Waiting] = []
        self._thread: threading.Thread | None = None
        self._closing = False

    def close(self) -> None:
        """Write what is pending, then stop the thread."""
        with self._wake:
            self._closing = True
            self._wake.notify()
            thread = self._thread
        if thread is not None:
            thread.join(WAIT_S)

    def record(self, rows: list[dict[str, Any]]) -> None:
        """Insert ``rows`` into scan_events, all or none; returns once they are committed."""
        waiting = _Waiting(rows)
        with self._wake:
            if self._closing:
                raise RuntimeError("visit counts: the writer is closed")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="hue-ar-visits", daemon=True)
                self._thread.start()
            self._pending.append(waiting)
            self._wake.notify()
        if not waiting.done.wait(WAIT_S):
            raise TimeoutError(f"visit counts: the database did not commit within {WAIT_S:.0f} s")
        if waiting.error is not None:
            raise waiting.error

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._pending and not self._closing:
                    self._wake.wait()
                if not self._pending:
                    return
                batch, self._pending = self._pending, []
            try:
                self._insert([row for waiting in batch for row in waiting.rows])
            except Exception:
                for waiting in batch:
                    try:
                        self._insert(waiting.rows)
                    except Exception as exc:
                        waiting.error = exc
            for waiting in batch:
                waiting.done.set()

    def _insert(self, rows: list[dict[str, Any]]) -> None:
        with self._engine.begin() as connection:
            connection.execute(insert(ScanEvent), rows)
