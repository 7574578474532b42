"""Sites, people, tokens, plaques, analytics and the audit log, through the workspace's forms."""

from __future__ import annotations

import csv
import datetime as dt
import io

from flask.testing import FlaskClient
from sqlalchemy import select

from ar_service.models import (
    ApiToken,
    AssetVersion,
    AuditLog,
    EventKind,
    PrintedPlaque,
    Role,
    ScanEvent,
    Site,
)
from ar_service.services import Services
from markers.qr import validate_short_code
from tests.admin.conftest import World, csrf_token, sign_in
from tests.api.bundles import box_glb


def test_a_new_site_gets_a_valid_free_short_code_and_its_texts(
    client: FlaskClient, services: Services, world: World
) -> None:
    token = sign_in(client, Role.CURATOR)
    form = {
        "csrf_token": token,
        "slug": "hien-lam-cac",
        "names-vi": "Hiển Lâm Các",
        "names-en": "Pavilion of Glorious Coming",
        "descriptions-fr": "Pavillon de la Splendeur",
        "latitude": "16,4662",
        "longitude": "107.5774",
    }
    assert client.post("/admin/sites/new", data=form).status_code == 302
    with services.session_factory() as session:
        site = session.scalar(select(Site).where(Site.slug == "hien-lam-cac"))
        assert site is not None
        assert validate_short_code(site.code) == site.code
        assert (site.latitude, site.descriptions) == (16.4662, {"fr": "Pavillon de la Splendeur"})
    assert client.post("/admin/sites/new", data=form).status_code == 409  # the slug is taken


def test_site_forms_name_the_field_that_is_wrong(client: FlaskClient, world: World) -> None:
    token = sign_in(client, Role.CURATOR)
    base = {"csrf_token": token, "slug": "ok", "names-vi": "Tên", "names-en": "Name"}
    for extra, field in (
        ({"slug": "Not A Slug"}, "slug"),
        ({"names-en": ""}, "names"),
        ({"latitude": "95", "longitude": "107"}, "latitude"),
        ({"latitude": "16.4"}, "coordinates"),
        ({"code": "ABCDE1"}, "short code"),
    ):
        response = client.post("/admin/sites/new", data={**base, **extra})
        assert response.status_code == 400, extra
        assert field in response.get_data(as_text=True), extra


def test_an_invited_person_signs_in_with_the_one_time_password_until_disabled(
    app_client_pair: tuple[FlaskClient, FlaskClient], services: Services, world: World
) -> None:
    admin, newcomer = app_client_pair
    token = sign_in(admin, Role.ADMIN)
    page = admin.post(
        "/admin/users", data={"csrf_token": token, "email": "lan@example.org", "role": "curator"}
    ).get_data(as_text=True)
    password = page.split('class="secret">', 1)[1].split("<", 1)[0]
    own = csrf_token(newcomer)
    login = {"csrf_token": own, "email": "lan@example.org", "password": password}
    assert newcomer.post("/admin/login", data=login).status_code == 302
    with services.session_factory() as session:
        user_id = session.scalar(select(AuditLog.target_id).where(AuditLog.action == "user.invite"))
    assert (
        admin.post(f"/admin/users/{user_id}/active", data={"csrf_token": token, "active": "0"}).status_code
        == 302
    )
    assert newcomer.get("/admin/sites").status_code == 302  # the session ends with the account
    newcomer.post("/admin/logout", data={"csrf_token": csrf_token(newcomer)})
    assert (
        newcomer.post("/admin/login", data={**login, "csrf_token": csrf_token(newcomer)}).status_code == 401
    )


def test_a_revoked_token_no_longer_opens_the_api(
    client: FlaskClient, services: Services, world: World
) -> None:
    token = sign_in(client, Role.CURATOR)
    page = client.post(
        "/admin/tokens", data={"csrf_token": token, "name": "ci", "user_id": world.users[Role.DEVELOPER]}
    ).get_data(as_text=True)
    clear = page.split('class="secret">', 1)[1].split("<", 1)[0]
    with services.session_factory() as session:
        token_id = session.scalar(select(ApiToken.id))
    assert client.post(f"/admin/tokens/{token_id}/revoke", data={"csrf_token": token}).status_code == 302
    with services.session_factory() as session:
        revoked = session.get(ApiToken, token_id)
        assert revoked is not None and revoked.revoked_at is not None
    from ar_service.auth import bearer_token

    with client.application.test_request_context(headers={"Authorization": f"Bearer {clear}"}):
        try:
            bearer_token()
        except Exception as refused:
            assert type(refused).__name__ == "Unauthorized"
        else:
            raise AssertionError("a revoked token was accepted")


def test_printed_plaques_are_registered_and_unknown_codes_flagged(
    client: FlaskClient, services: Services, world: World
) -> None:
    token = sign_in(client, Role.CURATOR)
    form = {"csrf_token": token, "site_id": world.site_id, "size": "A4", "printed_on": "2026-11-20"}
    assert (
        client.post("/admin/plaques/printed", data={**form, "location_note": "left pillar"}).status_code
        == 302
    )
    assert client.post("/admin/plaques/printed", data={**form, "size": "B9"}).status_code == 400
    with services.session_factory() as session:
        plaque = session.scalar(select(PrintedPlaque))
        assert plaque is not None
        code = plaque.code
    checked = client.get(f"/admin/plaques?lang=en&check={code.lower()}")
    assert "registered plaque" in checked.get_data(as_text=True)
    assert "is unknown" in client.get("/admin/plaques?lang=en&check=ZZZZZZ").get_data(as_text=True)


