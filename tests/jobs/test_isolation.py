"""Jobs' library calls run in a child process: answers, progress and errors come back, a crash stays."""

from __future__ import annotations

import pytest

from ar_service.jobs.isolation import ChildStopped, in_child
from hue_errors import InvalidInput
from tests.jobs import children


def test_the_child_returns_the_result_and_relays_progress() -> None:
    seen: list[tuple[str, float]] = []
    assert in_child("count", children.count, 3, progress=lambda s, f: seen.append((s, f))) == [0, 1, 2]
    assert seen == [("stage 0", 1 / 3), ("stage 1", 2 / 3), ("stage 2", 1.0)]


def test_a_project_error_in_the_child_is_raised_as_itself() -> None:
    with pytest.raises(InvalidInput, match=r"^ingest: m\.obj: not a mesh$") as raised:
        in_child("pipeline", children.refuse, "m.obj")
    assert raised.value.code == "not_a_mesh" and raised.value.exit_code == 2


def test_another_error_in_the_child_is_an_internal_error() -> None:
    with pytest.raises(RuntimeError, match="pipeline: ZeroDivisionError: division by zero"):
        in_child("pipeline", children.divide, 1)


def test_a_crash_in_native_code_ends_the_child_only() -> None:
    with pytest.raises(
        ChildStopped, match=r"pipeline: the processing stopped .* \(killed by SIGSEGV: the file"
    ):
        in_child("pipeline", children.crash)
