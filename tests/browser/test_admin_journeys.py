"""Curator journeys in Debian's Chromium against a real server: sign in, sites, uploads, review, plaques."""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from ar_service.app import create_app
from ar_service.db import upgrade
from ar_service.library import pack_folder
from ar_service.models import Role, Site
from ar_service.services import Services
from tests.admin.conftest import PASSWORD, World, build_world
from tests.browser.chromium import HEADLESS_ARGS
from tests.conftest import embedded_settings
from tests.pdf import decode_pdf_qr

pytestmark = pytest.mark.browser
playwright_sync = pytest.importorskip("playwright.sync_api")

REPO = Path(__file__).resolve().parents[2]
SAMPLE_SCAN = REPO / "assets" / "sample-mask" / "model"


@dataclass(frozen=True)
class Running:
    base: str
    world: World
    services: Services


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with playwright_sync.sync_playwright() as running:
        launched = running.chromium.launch(executable_path=executable, args=HEADLESS_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Running]:
    settings = embedded_settings(tmp_path / "instance", public_base_url="http://127.0.0.1:5000")
    upgrade(settings.database_url)
    app = create_app(settings)
    services: Services = app.extensions["hue_ar"]
    world = build_world(services)
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield Running(f"http://127.0.0.1:{http.server_port}", world, services)
    http.shutdown()
    thread.join(timeout=10)
    services.close()


@pytest.fixture
def page(browser: Any, server: Running) -> Iterator[Any]:
    context = browser.new_context(accept_downloads=True, locale="en-GB")
    opened = context.new_page()
    opened.set_default_timeout(20_000)
    yield opened
    context.close()


def sign_in(page: Any, server: Running, role: Role = Role.CURATOR) -> None:
    page.goto(f"{server.base}/admin/login?lang=en")
    page.fill("input[name=email]", f"{role}@example.org")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/review")


def test_a_curator_signs_in_and_a_wrong_password_is_refused(page: Any, server: Running) -> None:
    page.goto(f"{server.base}/admin/login?lang=en")
    page.fill("input[name=email]", "curator@example.org")
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    assert page.locator(".flash.error").is_visible()
    sign_in(page, server)
    assert page.locator("h1").inner_text() == "Waiting for review"
    assert "Noon Gate" in page.content()


def test_the_workspace_speaks_vietnamese(page: Any, server: Running) -> None:
    page.goto(f"{server.base}/admin/login?lang=vi")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.locator("h1").inner_text() == "Đăng nhập"
    page.goto(f"{server.base}/admin/login?lang=en")
    assert page.locator("h1").inner_text() == "Sign in"


def test_a_curator_creates_a_site_and_sees_it_on_the_map(page: Any, server: Running) -> None:
    sign_in(page, server)
    page.goto(f"{server.base}/admin/sites/new?lang=en")
    page.fill("input[name=slug]", "thai-hoa")
    page.fill("input[name=names-vi]", "Điện Thái Hòa")
    page.fill("input[name=names-en]", "Hall of Supreme Harmony")
    page.fill("input[name=latitude]", "16.4698")
    page.fill("input[name=longitude]", "107.5779")
    page.click("form.card button[type=submit]")
    page.wait_for_url("**/admin/sites/thai-hoa")
    code = page.locator("form.card code").inner_text()
    assert len(code) == 6
    page.goto(f"{server.base}/admin/sites")
    assert page.locator("svg.map .pin").count() == 2  # the world's gate and the new hall
    with page.expect_response(lambda r: "/s/thai-hoa" in r.url) as tourist:
        page.goto(f"{server.base}/s/thai-hoa")
    assert tourist.value.status == 200
    assert "Hall of Supreme Harmony" in page.content() or "Điện Thái Hòa" in page.content()


def test_a_curator_uploads_the_sample_scan_and_watches_its_job_finish(
    page: Any, server: Running, tmp_path: Path
) -> None:
    archive = tmp_path / "sample-mask.zip"
    pack_folder(SAMPLE_SCAN, archive)
    sign_in(page, server)
    page.goto(f"{server.base}/admin/assets?lang=en")
    page.set_input_files("input[name=file]", str(archive))
    page.fill("input[name=licence]", "CC-BY-SA-4.0")
    page.fill("input[name=credits]", "Badisches Landesmuseum Karlsruhe")
    page.click("form.card button[type=submit]")
    page.wait_for_url("**/admin/assets/versions/**", timeout=300_000)
    job = page.locator("#job")
    page.wait_for_function(
        "document.getElementById('job').dataset.state === 'succeeded'"
        " || document.getElementById('job').dataset.state === 'failed'",
        timeout=300_000,
    )
    state = job.get_attribute("data-state")
    status = json.loads(page.evaluate(f"fetch('{job.get_attribute('data-url')}').then(r => r.text())"))
    assert status["done"] and status["state"] == state
    if state == "succeeded":
        assert page.locator("table tbody tr").count() >= 1
        assert page.locator("progress").get_attribute("value") == "100"
    else:  # the message names the stage and what went wrong, on the page itself
        assert status["error_message"] and status["error_message"] in page.locator(".job-error").inner_text()


def test_review_publish_show_then_roll_back_to_exactly_the_earlier_files(page: Any, server: Running) -> None:
    world = server.world
    sign_in(page, server)
    page.click(f"a[href*='version={world.submitted_id}']")
    assert "placement.scale" in page.locator("table.diff").inner_text()
    page.fill("form:has(button[data-action=approve]) input[name=comment]", "Checked on site")
    page.click("button[data-action=approve]")
    assert page.locator(".state").inner_text() == "approved"
    assert tourist_hashes(page, server) == [world.v1_sha256]  # approval alone changes nothing for tourists
    page.click("button[data-action=publish]")
    assert page.locator(".state").inner_text() == "published"
    assert tourist_hashes(page, server) == [world.v2_sha256]
    page.goto(f"{server.base}/s/{world.slug}")
    assert "Noon Gate" in page.content()
    page.goto(f"{server.base}/admin/scenes/{world.scene_id}?version={world.published_id}")
    page.click("section.card button[data-action=rollback]")
    assert page.locator(".state").inner_text() == "published"
    assert tourist_hashes(page, server) == [world.v1_sha256]


def tourist_hashes(page: Any, server: Running) -> list[str]:
    """SHA-256 of each model file in the public manifest, downloaded as a tourist's browser would."""
    request = page.context.request
    manifest = request.get(f"{server.base}/api/v1/sites/{server.world.slug}/scene").json()
    return [
        hashlib.sha256(request.get(server.base + level["url"]).body()).hexdigest()
        for level in manifest["scene"]["models"]
    ]


def test_a_downloaded_plaque_pdf_opens_and_its_qr_decodes(page: Any, server: Running, tmp_path: Path) -> None:
    sign_in(page, server)
    page.goto(f"{server.base}/admin/plaques?lang=en")
    with page.expect_download() as download:
        page.click("a[data-size=A5]")
    pdf = tmp_path / "plaque.pdf"
    download.value.save_as(pdf)
    payload = decode_pdf_qr(pdf, tmp_path)
    with server.services.session_factory() as session:
        site = session.get(Site, server.world.site_id)
        assert site is not None
        code = site.code
    assert payload == f"HTTP://127.0.0.1:5000/Q/{code}"
