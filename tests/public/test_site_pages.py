import gzip
import re

from flask.testing import FlaskClient
from sqlalchemy import select

from ar_service.models import EventKind, ScanEvent, SceneVersion, Site, SiteStatus
from ar_service.services import Services
from tests.public.conftest import Published

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"


def test_qr_code_is_case_insensitive_and_counted(
    client: FlaskClient, services: Services, published: Published
) -> None:
    response = client.get("/q/thm7k", headers={"User-Agent": IPHONE, "Accept-Language": "fr-FR,fr;q=0.9"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/s/thien-mu"
    with services.session_factory() as session:
        events = session.scalars(select(ScanEvent)).all()
    assert [(e.kind, e.language, e.device_class) for e in events] == [(EventKind.SCAN, "fr", "mobile-ios")]


def test_following_the_qr_url_shows_the_site_page(client: FlaskClient, published: Published) -> None:
    response = client.get("/q/THM7K", follow_redirects=True, headers={"Accept-Language": "en"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1>Thien Mu Pagoda</h1>" in page
    assert "Perfume River" in page


def test_language_comes_from_accept_language_and_can_be_switched(
    client: FlaskClient, published: Published
) -> None:
    vi = client.get("/s/thien-mu", headers={"Accept-Language": "vi,en;q=0.5"}).get_data(as_text=True)
    assert "<h1>Chùa Thiên Mụ</h1>" in vi and '<html lang="vi">' in vi
    fr = client.get("/s/thien-mu?lang=fr", headers={"Accept-Language": "vi"}).get_data(as_text=True)
    assert "<h1>Pagode de la Dame céleste</h1>" in fr and '<html lang="fr">' in fr
    # No Japanese name: the English one is shown, marked as English, in a page that speaks
    # Japanese for its own words.
    ja = client.get("/s/thien-mu", headers={"Accept-Language": "ja"})
    assert ja.headers["Content-Language"] == "ja"
    assert '<h1 lang="en">Thien Mu Pagoda</h1>' in ja.get_data(as_text=True)


def test_texts_in_another_language_than_the_page_are_marked(client: FlaskClient, narrated: Published) -> None:
    ko = client.get("/s/thien-mu?lang=ko").get_data(as_text=True)
    assert '<html lang="ko">' in ko
    assert '<p lang="en">A seven-storey pagoda on the Perfume River.</p>' in ko
    assert '<dt lang="en">Phuoc Duyen tower</dt><dd lang="en">Seven storeys.</dd>' in ko
    assert 'alt="Thien Mu Pagoda" lang="en"' in ko
    vi = client.get("/s/thien-mu?lang=vi").get_data(as_text=True)
    assert "<h1>Chùa Thiên Mụ</h1>" in vi and "<dt>Tháp Phước Duyên</dt><dd>Bảy tầng.</dd>" in vi
    assert ' lang="' not in vi.split("</nav>", 1)[1]  # past the language links, nothing is marked
    assert 'srclang="vi"' in vi
    # The French page: its own name, the English description, the Vietnamese captions nowhere.
    fr = client.get("/s/thien-mu?lang=fr").get_data(as_text=True)
    assert "<h1>Pagode de la Dame céleste</h1>" in fr and "<track" not in fr


def test_the_site_list_marks_names_in_another_language(client: FlaskClient, published: Published) -> None:
    listing = client.get("/?lang=zh").get_data(as_text=True)
    assert re.search(r'<a lang="en" href="[^"]*thien-mu[^"]*">Thien Mu Pagoda</a>', listing)
    missing = client.get("/q/NOPE1?lang=fr").get_data(as_text=True)
    assert re.search(r'<a href="[^"]*thien-mu[^"]*">Pagode de la Dame céleste</a>', missing)
    assert re.search(r'<a lang="en" href="[^"]*tu-duc[^"]*">Tomb of Tu Duc</a>', missing)


def test_site_page_is_small_and_links_the_scene_files(client: FlaskClient, published: Published) -> None:
    response = client.get("/s/thien-mu?lang=en")
    page = response.get_data(as_text=True)
    assert len(response.data) < 50 * 1024
    assert f"/files/{published.glb_key}" in page
    assert "Phuoc Duyen tower" in page


def test_unchanged_page_answers_304(client: FlaskClient, published: Published) -> None:
    first = client.get("/s/thien-mu?lang=en")
    again = client.get("/s/thien-mu?lang=en", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_unknown_code_lists_the_open_sites(client: FlaskClient, published: Published) -> None:
    response = client.get("/q/ZZZZZ", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "ZZZZZ" in page
    assert "Thien Mu Pagoda" in page and "Tomb of Tu Duc" in page


def test_retired_site_gets_a_helpful_page(
    client: FlaskClient, services: Services, published: Published
) -> None:
    with services.session_factory.begin() as session:
        site = session.scalar(select(Site).where(Site.slug == "thien-mu"))
        assert site is not None
        site.status = SiteStatus.RETIRED
    for url in ("/q/THM7K", "/s/thien-mu"):
        response = client.get(url, headers={"Accept-Language": "en"})
        assert response.status_code == 404
        assert "no longer shown" in response.get_data(as_text=True)


def test_unpublished_scene_says_it_is_being_prepared(
    client: FlaskClient, services: Services, published: Published
) -> None:
    with services.session_factory.begin() as session:
        version = session.scalar(select(SceneVersion))
        assert version is not None
        version.scene.published_version_id = None
    page = client.get("/s/thien-mu?lang=en").get_data(as_text=True)
    assert "being prepared" in page
    assert published.glb_key not in page


def test_files_are_immutable_and_support_ranges(client: FlaskClient, published: Published) -> None:
    url = f"/files/{published.glb_key}"
    with client.get(url) as full:
        assert full.status_code == 200
        assert full.headers["Content-Type"] == "model/gltf-binary"
        assert full.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert full.data == published.glb
    with client.get(url, headers={"Range": "bytes=4-11"}) as part:
        assert part.status_code == 206
        assert part.data == published.glb[4:12]


def test_gzip_encoded_files_are_sent_encoded_or_inflated(client: FlaskClient, services: Services) -> None:
    content = b"\x82\xa1v\x02" + b"matching data " * 400
    stored = services.storage.put(
        gzip.compress(content, mtime=0), content_type="application/octet-stream", suffix=".mind.gz"
    )
    url = f"/files/{stored.key}"
    with client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"}) as encoded:
        assert encoded.status_code == 200
        assert encoded.headers["Content-Encoding"] == "gzip"
        assert encoded.headers["Content-Type"] == "application/octet-stream"
        assert encoded.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert "Accept-Encoding" in encoded.headers["Vary"]
        assert gzip.decompress(encoded.data) == content
        etag = encoded.headers["ETag"]
    with client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": etag}) as again:
        assert again.status_code == 304
    with client.get(url) as plain:  # e.g. curl without --compressed
        assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
        assert plain.data == content


def test_a_damaged_gzip_file_sent_inflated_is_a_storage_error_not_500(
    client: FlaskClient, services: Services
) -> None:
    whole = gzip.compress(b"matching data " * 400, mtime=0)
    stored = services.storage.put(whole[:-12], content_type="application/octet-stream", suffix=".mind.gz")
    with client.get(f"/files/{stored.key}") as plain:  # no Accept-Encoding: the server inflates
        assert plain.status_code == 503
        assert "is damaged" in plain.get_data(as_text=True)
    with client.get(f"/files/{stored.key}", headers={"Accept-Encoding": "gzip"}) as encoded:
        assert encoded.status_code == 200 and encoded.data == whole[:-12]  # sent as stored


def test_missing_file_is_404_not_500(client: FlaskClient, published: Published) -> None:
    assert client.get("/files/sha256/00/00/" + "0" * 64 + ".glb").status_code == 404
    assert client.get("/files/../../etc/passwd").status_code in (400, 404)


def test_page_words_follow_the_language(client: FlaskClient, published: Published) -> None:
    assert "AR 시작" in client.get("/s/thien-mu?lang=ko").get_data(as_text=True)
    assert "Bắt đầu AR" in client.get("/s/thien-mu?lang=vi").get_data(as_text=True)
    assert "Start AR" in client.get("/s/thien-mu?lang=en").get_data(as_text=True)
