"""SQLAlchemy 2.0 typed models, one module per aggregate."""

from ar_service.models.analytics import EventKind, ScanEvent
from ar_service.models.asset import Asset, AssetKind, AssetVersion
from ar_service.models.audit import AuditLog
from ar_service.models.base import Base, utcnow
from ar_service.models.job import Job, JobState
from ar_service.models.plaque import PrintedPlaque
from ar_service.models.scene import Scene, SceneState, SceneVersion
from ar_service.models.site import Site, SiteStatus
from ar_service.models.user import ApiToken, Role, User, hash_token

__all__ = [
    "ApiToken",
    "Asset",
    "AssetKind",
    "AssetVersion",
    "AuditLog",
    "Base",
    "EventKind",
    "Job",
    "JobState",
    "PrintedPlaque",
    "Role",
    "ScanEvent",
    "Scene",
    "SceneState",
    "SceneVersion",
    "Site",
    "SiteStatus",
    "User",
    "hash_token",
    "utcnow",
]
