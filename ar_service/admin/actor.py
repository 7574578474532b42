"""The signed-in staff member acting on a request, and the audit rows their changes leave."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ar_service.auth import session_user
from ar_service.models import AuditLog, User
from hue_errors import Unauthorized


def actor() -> User:
    user = session_user()
    if user is None:
        raise Unauthorized("sign in to the workspace first")
    return user


def audit(session: Session, action: str, target_type: str, target_id: int | None, **details: Any) -> None:
    session.add(
        AuditLog(
            actor_id=actor().id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            details=details,
        )
    )
