"""Language negotiation for tourists' pages: ?lang=, then Accept-Language, then Vietnamese."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from markupsafe import Markup

from ar_service.settings import LANGUAGES

LANGUAGE_NAMES = {
    "vi": "Tiếng Việt",
    "en": "English",
    "fr": "Français",
    "zh": "中文",
    "ko": "한국어",
    "ja": "日本語",
}


def select_language() -> str:
    asked = served_language(request.args.get("lang", ""))
    if asked is not None:
        return asked
    return request.accept_languages.best_match(LANGUAGES) or "vi"


def served_language(tag: str) -> str | None:
    """The served language a BCP 47 tag names by its primary subtag ("en-US", "zh-Hant-TW"), or None."""
    primary = tag.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in LANGUAGES else None


def lang_attribute(text_language: str, page_language: str) -> Markup:
    """`` lang="…"`` for an element whose text is in ``text_language`` where that is not the
    page's language (a missing translation fell back to another; WCAG 3.1.2, language of parts:
    screen readers then speak it in its own voice and browsers pick its fonts); else nothing."""
    if text_language == page_language:
        return Markup("")
    return Markup(' lang="%s"') % text_language


def viewer_strings() -> dict[str, str]:
    """The viewer's UI text in the request's language (keys as in web/src/strings.js)."""
    return {
        "start_ar": _("Start AR"),
        "view_3d": _("3D view"),
        "ar_marker": _("AR on the plaque"),
        "ar_ground": _("AR on the ground"),
        "loading": _("Loading…"),
        "scan_plaque": _("Point your camera at the plaque"),
        "camera_denied": _(
            "Camera access was refused, so here is the 3D view. "
            "Allow the camera in your browser settings to use AR."
        ),
        "camera_missing": _("No camera is available, so here is the 3D view."),
        "ar_unsupported": _("AR is not available on this device, so here is the 3D view."),
        "load_failed": _("The model could not be loaded. Check your connection and try again."),
        "in_app_title": _("Open in your browser for AR"),
        "in_app_android": _("Open in Chrome"),
        "in_app_ios": _("Tap ⋯ or the share button, then “Open in Safari”."),
        "save_offline": _("Save this site for offline"),
        "saving": _("Saving… {done} of {total}"),
        "saved": _("Saved for offline ({total})"),
        "save_failed": _("Saving failed: {error}"),
        "listen": _("Listen"),
    }
