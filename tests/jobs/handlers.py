"""A job kind for the durability tests, loaded through HUE_AR_JOB_MODULES like any plugin."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

from ar_service.jobs.registry import JobContext, handler
from hue_errors import StorageError
from tests.jobs import children


@handler("test.write_chunks")
def write_chunks(context: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Build an output slowly, reporting progress, then store it and log the completion."""
    log = Path(payload["log"])
    data = bytearray()
    for i in range(int(payload["chunks"])):
        data += hashlib.sha256(f"{payload['seed']}:{i}".encode()).digest() * 4096
        context.progress("write", (i + 1) / payload["chunks"])
        with log.open("a") as out:
            out.write(f"progress {context.job_id} {i}\n")
        time.sleep(float(payload["delay_s"]))
    while "gate" in payload and not Path(payload["gate"]).exists():  # held until the test opens it
        time.sleep(0.05)
    if payload.get("fail_times", 0) > sum(
        1 for line in log.read_text().splitlines() if line == "attempt-fail"
    ):
        with log.open("a") as out:
            out.write("attempt-fail\n")
        if payload.get("fail_with") == "storage":
            raise StorageError("storage: the object store did not answer")
        raise RuntimeError("simulated crash inside the handler")
    stored = context.storage.put(bytes(data), content_type="application/octet-stream", suffix=".bin")
    with log.open("a") as out:
        out.write(f"completed {context.job_id}\n")
    return {"key": stored.key, "bytes": stored.size}


@handler("test.hang")
def hang(context: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """A job whose child never returns, as native code stuck on a pathological file would."""
    context.in_child("test", children.hang, payload["pids"])
    return {}
