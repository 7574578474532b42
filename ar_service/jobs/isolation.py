"""A job's library call (the pipeline, the marker compiler) in a child process of its own.

Those calls go through native code (meshoptimizer, Draco, OpenCV, libigl) on files uploaded by
strangers. Run in the worker, a crash or runaway allocation on a hostile file would end the web
process (inline mode) or every job of a worker; run in a child, it ends only that child and fails
that job with a message. Children are forked by multiprocessing's fork server: a process started
fresh, which imported the pipeline and the marker compiler once. So a child inherits none of the
parent's threads, locks or database connections, and starts at once instead of importing them for
every job (the API tests' jobs: 69 → 55 s). A child runs under a time limit and leads a process
group of its own, so stopping it (a hang, a worker shutting down, the worker killed outright) also
ends what it started (the pipeline's xatlas process).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import select
import signal
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from multiprocessing import util
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

from hue_errors import HueARError

T = TypeVar("T")
Progress = Callable[[str, float], None]
log = logging.getLogger(__name__)
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["pipeline.run", "markers.images", "markers.mind.compile", "markers.score"])
_POLL_S = 0.5
_RUNNING: set[int] = set()  # the ids of this process's children that run now
_RUNNING_LOCK = threading.Lock()


class ChildStopped(HueARError):
    """The child process ended without an answer: killed, or crashed in native code."""

    code = "crashed"


class TimeLimitExceeded(HueARError):
    """The child was still running at its time limit and was stopped: an input too heavy for the
    recipe, or one that sends native code into an endless loop. The same input would hang again."""

    code = "time_limit"


class Interrupted(HueARError):
    """The worker is shutting down: the child was stopped so that the job can go back to the queue."""

    code = "interrupted"


def in_child(
    what: str,
    function: Callable[..., T],
    *args: Any,
    progress: Progress | None = None,
    time_limit_s: float | None = None,
    stop: threading.Event | None = None,
    scratch: Path | None = None,
    **kwargs: Any,
) -> T:
    """``function(*args, **kwargs)`` (module-level, its arguments and result picklable) in a child
    process; with ``progress``, the function gets a ``progress`` callback relayed to it. A project
    error in the child is raised here as the same class; any other error as RuntimeError.

    The child and everything it started are killed after ``time_limit_s`` seconds
    (TimeLimitExceeded) or once ``stop`` is set (Interrupted). With ``scratch``, the child's
    temporary files (the pipeline's atlas folders) go under that folder, which the caller removes:
    a child killed mid-run leaves nothing in the system's temporary folder."""
    receiver, sender = _CONTEXT.Pipe(duplex=False)
    child = _CONTEXT.Process(
        target=_child_main, args=(sender, function, args, kwargs, progress is not None, scratch), daemon=True
    )
    child.start()  # the first call waits for the fork server to import the libraries: not the child's time
    deadline = None if time_limit_s is None else time.monotonic() + time_limit_s
    sender.close()  # the child holds the only sending end: the pipe ends when the child does
    pid = child.pid
    assert pid is not None, "a started process has an id"
    with _RUNNING_LOCK:
        _RUNNING.add(pid)
    try:
        # The pipe, not child.is_alive(), says when the child has ended: is_alive() asks the fork
        # server, and one killed meanwhile (a supervisor's SIGTERM to every process) says "ended".
        while True:
            if stop is not None and stop.is_set():
                raise Interrupted(f"{what}: stopped because the worker is shutting down")
            wait = _POLL_S
            if deadline is not None:
                wait = min(wait, deadline - time.monotonic())
                if wait <= 0:
                    raise TimeLimitExceeded(_overran(what, time_limit_s))
            if not receiver.poll(wait):
                continue
            try:
                kind, *body = receiver.recv()
            except (EOFError, OSError):  # the child ended, perhaps in the middle of a message
                break
            if kind == "progress" and progress is not None:
                progress(*body)
            elif kind == "result":
                result: T = body[0]
                return result
            elif kind == "error":
                raise _rebuilt(*body)
            else:
                summary, trace = body
                log.error("%s: the child process failed:\n%s", what, trace)
                raise RuntimeError(f"{what}: {summary}")
    finally:
        if child.is_alive():
            _kill(pid)
        child.join()
        _kill_group(pid)  # what it started and left behind (a crash skips their clean-up)
        with _RUNNING_LOCK:
            _RUNNING.discard(pid)
        receiver.close()
    raise ChildStopped(f"{what}: the processing stopped before it finished ({_ending(child.exitcode)})")


def _rebuilt(error_class: type[HueARError], message: str, code: str) -> HueARError:
    """The child's error as its own class (whatever arguments that class's constructor takes)."""
    error = error_class.__new__(error_class)
    HueARError.__init__(error, message, code=code)
    return error


def _overran(what: str, limit_s: float | None) -> str:
    return (
        f"{what}: stopped after {limit_s:g} s, the time limit of a job (HUE_AR_JOB_TIME_LIMIT_SECONDS): "
        "the file may be too large or pathological for this recipe; try a smaller or cleaned-up "
        "scan or a lighter recipe, or ask an administrator to raise the limit"
    )


def _kill_group(pid: int) -> None:
    """SIGKILL the process group a child leads. The kernel gives no new process a group's id while
    any member lives, so even after the child is reaped its id names only what it left behind."""
    with contextlib.suppress(ProcessLookupError, PermissionError):  # no such group (left, or never formed)
        os.killpg(pid, signal.SIGKILL)


def _kill(pid: int) -> None:
    """SIGKILL a child and what it started, even one stopped before it could lead a group."""
    _kill_group(pid)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _kill_running_children() -> None:
    """Kill the children still running when this process exits (a worker that stopped before its
    job threads could), with what they started. They ignore SIGTERM, which multiprocessing's exit
    handler sends its daemon children before it waits for them: run before it (exit priority ≥ 0)."""
    with _RUNNING_LOCK:
        running = list(_RUNNING)
    for pid in running:
        _kill(pid)


util.Finalize(None, _kill_running_children, exitpriority=10)


def _ending(exit_code: int | None) -> str:
    if exit_code is None or exit_code >= 0:
        return f"exit status {exit_code}"
    try:
        name = signal.Signals(-exit_code).name
    except ValueError:  # a real-time signal has no name
        name = f"signal {-exit_code}"
    return f"killed by {name}: the file may be malformed, or memory ran out"


def _end_with_worker(sender: Connection) -> None:
    """Kill this child and what it started once the worker is gone (the OOM killer, SIGKILL), which
    closes the read end of the child's pipe: a poll of the write end then reports an error. They
    would otherwise run on unwatched, past any time limit. (The kernel's parent-death signal does
    not serve: the parent is the fork server, which lives on while any of its children does.) The
    watching thread waits outside the GIL; only native code that holds the GIL forever escapes it."""
    watched = os.dup(sender.fileno())  # the child closes its own end once it has answered
    watch = select.poll()
    watch.register(watched, select.POLLERR)

    def wait() -> None:
        watch.poll()
        os.killpg(0, signal.SIGKILL)

    threading.Thread(target=wait, name="worker-watch", daemon=True).start()


def _child_main(
    sender: Connection,
    function: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    relay: bool,
    scratch: Path | None,
) -> None:
    # A group of its own: the parent can then kill the child with whatever it starts, and a
    # terminal's Ctrl-C reaches only the worker, which decides what happens to the job. So is a
    # supervisor's SIGTERM to every process (systemd's default) ignored, by what the child starts
    # too: a worker stopping gracefully lets the job finish or hands it back, and kills the child.
    os.setpgid(0, 0)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    _end_with_worker(sender)
    if scratch is not None:
        tempfile.tempdir = str(scratch)
    if relay:
        kwargs = {**kwargs, "progress": lambda stage, fraction: sender.send(("progress", stage, fraction))}
    try:
        sender.send(("result", function(*args, **kwargs)))
    except HueARError as exc:
        sender.send(("error", type(exc), exc.message, exc.code))
    except Exception as exc:
        sender.send(("failed", f"{type(exc).__name__}: {exc}", traceback.format_exc()))
    finally:
        sender.close()
