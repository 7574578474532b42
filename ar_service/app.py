"""The Flask app factory: ``create_app`` (WSGI servers run ``ar_service.app:create_app()``)."""

from __future__ import annotations

from flask import Flask
from flask_babel import Babel
from werkzeug.routing import IntegerConverter, Map

from ar_service.auth import csrf, init_auth
from ar_service.compression import init_compression
from ar_service.conditional import init_conditional
from ar_service.errors import register_error_handlers
from ar_service.i18n import select_language
from ar_service.models.base import MAX_ID
from ar_service.services import Services, close_db
from ar_service.settings import Settings


class IdConverter(IntegerConverter):
    """``<int:…>`` that stops at ``MAX_ID``: a larger number is a plain 404, not a database overflow."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = MAX_ID,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app from ``settings`` (default: environment variables with embedded defaults)."""
    settings = (settings or Settings.from_env()).ensure_secret_key()
    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.url_map.converters["int"] = IdConverter  # before any rule is added
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_upload_bytes,
        TESTING=settings.testing,
        BABEL_DEFAULT_LOCALE="vi",
        SEND_FILE_MAX_AGE_DEFAULT=3600,
        JSON_SORT_KEYS=False,
    )
    app.extensions["hue_ar"] = Services.build(settings)
    Babel(app, locale_selector=select_language)
    init_conditional(app)
    init_compression(app)
    app.teardown_appcontext(close_db)
    init_auth(app)
    register_error_handlers(app)

    from ar_service import admin, api, public
    from ar_service.api import preview

    app.register_blueprint(public.bp)
    app.register_blueprint(admin.bp)
    csrf.exempt(api.bp)  # bearer-token API: no cookies, so no cross-site forgery
    app.register_blueprint(api.bp)
    app.register_blueprint(preview.bp)
    return app
