"""Blueprint for the JSON API under /api/v1."""

from ar_service.api import jobs, openapi, scenes, uploads  # noqa: F401  (they register their routes on bp)
from ar_service.api.views import bp

__all__ = ["bp"]
