"""The service's ``hue-ar`` commands: set up, serve, work, import a site, the demo, plaques.

Loaded by :mod:`ar_service.cli` when one of them runs (they need the whole service)."""

from __future__ import annotations

import secrets
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import get_args

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from ar_service.db import check_schema, upgrade
from ar_service.importer import import_site, read_site_spec
from ar_service.models import Job, Role, Site, User
from ar_service.plaques import site_plaque
from ar_service.services import Services
from hue_errors import InvalidInput, NotFound
from markers.plaque import PaperSize

SAMPLE_SITE = Path(__file__).resolve().parent.parent / "assets" / "sample-mask"


def _services() -> Services:
    found: Services = current_app.extensions["hue_ar"]
    return found


def _set_up_services() -> Services:
    """The services, once ``hue-ar init`` has brought the database to this version's schema."""
    services = _services()
    check_schema(services.settings.database_url, services.engine)
    return services


def ensure_admin(services: Services, email: str) -> str | None:
    """Create the first admin with a generated password; returns it, or None if an admin exists."""
    with services.session_factory.begin() as session:
        if session.scalar(select(User).where(User.role == Role.ADMIN)) is not None:
            return None
        password = secrets.token_urlsafe(12)
        user = User(email=email, name="Administrator", role=Role.ADMIN)
        user.set_password(password)
        session.add(user)
        return password


@click.command()
@click.option("--admin-email", default="admin@localhost", show_default=True)
@with_appcontext
def init(admin_email: str) -> None:
    """Create or migrate the database and create the first admin."""
    services = _services()
    upgrade(services.settings.database_url)
    password = ensure_admin(services, admin_email)
    click.echo("database ready")
    if password:
        click.echo(f"admin: {admin_email}  password: {password}  (shown once)")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@with_appcontext
def serve(host: str, port: int, threads: int) -> None:
    """Serve the web app (with an in-process job worker in inline worker mode)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    services = _services()
    if services.settings.embedded:
        upgrade(services.settings.database_url)
    else:
        check_schema(services.settings.database_url, services.engine)
    with _running(services):
        _serve(app, host, port, threads)


@contextmanager
def _running(services: Services) -> Iterator[None]:
    """The block with the inline worker running (in inline worker mode), then the services closed.
    SIGTERM (a supervisor's stop) ends the block, and the command, with status 0 (waitress takes the
    SystemExit as it takes Ctrl-C, wherever it lands: starting, serving), and the worker stops as
    `hue-ar worker` does: its jobs get the grace period, then go back to the queue."""
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if services.settings.worker_mode == "inline":
            services.queue.start_background()
        yield
    finally:
        services.close()


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # stopping already
    raise SystemExit(0)


def _serve(app: Flask, host: str, port: int, threads: int) -> None:
    from waitress import serve as waitress_serve

    click.echo(f"serving on http://{host}:{port}/", err=True)
    waitress_serve(app, host=host, port=port, threads=threads, ident="hue-ar")


@click.command()
@click.option("--workers", default=1, show_default=True, type=int, help="Worker threads in this process.")
@with_appcontext
def worker(workers: int) -> None:
    """Run a job worker (production: one or more per machine). On SIGTERM it takes no new job and
    lets running ones finish for HUE_AR_WORKER_SHUTDOWN_GRACE_SECONDS, then hands them back."""
    _set_up_services().queue.run_worker(workers=workers)


@click.command("import-site")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--publish/--review", default=False, help="Publish at once, or leave the scene for review.")
@with_appcontext
def import_site_command(folder: Path, publish: bool) -> None:
    """Import a site from FOLDER (site.yaml + model and marker files) and queue its processing."""
    services = _set_up_services()
    with services.session_factory.begin() as session:
        imported = import_site(
            session, services.storage, services.queue, folder, publish=publish, actor_id=None
        )
        slug, code, job_ids = imported.site.slug, imported.site.code, [job.id for job in imported.jobs]
    base = services.settings.public_base_url
    click.echo(
        f"site: {base}/s/{slug}\nqr:   {base}/q/{code}\njobs: {', '.join(map(str, job_ids)) or 'none'}"
    )


def wait_for_jobs(services: Services, job_ids: list[int], *, timeout_s: float = 600) -> list[Job]:
    """Block until the jobs finish, echoing their progress."""
    deadline = time.monotonic() + timeout_s
    last = ""
    while True:
        with services.session_factory() as session:
            jobs = [job for job_id in job_ids if (job := session.get(Job, job_id)) is not None]
        line = "  ".join(f"#{job.id} {job.kind} {job.state} {job.progress}% {job.stage}" for job in jobs)
        if line != last:
            click.echo(line, err=True)
            last = line
        if all(job.done for job in jobs) or time.monotonic() > deadline:
            return jobs
        time.sleep(0.5)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Set up and process the sample, then exit.")
@with_appcontext
def demo(host: str, port: int, no_serve: bool) -> None:
    """Set up the embedded default with the bundled sample monument, process it, and serve."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    services = _services()
    upgrade(services.settings.database_url)
    password = ensure_admin(services, "admin@localhost")
    with services.session_factory.begin() as session:
        site = session.scalar(select(Site).where(Site.slug == read_site_spec(SAMPLE_SITE)["slug"]))
        if site is None:  # a second demo run reuses what the first imported
            imported = import_site(
                session, services.storage, services.queue, SAMPLE_SITE, publish=True, actor_id=None
            )
            site, job_ids = imported.site, [job.id for job in imported.jobs]
        else:
            job_ids = []
        slug, code = site.slug, site.code
    with _running(services):
        for job in wait_for_jobs(services, job_ids):
            if job.state != "succeeded":
                click.echo(f"warning: job {job.id} ({job.kind}) {job.state}: {job.error_message}", err=True)
        base = f"http://{host}:{port}"
        click.echo(f"site:  {base}/s/{slug}")
        click.echo(f"qr:    {base}/q/{code}")
        click.echo(
            "admin: admin@localhost " + (f"password {password} (shown once)" if password else "(exists)")
        )
        if not no_serve:
            _serve(app, host, port, threads=8)


@click.command("plaque")
@click.argument("slug")
@click.option("--size", type=click.Choice(get_args(PaperSize)), default="A4", show_default=True)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="plaque.pdf to print, or plaque.svg to preview.",
)
@with_appcontext
def plaque_command(slug: str, size: PaperSize, output: Path) -> None:
    """Render the print-ready plaque of site SLUG (its marker artwork, names and QR)."""
    if output.suffix.lower() not in (".pdf", ".svg"):
        raise InvalidInput(f"output: {output.name} must end in .pdf or .svg")
    services = _set_up_services()
    with services.session_factory() as session:
        site = session.scalar(select(Site).where(Site.slug == slug))
        if site is None:
            raise NotFound(f"site: no site {slug!r}; `hue-ar import-site` creates one")
        plaque = site_plaque(session, services.storage, site, services.settings.public_base_url, size)
    output.write_bytes(plaque.pdf if output.suffix.lower() == ".pdf" else plaque.svg)
    click.echo(
        f"{output}: {size}, QR {plaque.qr_width_mm:.0f} mm wide, "
        f"scans from up to {plaque.scan_distance_m:.1f} m"
    )
