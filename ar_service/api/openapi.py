"""The OpenAPI 3.1 description of /api/v1 (written as data), its browsable docs, and the scene.json schema."""

from __future__ import annotations

import json
from typing import Any

from flask import jsonify, render_template
from werkzeug.wrappers import Response

from ar_service.api.views import bp
from ar_service.bundles import scene_schema
from ar_service.models.base import MAX_ID
from ar_service.settings import LANGUAGES

PROBLEM = {"$ref": "#/components/responses/Problem"}
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
EVENT_KIND = {"type": "string", "enum": ["page", "ar_started", "marker_found", "error"]}
BEACON: dict[str, Any] = {
    "type": "object",
    "description": "One event (`event`, `detail`) or a visit's `events` together.",
    "required": ["site"],
    "properties": {
        "site": {"type": "string"},
        "event": EVENT_KIND,
        "language": {
            "type": "string",
            "description": (
                f"The page's language, a BCP 47 tag. It is counted as one of {', '.join(LANGUAGES)}: a"
                " region or script subtag is dropped (`en-US` counts as `en`), and a language outside"
                " these, or none, counts as the one the request negotiates (`?lang=`, `Accept-Language`,"
                " else `vi`), as its page did."
                " Not a string: 400."
            ),
            "examples": ["vi", "en-US"],
        },
        "device": {
            "type": "string",
            "description": (
                "The viewer's device class, `mobile`, `tablet` or `desktop`, a hyphen, then `ios`,"
                " `android`, `windows`, `macos`, `linux` or `other` (or `other` alone). Counted as"
                " sent; anything else, or none, is counted as the class of the request's User-Agent."
                " Not a string: 400."
            ),
            "examples": ["mobile-android", "tablet-ios"],
        },
        "detail": {"type": "string", "maxLength": 40},
        "events": {
            "type": "array",
            "minItems": 1,
            "maxItems": 20,
            "items": {
                "type": "object",
                "required": ["event"],
                "properties": {
                    "event": EVENT_KIND,
                    "detail": {"type": "string", "maxLength": 40},
                },
            },
        },
    },
    "oneOf": [{"required": ["event"]}, {"required": ["events"]}],
    "example": {
        "site": "thien-mu",
        "language": "vi",
        "events": [{"event": "page"}, {"event": "ar_started", "detail": "marker"}],
    },
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _path_param(name: str, schema: dict[str, Any], description: str, example: object) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": schema,
        "description": description,
        "example": example,
    }


SLUG = _path_param("slug", {"type": "string", "pattern": "^[a-z0-9-]+$"}, "The site's slug.", "thien-mu")
SCENE_ID = _path_param("scene_id", ID, "Scene id.", 1)
NUMBER = _path_param("number", ID, "Version number within the scene (1, 2, …).", 1)
AUTH_ERRORS = {"401": PROBLEM, "403": PROBLEM, "404": PROBLEM}
BUNDLE_BODY = {
    "required": True,
    "description": "A zip with scene.json at its root, or one multipart part per file, named by its path.",
    "content": {
        "application/zip": {"schema": {"type": "string", "format": "binary"}},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["scene.json"],
                "properties": {"scene.json": {"type": "string", "format": "binary"}},
                "additionalProperties": {"type": "string", "format": "binary"},
            }
        },
    },
}
UPLOADED = {
    "202": {
        "description": "Stored as a draft version; processing jobs are queued.",
        "headers": {"Location": {"schema": {"type": "string"}, "description": "The new version's URL."}},
        "content": {"application/json": {"schema": _ref("Uploaded")}},
    },
    "400": {"$ref": "#/components/responses/InvalidBundle"},
    "413": {"$ref": "#/components/responses/InvalidBundle"},
    **AUTH_ERRORS,
}

SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details.",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "code": {"type": "string"},
            "errors": {
                "type": "array",
                "description": "For bundles: every problem found, each naming its file ('' = the bundle).",
                "items": {
                    "type": "object",
                    "required": ["file", "problem"],
                    "properties": {"file": {"type": "string"}, "problem": {"type": "string"}},
                },
            },
        },
    },
    "File": {
        "type": ["object", "null"],
        "properties": {
            "asset_version_id": {"type": "integer"},
            "filename": {"type": "string"},
            "sha256": {"type": "string"},
            "bytes": {"type": "integer"},
            "content_type": {"type": "string"},
            "processed": {"type": "boolean"},
        },
    },
    "Job": {
        "type": "object",
        "required": ["id", "kind", "state", "progress", "stage", "error", "url"],
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string", "enum": ["model.process", "marker.compile"]},
            "state": {"type": "string", "enum": ["queued", "running", "succeeded", "failed"]},
            "progress": {"type": "integer", "minimum": 0, "maximum": 100},
            "stage": {"type": "string"},
            "attempts": {"type": "integer"},
            "error": {
                "type": ["object", "null"],
                "properties": {"code": {"type": "string"}, "message": {"type": ["string", "null"]}},
            },
            "result": {"type": ["object", "null"]},
            "created_at": {"type": ["string", "null"], "format": "date-time"},
            "started_at": {"type": ["string", "null"], "format": "date-time"},
            "finished_at": {"type": ["string", "null"], "format": "date-time"},
            "url": {"type": "string"},
        },
    },
    "VersionSummary": {
        "type": "object",
        "required": ["number", "state", "url"],
        "properties": {
            "number": {"type": "integer"},
            "state": {"type": "string", "enum": ["draft", "in_review", "approved", "published", "retired"]},
            "created_at": {"type": "string", "format": "date-time"},
            "review_comment": {"type": ["string", "null"], "description": "The curator's comment on review."},
            "url": {"type": "string"},
        },
    },
    "Version": {
        "allOf": [
            _ref("VersionSummary"),
            {
                "type": "object",
                "properties": {
                    "model": _ref("File"),
                    "marker": _ref("File"),
                    "placement": {"type": "object"},
                    "annotations": {"type": "array"},
                    "narration": {"type": "object"},
                    "publish_from": {"type": ["string", "null"]},
                    "publish_until": {"type": ["string", "null"]},
                    "jobs": {"type": "array", "items": _ref("Job")},
                },
            },
        ]
    },
    "Scene": {
        "type": "object",
        "required": ["id", "site", "title", "url"],
        "properties": {
            "id": {"type": "integer"},
            "site": {"type": "string"},
            "title": {"type": "string"},
            "published_version": {"type": ["integer", "null"]},
            "latest_version": {"type": ["integer", "null"]},
            "url": {"type": "string"},
            "versions": {"type": "array", "items": _ref("VersionSummary")},
        },
    },
    "Uploaded": {
        "type": "object",
        "required": ["scene", "version", "jobs"],
        "properties": {
            "scene": _ref("Scene"),
            "version": _ref("VersionSummary"),
            "jobs": {"type": "array", "items": {"type": "string"}, "description": "URLs of the queued jobs."},
        },
    },
    "UploadStatus": {
        "type": "object",
        "required": ["ref", "bytes", "received", "complete"],
        "properties": {
            "ref": {"type": "string", "description": "Name the file in scene.json with this."},
            "bytes": {"type": "integer"},
            "received": {"type": "integer"},
            "complete": {"type": "boolean"},
            "sha256": {"type": "string"},
        },
    },
    "Manifest": {
        "type": "object",
        "required": ["site", "scene", "pack"],
        "description": (
            "Texts and narration in the asked language; where the site lacks it, in English, else"
            " Vietnamese. `site.name_language`, each annotation's `language` and the audio's and"
            " captions' `language` say which."
        ),
        "properties": {
            "site": {"type": "object"},
            "scene": {"type": ["object", "null"], "description": "null while nothing is published."},
            "pack": {
                "type": "object",
                "description": "Every URL to cache for offline use, with total bytes.",
            },
        },
    },
}

