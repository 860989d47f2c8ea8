"""The demo's defences (issue 16, item 9): sign-in by POST with a CSRF token, no enumeration of
e-mails, security headers on every /demo/ answer, and no start on another shop's database.

The sign-in tests run on SQLite (the views hold no SQL); the refusal to start runs on every
backend, through `create_demo_app` and through the real `oct8ne-adapter` command.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import adapter_app, adapter_config, sign_in_demo
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from test_demo_views import page
from test_running import BIN, server_environment
from werkzeug.test import TestResponse

from oct8ne_adapter.errors import ConfigError
from oct8ne_adapter.sql.database import Database, create_database_engine
from oct8ne_adapter.sql.models import Customer, Product
from oct8ne_adapter.sql.schema import create_schema
from oct8ne_adapter.web.state import adapter_state
from oct8ne_adapter_demo import create_demo_app
from oct8ne_adapter_demo.customers import CUSTOMERS
from oct8ne_adapter_demo.loader import load_demo
from oct8ne_adapter_demo.security import CSRF_COOKIE

JANE_EMAIL = "jane.doe@example.com"
#: A customer of a real shop: in the database, but not one the demo created.
REAL_EMAIL = "maria.real@shop.example"
#: Every kind of /demo/ answer: pages, an image, a redirect, errors from the blueprint and
#: from routing, a refused form, and the add-to-cart endpoint's JSON.
ANSWERS = [
    ("GET", "/demo/", 200),
    ("GET", "/demo/product/1001", 200),
    ("GET", "/demo/cart", 200),
    ("GET", "/demo/login", 200),
    ("GET", "/demo/img/1001.svg", 200),
    ("GET", "/", 302),
    ("GET", "/demo/checkout/success", 302),
    ("GET", "/demo/product/nope", 404),
    ("GET", "/demo/no-such-page", 404),
    ("GET", "/demo/logout", 405),
    ("POST", "/demo/login", 403),
    ("POST", "/demo/cart/add/1004", 200),
]


@pytest.fixture
def demo_app(database_file: Path) -> Iterator[Flask]:
    """The demo over a private copy of the demo shop on SQLite, with the widget on."""
    config = adapter_config(f"sqlite:///{database_file}", OCT8NE_LICENSE="DEMO-LICENSE")
    with adapter_app(config, demo=True) as app:
        yield app


@pytest.fixture
def visitor(demo_app: Flask) -> FlaskClient:
    """A browser on the demo, not signed in."""
    return demo_app.test_client()


def token_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def signed_in_as(client: FlaskClient) -> str | None:
    """Who the demo pages say is signed in (the name in the header), or None."""
    found = re.search(r'<span class="who">([^<]+)</span>', page(client, "/demo/"))
    return found.group(1) if found else None


def session_cookie_set(response: TestResponse) -> bool:
    """Whether the answer sets (or deletes) the shop session cookie."""
    cookies = response.headers.getlist("Set-Cookie")
    return any(value.startswith("shop_session=") for value in cookies)


# -- a GET never changes the session ---------------------------------------------------------


def test_a_get_of_the_sign_in_page_with_an_email_only_shows_the_form(visitor: FlaskClient) -> None:
    response = visitor.get(f"/demo/login?email={JANE_EMAIL}&next=cart")
    assert response.status_code == 200
    assert not session_cookie_set(response)
    assert signed_in_as(visitor) is None


def test_sign_out_is_not_a_get(visitor: FlaskClient) -> None:
    sign_in_demo(visitor)
    response = visitor.get("/demo/logout")
    assert response.status_code == 405
    assert not session_cookie_set(response)
    assert signed_in_as(visitor) == "Jane Doe"


# -- sign-in and sign-out are POSTs with this browser's token -----------------------------------


@pytest.mark.parametrize("token", [None, "", "x" * 43, "the-token-of-another-browser"])
def test_a_sign_in_without_this_browsers_token_is_refused(
    visitor: FlaskClient, token: str | None
) -> None:
    page(visitor, "/demo/login")  # the browser has a token cookie; the form below lacks it
    data = {"email": JANE_EMAIL} | ({} if token is None else {"csrf_token": token})
    response = visitor.post("/demo/login", data=data)
    assert response.status_code == 403
    assert not session_cookie_set(response)
    assert signed_in_as(visitor) is None


def test_another_browsers_token_does_not_sign_this_one_in(demo_app: Flask) -> None:
    attacker, victim = demo_app.test_client(), demo_app.test_client()
    attackers_token = token_of(page(attacker, "/demo/login"))
    page(victim, "/demo/login")
    response = victim.post("/demo/login", data={"email": JANE_EMAIL, "csrf_token": attackers_token})
    assert response.status_code == 403
    assert signed_in_as(victim) is None


def test_a_form_posted_from_another_site_is_refused_even_with_the_token(
    visitor: FlaskClient,
) -> None:
    token = token_of(page(visitor, "/demo/login"))
    response = visitor.post(
        "/demo/login",
        data={"email": JANE_EMAIL, "csrf_token": token},
        headers={"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert signed_in_as(visitor) is None


def test_the_token_is_an_httponly_lax_cookie_renewed_at_sign_in(visitor: FlaskClient) -> None:
    form = visitor.get("/demo/login")
    (cookie,) = [c for c in form.headers.getlist("Set-Cookie") if c.startswith(CSRF_COOKIE)]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    before = token_of(form.get_data(as_text=True))
    assert sign_in_demo(visitor).status_code == 303
    after = token_of(page(visitor, "/demo/"))
    assert after != before
    # The page signed out from had the new token: the old one no longer signs anybody out.
    refused = visitor.post("/demo/logout", data={"csrf_token": before})
    assert refused.status_code == 403 and signed_in_as(visitor) == "Jane Doe"


def test_sign_out_with_the_token_ends_the_session(visitor: FlaskClient) -> None:
    sign_in_demo(visitor)
    html = page(visitor, "/demo/")
    assert 'action="/demo/logout"' in html
    response = visitor.post("/demo/logout", data={"csrf_token": token_of(html)})
    assert (response.status_code, response.headers["Location"]) == (303, "/demo/")
    assert signed_in_as(visitor) is None


# -- only the demo's customers sign in, and nothing tells other e-mails apart ---------------------


@pytest.fixture
def with_a_real_customer(demo_app: Flask) -> Flask:
    """The running demo after a customer the demo did not create appeared in its database."""
    database = adapter_state(demo_app).database
    assert database is not None
    with database.transaction() as session:
        session.add(Customer(external_id="9001", email=REAL_EMAIL, first_name="Maria"))
    return demo_app


def answer_without_nonce(response: TestResponse) -> tuple[int, str]:
    """The status and page of an answer, its per-answer CSP nonce blanked."""
    html = re.sub(r'nonce="[^"]+"', 'nonce=""', response.get_data(as_text=True))
    return response.status_code, html


def test_a_customer_the_demo_did_not_create_cannot_sign_in_and_is_not_told_apart(
    with_a_real_customer: Flask,
) -> None:
    browser = with_a_real_customer.test_client()
    known = sign_in_demo(browser, REAL_EMAIL)
    unknown = sign_in_demo(browser, "nobody.at.all@shop.example")
    assert known.status_code == 400
    assert answer_without_nonce(known) == answer_without_nonce(unknown)
    assert not session_cookie_set(known)
    assert signed_in_as(browser) is None


def test_the_sign_in_page_offers_only_the_demo_customers(with_a_real_customer: Flask) -> None:
    html = page(with_a_real_customer.test_client(), "/demo/login")
    offered = re.findall(r'name="email" value="([^"]+)"', html)
    assert offered == [customer.email for customer in CUSTOMERS]
    assert REAL_EMAIL not in html


# -- security headers -------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "status"), ANSWERS)
def test_every_demo_answer_carries_the_security_headers(
    visitor: FlaskClient, method: str, path: str, status: int
) -> None:
    response = visitor.open(path, method=method)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    directives = headers["Content-Security-Policy"].split(";")
    policy = {part.split()[0]: part.split()[1:] for part in directives}
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in policy["script-src"]


def test_the_page_policy_lets_in_exactly_its_own_inline_script(demo_app: Flask) -> None:
    # Two answers: each nonce is new, and each page's script carries its own answer's nonce.
    client = demo_app.test_client()
    nonces = []
    for _ in range(2):
        response = client.get("/demo/product/1001")
        html = response.get_data(as_text=True)
        (nonce,) = set(re.findall(r'<script[^>]* nonce="([^"]+)"', html))
        scripts = re.findall(r"<script\b[^>]*>", html)
        assert all("nonce=" in tag or " src=" in tag for tag in scripts), scripts
        policy = response.headers["Content-Security-Policy"]
        assert f"'nonce-{nonce}'" in policy
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_the_policy_names_the_shop_and_oct8nes_servers(database_file: Path) -> None:
    config = adapter_config(
        f"sqlite:///{database_file}",
        OCT8NE_LICENSE="L",
        OCT8NE_OCT8NE_SERVER="backoffice.oct8ne.com/",
        OCT8NE_OCT8NE_STATIC_SERVER="static.oct8ne.com/",
    )
    with adapter_app(config, demo=True) as app:
        policy = app.test_client().get("/demo/").headers["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split("; ")}
    for name in ("script-src", "connect-src", "img-src"):
        assert {"'self'", "https://shop.example", "static.oct8ne.com"} <= set(directives[name])
    assert "backoffice.oct8ne.com" in directives["connect-src"]
    assert directives["default-src"] == ["'self'"]


def test_the_frame_keeps_its_own_headers(visitor: FlaskClient) -> None:
    response = visitor.get("/oct8ne/frame/getAdapterInfo")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "Content-Security-Policy" not in response.headers


# -- the demo refuses a database holding customers it did not create ----------------------------


def add_real_customer(url: str, external_id: str = "1") -> None:
    """A customer of a real shop (by default with the id of the demo's Jane)."""
    engine = create_database_engine(url)
    with Database(engine).transaction() as session:
        session.add(Customer(external_id=external_id, email=REAL_EMAIL, first_name="Maria"))
    engine.dispose()


@pytest.fixture
def shop_database_url(empty_database_url: str) -> str:
    """A database of a real shop: the adapter's schema, and one customer of its own."""
    engine = create_database_engine(empty_database_url)
    create_schema(engine)
    engine.dispose()
    add_real_customer(empty_database_url)
    return empty_database_url


def test_create_demo_app_refuses_a_database_with_other_customers(shop_database_url: str) -> None:
    with pytest.raises(ConfigError, match="1 customer that the demo did not create") as raised:
        create_demo_app(adapter_config(shop_database_url))
    assert REAL_EMAIL not in str(raised.value)


def test_load_demo_refuses_it_and_writes_nothing(shop_database_url: str) -> None:
    engine = create_database_engine(shop_database_url)
    try:
        with pytest.raises(ConfigError, match="did not create"):
            load_demo(Database(engine))
        with Database(engine).session() as session:
            assert session.scalar(select(func.count()).select_from(Product)) == 0
            assert session.scalars(select(Customer.email)).all() == [REAL_EMAIL]
    finally:
        engine.dispose()


def test_the_demos_own_database_is_accepted(database_url: str) -> None:
    with adapter_app(adapter_config(database_url), demo=True) as app:
        assert app.test_client().get("/demo/").status_code == 200


def run_cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed `oct8ne-adapter` command (this checkout's code), given 60 s at most."""
    command = [str(BIN / "oct8ne-adapter"), "--config", str(config), *args]
    environment = server_environment(config.parent)
    return subprocess.run(
        command, capture_output=True, text=True, timeout=60, check=False, env=environment
    )


@pytest.mark.parametrize(
    ("setting", "args"),
    [
        ("", ["demo", "--host", "127.0.0.1", "--port", "1"]),
        ("", ["load-demo"]),
        ("demo = true\n", ["serve", "--host", "127.0.0.1", "--port", "1"]),
    ],
)
def test_the_commands_refuse_it_with_one_line(
    tmp_path: Path, seeded_database_file: Path, setting: str, args: list[str]
) -> None:
    database = tmp_path / "shop.db"
    database.write_bytes(seeded_database_file.read_bytes())
    add_real_customer(f"sqlite:///{database}", "9001")
    config = tmp_path / "config.toml"
    config.write_text(f'database_url = "sqlite:///{database}"\n{setting}', encoding="utf-8")
    result = run_cli(config, *args)
    assert result.returncode != 0
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert lines == [
        "Error: the database holds 1 customer that the demo did not create; the demo signs its "
        "customers in without a password, so it runs only on a database of its own (set "
        "database_url to a new one)"
    ]
