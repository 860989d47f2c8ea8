"""responses.py: JSON / JSONP rendering and the validation of the JSONP callback name."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient

from oct8ne_adapter.errors import InvalidCallback
from oct8ne_adapter.web.responses import (
    MAX_CALLBACK_LENGTH,
    encode_json,
    render,
    validate_callback,
)

GOOD_CALLBACKS = [
    "cb",
    "myFunc",  # the spec's own example
    "jQuery123_456",
    "jQuery36008129938347311514_1700000000000",
    "a.b.c",
    "$x",
    "_",
    "$",
    "_private.$scope.fn_2",
    "a" * MAX_CALLBACK_LENGTH,
]

HOSTILE_CALLBACKS = [
    "alert(1)//",
    "a;b",
    "a" * 5_000,
    "a" * (MAX_CALLBACK_LENGTH + 1),
    "café",
    "a..b",
    "1abc",
    "a b",
    "<script>",
    "</script><script>alert(1)</script>",
    "a.",
    ".a",
    "a.1b",
    "cb\n",
    "cb\u2028",
    "a-b",
    "a[0]",
    "a=b",
    "(function(){})",
    "a/**/b",
    "\x00",
    "ｃｂ",  # full-width letters
]


def refusal_messages() -> set[str]:
    """What the adapter says about a bad callback: fixed texts, whatever the caller sent."""
    messages = set()
    for reference in ("1", "a" * 10_000):
        with pytest.raises(InvalidCallback) as caught:
            validate_callback(reference)
        messages.add(caught.value.message)
    return messages


@pytest.fixture
def flask_app() -> Flask:
    """An empty Flask app, for rendering responses outside the adapter."""
    return Flask(__name__)


# -- callback validation ------------------------------------------------------------------------
# Spec: "all the calls made from the oct8ne widget to the adapter of your platform may include the
# additional parameter callback, which contains the name of the function that will be executed".


@pytest.mark.parametrize("name", GOOD_CALLBACKS)
def test_good_callbacks_are_accepted(name: str) -> None:
    assert validate_callback(name) == name


@pytest.mark.parametrize("raw", [None, ""])
def test_no_callback_means_json(raw: str | None) -> None:
    assert validate_callback(raw) is None


@pytest.mark.parametrize("name", HOSTILE_CALLBACKS)
def test_hostile_callbacks_are_refused_without_being_echoed(name: str) -> None:
    with pytest.raises(InvalidCallback) as caught:
        validate_callback(name)
    assert caught.value.message in refusal_messages()
    assert caught.value.status == 400


@pytest.mark.parametrize("name", HOSTILE_CALLBACKS)
def test_the_frame_answers_400_json_to_a_hostile_callback(client: FlaskClient, name: str) -> None:
    response = client.get("/oct8ne/frame/getAdapterInfo", query_string={"callback": name})
    assert response.status_code == 400
    assert response.mimetype == "application/json"  # never JSONP with the caller's name
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.get_json()["error"] == "invalid_callback"
    assert response.get_json()["message"] in refusal_messages()
    if len(name) > 3:
        assert name not in response.get_data(as_text=True)


@pytest.mark.parametrize("name", GOOD_CALLBACKS)
def test_the_frame_answers_jsonp_to_a_good_callback(client: FlaskClient, name: str) -> None:
    response = client.get("/oct8ne/frame/getAdapterInfo", query_string={"callback": name})
    assert response.status_code == 200
    body = response.get_data()
    prefix = b"/**/" + name.encode("ascii") + b"("
    assert body.startswith(prefix)
    assert body.endswith(b");")
    assert json.loads(body[len(prefix) : -2])["apiVersion"] == "2.4"


# -- rendering ----------------------------------------------------------------------------------
# Spec: "From your adapter, you will simply have to return the JSON content with the following
# structure: <callbackFunction>( <jsonData> ); ... always with the content-type set to
# "application/javascript"" and "If the parameter callback is not present, the data must be
# returned using raw JSON (content-type "application/json")".

PAYLOADS = [
    {"productCount": 0, "error": False},
    [],
    [{"internalId": "1001", "formattedPrice": "1.500,00\xa0€"}],
    {"nested": {"list": [1, 2.5, None, True, "ñ"]}},
    "text",
    None,
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_jsonp_body_is_exactly_the_padded_json(flask_app: Flask, payload: object) -> None:
    with flask_app.app_context():
        response = render(payload, "cb")
    body = response.get_data()
    assert body == b"/**/cb(" + encode_json(payload) + b");"
    assert json.loads(body[len(b"/**/cb(") : -len(b");")]) == payload


@pytest.mark.parametrize("payload", PAYLOADS)
def test_json_body_is_compact_utf8_json(flask_app: Flask, payload: object) -> None:
    with flask_app.app_context():
        response = render(payload, None)
    body = response.get_data()
    assert json.loads(body.decode("utf-8")) == payload
    assert body == json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


@pytest.mark.parametrize(
    ("callback", "mimetype"),
    [(None, "application/json"), ("cb", "application/javascript")],
)
@pytest.mark.parametrize("status", [200, 400, 404, 503])
def test_content_type_status_and_nosniff(
    flask_app: Flask, callback: str | None, mimetype: str, status: int
) -> None:
    with flask_app.app_context():
        response = render({"a": 1}, callback, status)
    assert response.status_code == status
    assert response.mimetype == mimetype
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("query", "mimetype"),
    [
        ({}, "application/json"),
        ({"callback": ""}, "application/json"),
        ({"callback": "myFunc"}, "application/javascript"),
    ],
)
def test_frame_content_types(client: FlaskClient, query: dict[str, str], mimetype: str) -> None:
    response = client.get("/oct8ne/frame/productInfo", query_string={"productIds": "1001", **query})
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_errors_after_a_valid_callback_are_jsonp_too(client: FlaskClient) -> None:
    response = client.get("/oct8ne/frame/noSuchMethod?callback=cb")
    assert response.status_code == 200  # issue 17: else the browser never runs the callback
    assert response.mimetype == "application/javascript"
    assert response.get_data().startswith(b"/**/cb(")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# U+2028 and U+2029 are legal inside JSON strings but end a line (and a string literal) in older
# JavaScript engines, so a JSONP body must carry them escaped.
SEPARATORS = {"title": "line\u2028separator and paragraph\u2029separator", "\u2028key": "x"}


@pytest.mark.parametrize("callback", [None, "cb"])
def test_line_and_paragraph_separators_are_escaped(flask_app: Flask, callback: str | None) -> None:
    with flask_app.app_context():
        body = render(SEPARATORS, callback).get_data()
    assert "\u2028".encode() not in body
    assert "\u2029".encode() not in body
    assert b"\\u2028" in body
    assert b"\\u2029" in body
    json_text = body if callback is None else body[len(b"/**/cb(") : -len(b");")]
    assert json.loads(json_text) == SEPARATORS


def test_encode_json_escapes_only_the_separators() -> None:
    body = encode_json({"text": "é ñ € \u2028 \u2029 \u2027 \u202a"})
    assert body == '{"text":"é ñ € \\u2028 \\u2029 \u2027 \u202a"}'.encode()
