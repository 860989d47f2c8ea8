"""The OpenAPI document: complete, valid, true to real answers, and fuzzed with schemathesis."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import schemathesis
from conftest import API_TOKEN, adapter_config
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection

from oct8ne_adapter import create_app
from oct8ne_adapter.web.methods import BY_KEY
from oct8ne_adapter.web.openapi import METHODS, SCHEMAS, document

#: Cases per operation and mode: 21 runs x 100 = 2,100 generated requests in every CI run.
FUZZ_EXAMPLES = int(os.environ.get("OCT8NE_FUZZ_EXAMPLES", "100"))


def validator_for(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    """A validator that resolves `#/components/schemas/...` references."""
    return jsonschema.Draft202012Validator({**schema, "components": {"schemas": SCHEMAS}})


def test_every_frame_method_is_documented():
    assert {method.lower() for method in METHODS} == set(BY_KEY)
    paths = document()["paths"]
    assert {f"/oct8ne/frame/{method}" for method in METHODS} <= set(paths)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_component_schemas_are_valid_json_schema(name):
    jsonschema.Draft202012Validator.check_schema(SCHEMAS[name])


def test_the_document_is_served_with_the_mount_prefix(client: FlaskClient):
    served = client.get("/oct8ne/openapi.json").get_json()
    assert served["openapi"] == "3.1.0"
    assert "/oct8ne/frame/search" in served["paths"]
    mounted = client.get("/oct8ne/openapi.json", base_url="http://localhost/shop")
    assert "/shop/oct8ne/frame/search" in mounted.get_json()["paths"]


#: (method, params) whose real answers are validated against the documented 200 schema.
REAL_CALLS = [
    ("productInfo", {"productIds": "1001,1002,1003"}),
    ("productSummary", {"productIds": "1001,1005"}),
    ("productRelated", {"productId": "1001"}),
    ("search", {"search": "jacket"}),
    ("search", {"search": "shoe", "color": "black", "locale": "es-ES", "currency": "EUR"}),
    ("customerData", {}),
    ("addToWishList", {"productIds": "1001"}),
    ("getCart", {}),
    ("getAdapterInfo", {}),
    ("getOrders", {"customerEmail": "jane.doe@example.com", "apiToken": API_TOKEN}),
    ("getOrders", {"customerEmail": "jane.doe@example.com", "apiToken": "wrong"}),
    ("getOrderDetails", {"reference": "JDX1001A", "apiToken": API_TOKEN}),
    ("getOrderDetails", {"reference": "NOPE", "apiToken": API_TOKEN}),
]


@pytest.mark.parametrize(("method", "params"), REAL_CALLS)
def test_real_answers_match_the_document(signed_in_client: FlaskClient, method, params):
    response = signed_in_client.get(f"/oct8ne/frame/{method}", query_string=params)
    assert response.status_code == 200
    _, _, schema = METHODS[method]
    validator_for(schema).validate(response.get_json())


@pytest.mark.parametrize(
    "path", ["/oct8ne/frame/search?page=x", "/oct8ne/frame/x", "/oct8ne/frame/search?callback=("]
)
def test_error_answers_match_the_document(client: FlaskClient, path):
    validator_for(SCHEMAS["Error"]).validate(client.get(path).get_json())


@pytest.fixture(scope="module")
def fuzz_app(
    tmp_path_factory: pytest.TempPathFactory, seeded_database_file: Path
) -> Iterator[Flask]:
    import shutil

    path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    shutil.copyfile(seeded_database_file, path)
    app = create_app(adapter_config(f"sqlite:///{path}", OCT8NE_RATELIMIT_ENABLED=False))
    yield app
    app.extensions["oct8ne"].database.engine.dispose()


@pytest.fixture(scope="module")
def fuzz_schema(fuzz_app: Flask) -> Any:
    return schemathesis.openapi.from_wsgi("/oct8ne/openapi.json", fuzz_app)


def jsonp_error(response: Any) -> dict[str, Any] | None:
    """The error object of a JSONP answer (`/**/cb({"error": ...});`), or None."""
    match = re.fullmatch(rb"/\*\*/[A-Za-z0-9_$.]+\((.*)\);", response.content, re.DOTALL)
    if response.status_code != 200 or match is None:
        return None
    payload = json.loads(match.group(1))
    return payload if isinstance(payload, dict) and "error" in payload else None


@pytest.mark.parametrize(
    ("path", "mode"),
    [
        *(
            (f"/oct8ne/frame/{method}", mode)
            for method in METHODS
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        ),
        # Health takes no parameters: there is nothing to break.
        ("/oct8ne/health", GenerationMode.POSITIVE),
    ],
)
def test_fuzzed_requests_never_fail_and_always_conform(fuzz_schema, path, mode):
    """No generated request gets a 5xx or an answer the document does not describe; requests
    that break the document are refused: with a 4xx, or (issue 17: a browser runs no script
    served with an error status) with a valid callback, an error object inside it with 200."""
    operation = fuzz_schema[path]["GET"]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def call(case: Any) -> None:
        response = case.call()
        error = jsonp_error(response)
        if error is None:
            case.validate_response(response)
            return
        validator_for(SCHEMAS["Error"]).validate(error)
        assert error["error"] != "internal_error"
        # The error answer is the refusal: the status check of invalid data does not apply.
        case.validate_response(response, excluded_checks=[negative_data_rejection])

    call()
