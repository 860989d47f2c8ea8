"""Who is calling the adapter: the visitor of the Django session the request's cookie names.

The adapter is a Flask app beside Django in the same process, so a request to /oct8ne/ never
passes Django's middleware. We do here what `SessionMiddleware.process_request` and
`AuthenticationMiddleware` do for a Django view: open the session store named by the session
cookie (`SESSION_ENGINE`, `SESSION_COOKIE_NAME`), and let `django.contrib.auth.get_user` find
the user, which also checks the session's auth hash, so a session ended by a password change or
a sign-out is nobody here too. The session is only read, never saved: the adapter changes
nothing in it. Guest carts are keyed by the session key, which needs a server-side store (the
database, cache or cached_db engines): a signed-cookie session has no stable key.
"""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib import auth
from django.http import HttpRequest
from flask import Request

from django_shop import models
from oct8ne_adapter import Visitor


def django_session_visitor(request: Request) -> Visitor:
    """The signed-in customer (if any) and the guest cart key of the request's Django session."""
    session_key = request.cookies.get(settings.SESSION_COOKIE_NAME)
    if not session_key:
        return Visitor()
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
    django_request = HttpRequest()
    django_request.session = store
    user = auth.get_user(django_request)
    customer = (
        models.Customer.objects.filter(user_id=user.pk).first()
        if user.is_authenticated
        else None
    )
    # Loading an unknown or expired key leaves the store without one: no guest cart is keyed
    # by a value the visitor made up.
    return Visitor(
        customer_id=str(customer.pk) if customer else None,
        cart_key=store.session_key,
    )
