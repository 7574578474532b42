"""The one exception hierarchy shared by the service and its libraries.

Every error carries a stable ``code`` and a message a person can act on, prefixed
with what was being read or done (``"decimate: mesh has 0 faces (expected ≥ 1)"``).
The edges map them once: problem+json in the API, a page in HTML, an exit code in
the CLI.
"""

from __future__ import annotations


class HueARError(Exception):
    """Base of every error the project raises on purpose."""

    code = "error"
    http_status = 500
    exit_code = 1
    retryable = False  # whether the same call may succeed later (a job is then tried again)

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidInput(HueARError):
    """An input (upload, file, form, setting) is malformed, too large or hostile."""

    code = "invalid_input"
    http_status = 400
    exit_code = 2


class TooLarge(InvalidInput):
    """An input exceeds a size limit."""

    code = "too_large"
    http_status = 413


class NotFound(HueARError):
    code = "not_found"
    http_status = 404
    exit_code = 2


class Unauthorized(HueARError):
    code = "unauthorized"
    http_status = 401
    exit_code = 2


class Forbidden(HueARError):
    code = "forbidden"
    http_status = 403
    exit_code = 2


class Conflict(HueARError):
    code = "conflict"
    http_status = 409
    exit_code = 2


class ConfigError(HueARError):
    """A setting is missing or wrong; the message names the environment variable."""

    code = "config"
    exit_code = 2


class MissingTool(HueARError):
    """An optional external tool (validator, reference compiler) is not installed."""

    code = "missing_tool"
    http_status = 503
    exit_code = 3


class BudgetExceeded(HueARError):
    """An output breaks a size or quality budget."""

    code = "budget_exceeded"
    http_status = 422
    exit_code = 4


class StorageError(HueARError):
    """The object store failed to read or write."""

    code = "storage"
    http_status = 503
    exit_code = 4
    retryable = True  # an object store's outage or a full disk passes