PATHS: dict[str, Any] = {
    "/sites/{slug}/scene": {
        "get": {
            "operationId": "siteScene",
            "summary": "Published scene manifest of a site",
            "tags": ["public"],
            "security": [],
            "parameters": [
                SLUG,
                {
                    "name": "lang",
                    "in": "query",
                    "schema": {"type": "string"},
                    "description": "Language code.",
                },
            ],
            "responses": {
                "200": _json(_ref("Manifest"), "The manifest."),
                "304": {"description": "Not modified."},
                "404": PROBLEM,
            },
        }
    },
    "/beacons": {
        "post": {
            "operationId": "beacon",
            "summary": "Count an anonymous viewer event",
            "tags": ["public"],
            "security": [],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": BEACON},
                    # What navigator.sendBeacon sends: a "simple" request, never preflighted.
                    "text/plain": {"schema": BEACON},
                },
            },
            "responses": {
                "204": {"description": "Counted."},
                "400": PROBLEM,
                "404": PROBLEM,
                "413": PROBLEM,  # over 4 KiB, refused unread
            },
        }
    },
    "/schema/scene.json": {
        "get": {
            "operationId": "sceneSchema",
            "summary": "JSON Schema of scene.json",
            "tags": ["docs"],
            "security": [],
            "responses": {
                "200": {
                    "description": "JSON Schema, draft 2020-12.",
                    "content": {"application/schema+json": {"schema": {"type": "object"}}},
                }
            },
        }
    },
    "/openapi.json": {
        "get": {
            "operationId": "openapi",
            "summary": "This description",
            "tags": ["docs"],
            "security": [],
            "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1.")},
        }
    },
    "/docs": {
        "get": {
            "operationId": "docs",
            "summary": "Browsable API documentation",
            "tags": ["docs"],
            "security": [],
            "responses": {"200": {"description": "HTML page.", "content": {"text/html": {}}}},
        }
    },
    "/uploads": {
        "post": {
            "operationId": "createUpload",
            "summary": "Reserve an upload of one large file",
            "description": "Returns where to send the bytes: a presigned POST to S3, "
            "or a PUT to this server. "
            "Name the file in scene.json as the returned `ref` (`upload:<id>`).",
            "tags": ["uploads"],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["site", "filename", "bytes"],
                            "properties": {
                                "site": {"type": "string"},
                                "filename": {"type": "string", "maxLength": 100},
                                "bytes": {"type": "integer", "minimum": 1},
                            },
                            "example": {"site": "thien-mu", "filename": "scan.glb", "bytes": 52428800},
                        }
                    }
                },
            },
            "responses": {
                "201": _json(
                    {
                        "type": "object",
                        "required": ["id", "ref", "upload"],
                        "properties": {
                            "id": {"type": "string"},
                            "ref": {"type": "string"},
                            "filename": {"type": "string"},
                            "bytes": {"type": "integer"},
                            "expires_at": {"type": "string"},
                            "upload": {
                                "type": "object",
                                "description": "method, url, and headers or form fields.",
                            },
                        },
                    },
                    "Upload reserved.",
                ),
                "400": PROBLEM,
                "413": PROBLEM,
                **AUTH_ERRORS,
            },
        }
    },
    "/uploads/{upload_id}": {
        "parameters": [
            _path_param("upload_id", {"type": "string"}, "The id returned on reservation.", "eyJ…")
        ],
        "get": {
            "operationId": "getUpload",
            "summary": "How much of an upload has arrived (where to resume)",
            "tags": ["uploads"],
            "responses": {"200": _json(_ref("UploadStatus"), "Progress."), **AUTH_ERRORS},
        },
        "put": {
            "operationId": "putUpload",
            "summary": "Send the bytes of a reserved upload (local storage), whole or resumed",
            "tags": ["uploads"],
            "parameters": [
                {
                    "name": "Content-Range",
                    "in": "header",
                    "schema": {"type": "string", "pattern": "^bytes [0-9]+-[0-9]+/[0-9]+$"},
                    "description": "To resume: the part this request carries, starting at `received`.",
                }
            ],
            "requestBody": {
                "required": True,
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            },
            "responses": {
                "201": _json(_ref("UploadStatus"), "Received in full (with its sha256)."),
                "202": _json(_ref("UploadStatus"), "Part received; send the rest."),
                "400": PROBLEM,
                "409": PROBLEM,
                "413": PROBLEM,
                **AUTH_ERRORS,
            },
        },
    },
    "/sites/{slug}/scenes": {
        "post": {
            "operationId": "createScene",
            "summary": "Upload a bundle as a new scene",
            "tags": ["scenes"],
            "parameters": [SLUG],
            "requestBody": BUNDLE_BODY,
            "responses": UPLOADED,
        }
    },
    "/scenes": {
        "get": {
            "operationId": "listScenes",
            "summary": "Scenes of the sites your token reaches",
            "tags": ["scenes"],
            "parameters": [
                {
                    "name": "site",
                    "in": "query",
                    "schema": {"type": "string"},
                    "description": "Only this site.",
                },
                {
                    "name": "offset",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID},
                },
            ],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "scenes": {"type": "array", "items": _ref("Scene")},
                            "next_offset": {"type": ["integer", "null"]},
                        },
                    },
                    "One page of scenes.",
                ),
                "400": PROBLEM,
                "401": PROBLEM,
            },
        }
    },
    "/scenes/{scene_id}": {
        "get": {
            "operationId": "getScene",
            "summary": "A scene with its versions, states and review comments",
            "tags": ["scenes"],
            "parameters": [SCENE_ID],
            "responses": {"200": _json(_ref("Scene"), "The scene."), **AUTH_ERRORS},
        }
    },
    "/scenes/{scene_id}/versions": {
        "post": {
            "operationId": "addVersion",
            "summary": "Upload a bundle as the scene's next version",
            "tags": ["scenes"],
            "parameters": [SCENE_ID],
            "requestBody": BUNDLE_BODY,
            "responses": UPLOADED,
        }
    },
    "/scenes/{scene_id}/versions/{number}": {
        "get": {
            "operationId": "getVersion",
            "summary": "A version: files with hashes, texts, jobs, review comment",
            "tags": ["scenes"],
            "parameters": [SCENE_ID, NUMBER],
            "responses": {"200": _json(_ref("Version"), "The version."), **AUTH_ERRORS},
        }
    },
    "/scenes/{scene_id}/versions/{number}/submit": {
        "post": {
            "operationId": "submitVersion",
            "summary": "Submit a draft for review (draft → in_review)",
            "tags": ["scenes"],
            "parameters": [SCENE_ID, NUMBER],
            "responses": {"200": _json(_ref("Version"), "Submitted."), "409": PROBLEM, **AUTH_ERRORS},
        }
    },
    "/scenes/{scene_id}/versions/{number}/preview": {
        "post": {
            "operationId": "previewVersion",
            "summary": "A signed, expiring link showing the version in the viewer",
            "tags": ["scenes"],
            "parameters": [SCENE_ID, NUMBER],
            "requestBody": {
                "required": False,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "expires_in": {"type": "integer", "minimum": 60, "maximum": 1209600}
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "required": ["url", "expires_at"],
                        "properties": {"url": {"type": "string"}, "expires_at": {"type": "string"}},
                    },
                    "The link.",
                ),
                "400": PROBLEM,
                **AUTH_ERRORS,
            },
        }
    },
    "/jobs/{job_id}": {
        "get": {
            "operationId": "getJob",
            "summary": "A processing job: state, progress, stage, error",
            "tags": ["jobs"],
            "parameters": [_path_param("job_id", ID, "Job id.", 1)],
            "responses": {"200": _json(_ref("Job"), "The job."), **AUTH_ERRORS},
        }
    },
}