def test_analytics_charts_and_csv_count_the_events(
    client: FlaskClient, services: Services, world: World
) -> None:
    today = dt.datetime.now(dt.UTC).date()
    rows = [
        (EventKind.SCAN, "vi", "mobile-android"),
        (EventKind.SCAN, "vi", "mobile-ios"),
        (EventKind.SCAN, "en", "mobile-ios"),
        (EventKind.PAGE, "en", "mobile-ios"),
        (EventKind.AR_STARTED, "en", "mobile-ios"),
    ]
    with services.session_factory.begin() as session:
        session.add_all(
            ScanEvent(site_id=world.site_id, day=today, kind=k, language=lang, device_class=d)
            for k, lang, d in rows
        )
    sign_in(client, Role.CURATOR)
    page = client.get("/admin/analytics").get_data(as_text=True)
    assert page.count("<svg") == 5 and ">ngo-mon</text>" in page and ">3</text>" in page
    exported = client.get("/admin/analytics.csv")
    assert exported.mimetype == "text/csv"
    table = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert sum(int(row["count"]) for row in table if row["event"] == "scan") == 3
    assert {row["language"] for row in table} == {"vi", "en"}
    assert client.get("/admin/analytics?from=2026-02-01&to=2026-01-01").status_code == 400


def test_the_audit_log_filters_by_action(client: FlaskClient, services: Services, world: World) -> None:
    token = sign_in(client, Role.CURATOR)
    client.post("/admin/plaques/printed", data={"csrf_token": token, "site_id": world.site_id, "size": "A5",
                                                "printed_on": "2026-11-01"})  # fmt: skip
    client.post(f"/admin/scenes/versions/{world.submitted_id}/approve", data={"csrf_token": token})
    page = client.get("/admin/audit?action=scene.").get_data(as_text=True)
    assert "scene.approve" in page and "plaque.record" not in page
    assert "plaque.record" in client.get("/admin/audit?target=printed_plaque").get_data(as_text=True)


def test_an_upload_of_the_wrong_kind_is_refused_and_licences_can_be_edited(
    client: FlaskClient, services: Services, world: World
) -> None:
    token = sign_in(client, Role.CURATOR)
    bad = {"csrf_token": token, "file": (io.BytesIO(b"MZ\x90\x00"), "setup.exe")}
    response = client.post("/admin/assets", data=bad, content_type="multipart/form-data")
    assert response.status_code == 400 and "setup.exe" in response.get_data(as_text=True)
    for data, name, words in (
        (b"MZ\x90\x00", "gate.glb", "gate.glb is executable, not binary glTF"),
        (b"", "gate.obj", "gate.obj is empty"),
        (b"solid gate\n", "gate.ply", "gate.ply is text, not PLY mesh"),
    ):
        form = {"csrf_token": token, "file": (io.BytesIO(data), name)}
        refused = client.post("/admin/assets", data=form, content_type="multipart/form-data")
        assert refused.status_code == 400 and words in refused.get_data(as_text=True), name
    edited = client.post(
        f"/admin/assets/versions/{world.model_version_id}/licence",
        data={
            "csrf_token": token,
            "licence": "CC-BY-4.0",
            "credits": "Trung tâm Bảo tồn Di tích Huế; Lan",
        },
    )
    assert edited.status_code == 302
    with services.session_factory() as session:
        version = session.get(AssetVersion, world.model_version_id)
        assert version is not None
        assert version.licence["spdx"] == "CC-BY-4.0"
        assert version.provenance["creator"] == ["Trung tâm Bảo tồn Di tích Huế", "Lan"]


def test_an_uploaded_scan_keeps_its_vietnamese_file_name(
    client: FlaskClient, services: Services, world: World
) -> None:
    token = sign_in(client, Role.CURATOR)
    for sent in ("Lăng Tự Đức.glb", "scans/Lăng Tự Đức.glb"):  # a client may send a path
        form = {"csrf_token": token, "file": (io.BytesIO(box_glb()), sent)}
        answer = client.post("/admin/assets", data=form, content_type="multipart/form-data")
        assert answer.status_code == 302, answer.get_data(as_text=True)[-800:]
    with services.session_factory() as session:
        versions = session.scalars(select(AssetVersion).order_by(AssetVersion.id.desc()).limit(2)).all()
        assert [v.filename for v in versions] == ["Lăng Tự Đức.glb"] * 2
        assert [v.asset.name for v in versions] == ["Lăng Tự Đức"] * 2
    form = {"csrf_token": token, "file": (io.BytesIO(box_glb()), "scans/")}
    refused = client.post("/admin/assets", data=form, content_type="multipart/form-data")
    assert refused.status_code == 400 and "choose a photogrammetry file" in refused.get_data(as_text=True)


def test_a_site_whose_name_a_plaque_cannot_print_says_why_instead_of_offering_it(
    client: FlaskClient, services: Services, world: World
) -> None:
    with services.session_factory.begin() as session:
        site = session.get(Site, world.site_id)
        assert site is not None
        site.names = {**site.names, "vi": "Ngọ Môn (午門)"}
    sign_in(client, Role.CURATOR)
    page = client.get("/admin/plaques?lang=en").get_data(as_text=True)
    assert "Cannot print:" in page and "has no glyph for: 午 門" in page
    assert f"/admin/plaques/{world.site_id}.pdf" not in page
    refused = client.get(f"/admin/plaques/{world.site_id}.pdf")
    assert refused.status_code == 400
    assert "has no glyph for: 午 門" in refused.get_data(as_text=True)
