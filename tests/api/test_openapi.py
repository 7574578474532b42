"""The API description: complete, valid, browsable, and survived by schemathesis without a 5xx."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ar_service.api.openapi import openapi_document
from pipeline.recipe import recipe_names
from tests.api.bundles import bundle_files, make_zip
from tests.api.conftest import World, bearer

EXAMPLES = 50  # per operation and strategy: about 1,000 requests, a few seconds
SCHEMA_FILE = Path(__file__).parents[2] / "ar_service" / "schemas" / "scene.json"


def _flask_to_openapi(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.removeprefix("/api/v1"))


def test_every_api_route_is_described(app: Flask) -> None:
    methods = {"get", "put", "post", "delete", "patch"}
    described = {
        (path, method.upper())
        for path, ops in openapi_document()["paths"].items()
        for method in ops
        if method in methods
    }
    routes = {
        (_flask_to_openapi(rule.rule), method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1")
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    assert routes == described


def test_scene_schema_is_served_as_published(client: FlaskClient) -> None:
    response = client.get("/api/v1/schema/scene.json")
    assert response.status_code == 200
    assert response.content_type == "application/schema+json"
    assert json.loads(response.data) == json.loads(SCHEMA_FILE.read_text())


def test_scene_schema_offers_exactly_the_pipeline_recipes() -> None:
    recipe = json.loads(SCHEMA_FILE.read_text())["properties"]["model"]["properties"]["recipe"]
    assert sorted(recipe["enum"]) == recipe_names()


def test_docs_page_renders_the_spec_without_third_party_scripts(client: FlaskClient) -> None:
    html = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/api/v1/openapi.json" in html
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"(https?:)?//", html)


@pytest.fixture
def fuzz_app(app: Flask, client: FlaskClient, world: World) -> Flask:
    """The app with a scene (version 1, draft) so that ids 1 exist for the fuzzer too."""
    response = client.post(
        "/api/v1/sites/thien-mu/scenes",
        data=make_zip(bundle_files()),
        headers=bearer(world.dev_a),
        content_type="application/zip",
    )
    assert response.status_code == 202
    return app


def test_schemathesis_finds_no_server_error_nor_undocumented_response(fuzz_app: Flask, world: World) -> None:
    """Generated requests plus the spec's examples (which reach existing rows), checked against the spec."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app)
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    assert len(operations) >= 14
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    for operation in operations:
        for strategy in (operation.as_strategy(), *operation.get_strategies_from_examples()):

            @settings(
                max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
            )
            @given(case=strategy)
            def run(case: schemathesis.Case[Any]) -> None:
                # The WSGI transport hands bodies over still encoded: ask for them plain.
                headers = {**bearer(world.dev_a), "Accept-Encoding": "identity"}
                case.call_and_validate(headers=headers, checks=checks)

            run()
