"""A site's print-ready plaque: its marker artwork, names and QR laid out by the markers library."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ar_service.models import AssetVersion, Scene, SceneVersion, Site
from ar_service.storage import Storage
from hue_errors import InvalidInput
from markers.images import LoadedImage, load_image
from markers.plaque import PaperSize, Plaque, PlaqueSpec, render_plaque
from markers.qr import make_qr, qr_url


def marker_artwork(session: Session, storage: Storage, site: Site) -> tuple[LoadedImage, str]:
    """The marker image of the site's published scene (else its newest one), and its credit line."""
    versions = session.scalars(
        select(SceneVersion)
        .join(Scene, Scene.id == SceneVersion.scene_id)
        .where(Scene.site_id == site.id, SceneVersion.marker_version_id.is_not(None))
        .order_by((Scene.published_version_id == SceneVersion.id).desc(), SceneVersion.created_at.desc())
    )
    chosen = next(iter(versions), None)
    marker = (
        session.get(AssetVersion, chosen.marker_version_id) if chosen and chosen.marker_version_id else None
    )
    if marker is None:
        raise InvalidInput(
            f"plaque: site {site.slug} has no marker image yet; a scene with a marker must come first"
        )
    image = load_image(storage.read_bytes(marker.storage_key), name=marker.filename)
    credit = marker.licence.get("attribution") or marker.provenance.get("attribution") or ""
    return image, str(credit)


def site_plaque(
    session: Session, storage: Storage, site: Site, public_base_url: str, size: PaperSize
) -> Plaque:
    """Render the plaque whose QR opens ``<public_base_url>/q/<site code>``."""
    artwork, credit = marker_artwork(session, storage, site)
    return render_plaque(
        PlaqueSpec(
            name_vi=site.text("names", "vi"),
            name_en=site.text("names", "en"),
            code=site.code,
            domain=public_base_url.split("://", 1)[-1],
            qr=make_qr(qr_url(public_base_url, site.code)),
            marker=artwork,
            attribution=credit,
            size=size,
        )
    )
