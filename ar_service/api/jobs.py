"""Processing jobs as developers see them: state, progress, stage and error."""

from __future__ import annotations

from typing import Any

from flask import jsonify, url_for
from werkzeug.wrappers import Response

from ar_service.api.scope import check_asset_access, get_or_404
from ar_service.api.views import bp
from ar_service.auth import token_required
from ar_service.models import Job


def _time(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def job_json(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "state": job.state.value,
        "progress": job.progress,
        "stage": job.stage,
        "attempts": job.attempts,
        "error": {"code": job.error_code, "message": job.error_message} if job.error_code else None,
        "result": job.result,
        "created_at": _time(job.created_at),
        "started_at": _time(job.started_at),
        "finished_at": _time(job.finished_at),
        "url": url_for("api.get_job", job_id=job.id, _external=True),
    }


@bp.get("/jobs/<int:job_id>")
@token_required
def get_job(job_id: int) -> Response:
    """A job's state (queued, running, succeeded, failed), progress 0–100, current stage and error."""
    job = get_or_404(Job, job_id, "job")
    version_id = job.payload.get("asset_version_id")
    check_asset_access(int(version_id) if isinstance(version_id, int) else None)
    response = jsonify(job_json(job))
    if not job.done:
        response.headers["Retry-After"] = "2"
    return response
