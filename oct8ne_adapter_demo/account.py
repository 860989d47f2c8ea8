"""Sign-in and sign-out of the demo customers: POSTs with the browser's CSRF token.

A GET of /demo/login only shows the form (one button per demo customer); a GET never changes
the session, and /demo/logout answers nothing but POST. Only the demo's own customers sign in
(`customers.sign_in_demo_customer`): any other e-mail, known to the database or not, gets one
and the same answer.
"""

from __future__ import annotations

from flask import abort, redirect, request, url_for
from werkzeug.wrappers import Response

from oct8ne_adapter.sql.sessions import SESSION_LIFETIME
from oct8ne_adapter_demo.customers import CUSTOMERS, end_demo_session, sign_in_demo_customer
from oct8ne_adapter_demo.pages import demo_blueprint, demo_state, render_page
from oct8ne_adapter_demo.security import renew_csrf_token, require_csrf_token

#: Pages that sign-in may return to (`next`), by endpoint: never an arbitrary URL.
RETURN_PAGES = frozenset({"index", "cart", "checkout_success"})
NOT_A_DEMO_CUSTOMER = "Only the demo customers below can sign in here."


def _next_page() -> str:
    page = request.args.get("next", "")
    return page if page in RETURN_PAGES else ""


def _sign_in_page(status: int = 200, error: str = "") -> Response:
    return render_page(
        "login.html", status, error=error, next_page=_next_page(), demo_customers=CUSTOMERS
    )


@demo_blueprint.get("/login")
def login() -> Response:
    """The sign-in page: a button per demo customer, each posting the form."""
    return _sign_in_page()


@demo_blueprint.post("/login")
def sign_in() -> Response:
    """Sign a demo customer in by the posted e-mail (with the CSRF token), then go back."""
    state = demo_state()
    if state.database is None:
        abort(404, "The demo customers live in the adapter's own database, which is not in use.")
    require_csrf_token()
    token = sign_in_demo_customer(state.database, request.form.get("email", ""))
    if token is None:
        return _sign_in_page(400, NOT_A_DEMO_CUSTOMER)
    renew_csrf_token()
    page = _next_page()
    response = redirect(url_for(f".{page or 'index'}"), 303)
    response.set_cookie(
        state.settings.session_cookie,
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path="/",
        secure=request.is_secure,
        httponly=True,
        samesite="Lax",
    )
    return response


@demo_blueprint.post("/logout")
def logout() -> Response:
    """Sign out (with the CSRF token): forget the shop session and delete its cookie."""
    require_csrf_token()
    state = demo_state()
    cookie_name = state.settings.session_cookie
    token = request.cookies.get(cookie_name)
    if token and state.database is not None:
        end_demo_session(state.database, token)
    renew_csrf_token()
    response = redirect(url_for(".index"), 303)
    response.delete_cookie(cookie_name, path="/", httponly=True, samesite="Lax")
    return response