def openapi_document() -> dict[str, Any]:
    """The API description (OpenAPI 3.1); server URL relative so it works behind any host."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Hue AR developer API",
            "version": "1",
            "description": "Upload AR scenes for Huế's heritage sites, follow their processing, submit them "
            "for review and preview them. Send `Authorization: Bearer <token>` (curators issue tokens "
            "scoped to sites). Errors are RFC 9457 problem+json.",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "servers": [{"url": "/api/v1"}],
        "security": BEARER,
        "paths": PATHS,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "huear_… token"}
            },
            "schemas": SCHEMAS,
            "responses": {
                "Problem": {
                    "description": "What went wrong (RFC 9457).",
                    "content": {"application/problem+json": {"schema": _ref("Problem")}},
                },
                "InvalidBundle": {
                    "description": "Refused, nothing stored; `errors` names each file and problem.",
                    "content": {"application/problem+json": {"schema": _ref("Problem")}},
                },
            },
        },
    }


@bp.get("/openapi.json")
def openapi() -> Response:
    # Not jsonify: it sorts keys, and the document reads best in the order it was written.
    return Response(json.dumps(openapi_document(), ensure_ascii=False), mimetype="application/json")


@bp.get("/schema/scene.json")
def scene_json_schema() -> Response:
    response = jsonify(scene_schema())
    response.content_type = "application/schema+json"
    return response


@bp.get("/docs")
def docs() -> str:
    """A self-contained page that renders the description (no third-party scripts)."""
    return render_template("api/docs.html")
