"""Blueprint for tourists: QR resolution, site pages, and the files scenes are made of."""

from ar_service.public.views import bp

__all__ = ["bp"]
