"""One Settings object: environment variables → typed fields, with embedded defaults.

No other part of the service reads ``os.environ``. With no variable set the service
runs on one machine with nothing installed: SQLite, files under the instance
folder, and a job queue in a SQLite file.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hue_errors import ConfigError

PREFIX = "HUE_AR_"
LANGUAGES = ("vi", "en", "fr", "zh", "ko", "ja")


@dataclass(frozen=True)
class Settings:
    """Every setting the service reads; build with :meth:`from_env` or directly in tests."""

    instance_path: Path
    database_url: str
    storage_url: str
    queue_url: str
    secret_key: str
    public_base_url: str = "http://127.0.0.1:5000"
    s3_endpoint_url: str | None = None
    s3_public_url: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    # "inline" runs jobs in a thread of the web process (embedded default);
    # "external" leaves them to `hue-ar worker` processes (production);
    # "immediate" runs each job inside the request that queued it (tests, scripts).
    worker_mode: str = "inline"
    job_lease_seconds: int = 60
    job_max_attempts: int = 3
    # The wall-clock limit of a job's pipeline or marker compiler run, past which it is killed and
    # the job fails (a hang on a pathological file would otherwise hold a worker for ever). The
    # largest scan accepted (1 GiB, about 60 M triangles) is ten times the 6 M triangles a 2-core
    # worker runs in 30 s: some 5 minutes if the work grew linearly. 30 minutes leaves six times
    # that for the stages that grow faster and for a loaded machine, and frees a hung worker in half an hour.
    job_time_limit_seconds: int = 30 * 60
    # On SIGTERM a worker takes no new job and gives those it runs this long to finish, then puts
    # them back in the queue with the attempt uncounted (a few seconds more). That must end before
    # the supervisor kills it (Kubernetes waits 30 s, systemd 90 s), or the attempt counts.
    worker_shutdown_grace_seconds: int = 20
    job_modules: tuple[str, ...] = ()
    max_upload_bytes: int = 1024 * 1024 * 1024
    testing: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read ``HUE_AR_*`` variables; a bad value raises ConfigError naming the variable."""
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(PREFIX + name, "").strip()
            return value or None

        instance = Path(get("INSTANCE_PATH") or Path.cwd() / "instance").resolve()
        settings = cls(
            instance_path=instance,
            database_url=get("DATABASE_URL") or f"sqlite:///{instance / 'hue-ar.db'}",
            storage_url=get("STORAGE_URL") or (instance / "storage").as_uri(),
            queue_url=get("QUEUE_URL") or f"sqlite:///{instance / 'queue.db'}",
            secret_key=get("SECRET_KEY") or "",
            public_base_url=(get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000").rstrip("/"),
            s3_endpoint_url=get("S3_ENDPOINT_URL"),
            s3_public_url=get("S3_PUBLIC_URL"),
            s3_access_key=get("S3_ACCESS_KEY"),
            s3_secret_key=get("S3_SECRET_KEY"),
            worker_mode=get("WORKER_MODE") or "inline",
            job_lease_seconds=_int(get, "JOB_LEASE_SECONDS", 60, minimum=1),
            job_max_attempts=_int(get, "JOB_MAX_ATTEMPTS", 3, minimum=1),
            job_time_limit_seconds=_int(get, "JOB_TIME_LIMIT_SECONDS", 30 * 60, minimum=1),
            worker_shutdown_grace_seconds=_int(get, "WORKER_SHUTDOWN_GRACE_SECONDS", 20, minimum=0),
            job_modules=tuple(m for m in (get("JOB_MODULES") or "").split(",") if m),
            max_upload_bytes=_int(get, "MAX_UPLOAD_BYTES", 1024**3, minimum=1024),
        )
        return settings.validated()

    def validated(self) -> Settings:
        """Check every field and normalise URLs; raise ConfigError on the first bad one."""
        database_url = self.database_url
        scheme = urlsplit(database_url).scheme
        if scheme in ("postgres", "postgresql"):
            database_url = "postgresql+psycopg" + database_url[len(scheme) :]
        elif scheme not in ("sqlite", "postgresql+psycopg"):
            raise ConfigError(
                f"{PREFIX}DATABASE_URL: unsupported scheme {scheme!r} "
                "(expected sqlite:///path or postgresql://user@host/db)"
            )
        if urlsplit(self.storage_url).scheme not in ("file", "s3"):
            raise ConfigError(
                f"{PREFIX}STORAGE_URL: unsupported scheme in {self.storage_url!r} "
                "(expected file:///path or s3://bucket/prefix)"
            )
        if urlsplit(self.queue_url).scheme not in ("sqlite", "redis", "rediss"):
            raise ConfigError(
                f"{PREFIX}QUEUE_URL: unsupported scheme in {self.queue_url!r} "
                "(expected sqlite:///path or redis://host:6379/0)"
            )
        if self.worker_mode not in ("inline", "external", "immediate"):
            raise ConfigError(
                f"{PREFIX}WORKER_MODE: {self.worker_mode!r} (expected 'inline', 'external' or 'immediate')"
            )
        base = urlsplit(self.public_base_url)
        if base.scheme not in ("http", "https") or not base.netloc:
            raise ConfigError(
                f"{PREFIX}PUBLIC_BASE_URL: {self.public_base_url!r} is not an absolute http(s) URL "
                "(expected e.g. https://ar.hue.example)"
            )
        return replace(self, database_url=database_url)

    @property
    def embedded(self) -> bool:
        """True when the database is SQLite: one machine, nothing else installed."""
        return self.database_url.startswith("sqlite")

    def ensure_secret_key(self) -> Settings:
        """Embedded mode keeps a generated key in the instance folder; production must set one."""
        if self.secret_key:
            return self
        if not self.embedded:
            raise ConfigError(f"{PREFIX}SECRET_KEY: required when {PREFIX}DATABASE_URL is not SQLite")
        key_file = self.instance_path / "secret_key"
        if not key_file.exists():
            self.instance_path.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        return replace(self, secret_key=key_file.read_text().strip())


def _int(get: Any, name: str, default: int, *, minimum: int) -> int:
    raw = get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{PREFIX}{name}: {raw!r} is not a whole number") from None
    if value < minimum:
        raise ConfigError(f"{PREFIX}{name}: {value} is below the minimum {minimum}")
    return value
