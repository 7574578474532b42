"""Putting files into the asset library: store the bytes once, record an immutable version."""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ar_service.media_types import content_type_for
from ar_service.models import Asset, AssetKind, AssetVersion, Site
from ar_service.storage import Storage
from hue_errors import Conflict
from markers.qr import make_short_code


def add_version(
    session: Session,
    storage: Storage,
    asset: Asset,
    source: Path,
    *,
    provenance: dict[str, Any] | None = None,
    licence: dict[str, Any] | None = None,
) -> AssetVersion:
    """Store ``source`` (a file, or a folder packed as a zip) as the asset's next version."""
    with tempfile.TemporaryDirectory(prefix="hue-ar-upload-") as scratch:
        path = source
        if source.is_dir():
            path = Path(scratch) / f"{source.name}.zip"
            pack_folder(source, path)
        suffix = path.suffix.lower()
        stored = storage.put(path, content_type=content_type_for(path.name), suffix=suffix)
    number = (
        session.scalar(select(func.max(AssetVersion.number)).where(AssetVersion.asset_id == asset.id)) or 0
    ) + 1
    version = AssetVersion(
        asset=asset,
        number=number,
        storage_key=stored.key,
        sha256=stored.sha256,
        byte_size=stored.size,
        content_type=stored.content_type,
        filename=path.name,
        provenance=provenance or {},
        licence=licence or {},
    )
    session.add(version)
    session.flush()
    return version


def pack_folder(folder: Path, target: Path) -> None:
    """Zip a folder deterministically (sorted names, fixed timestamps) so equal folders hash equal."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(folder).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
            with path.open("rb") as src, archive.open(info, "w") as dst:
                shutil.copyfileobj(src, dst, 1024 * 1024)


def new_asset(session: Session, kind: AssetKind, name: str, site_id: int | None) -> Asset:
    asset = Asset(kind=kind, name=name, site_id=site_id)
    session.add(asset)
    session.flush()
    return asset


def allocate_site_code(session: Session) -> str:
    """A random short code (with check character) that no site uses yet."""
    taken = set(session.scalars(select(func.upper(Site.code))))
    # 32⁵ codes: a clash is rare, so a few draws always suffice in practice.
    for _attempt in range(100):
        code = make_short_code()
        if code not in taken:
            return code
    raise Conflict("code: could not find a free short code; type one instead")
