"""The README's demo, run as a newcomer would: start it, open the printed QR URL."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO, free_port
from tests.pdf import decode_pdf_qr

pytestmark = pytest.mark.slow


def test_demo_serves_the_sample_site_behind_its_qr_url(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUE_AR_")}
    env["HUE_AR_INSTANCE_PATH"] = str(tmp_path / "instance")
    process = subprocess.Popen(
        [sys.executable, "-m", "ar_service.cli", "demo", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        printed: list[str] = []
        deadline = time.monotonic() + 300
        qr_url = None
        for line in process.stdout:
            printed.append(line)
            if match := re.match(r"qr:\s+(\S+)", line):
                qr_url = match.group(1)
            if line.startswith("serving on"):
                break
            assert time.monotonic() < deadline, "demo took too long:\n" + "".join(printed)
        assert qr_url, "the demo printed no QR URL:\n" + "".join(printed)
        assert not any(line.startswith("warning:") for line in printed), "".join(printed)
        assert any(re.match(r"admin: admin@localhost password \S+", line) for line in printed)
        page = _get_when_up(qr_url, headers={"Accept-Language": "en"})
        assert "<h1>Mask from Bali (sample object)</h1>" in page
        manifest = json.loads(_get_when_up(f"http://127.0.0.1:{port}/api/v1/sites/sample-mask/scene"))
        assert manifest["scene"]["models"] and manifest["scene"]["marker"]["target_url"]
        code = qr_url.rsplit("/", 1)[-1]
        plaque = subprocess.run(
            [sys.executable, "-m", "ar_service.cli", "plaque", "sample-mask", "--size", "A5", "-o", "p.pdf"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert "A5" in plaque.stdout
        assert decode_pdf_qr(tmp_path / "p.pdf", tmp_path) == f"HTTP://127.0.0.1:5000/Q/{code}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)
        if process.stdout is not None:
            process.stdout.close()


def _get_when_up(url: str, headers: dict[str, str] | None = None) -> str:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(
                urllib.request.Request(url, headers=headers or {}), timeout=10
            ) as reply:
                body: str = reply.read().decode()
                return body
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
