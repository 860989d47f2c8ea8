"""The adapter's shop-session table: cookie tokens (stored hashed) -> customer and guest cart."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from oct8ne_adapter.domain import Visitor
from oct8ne_adapter.sql.models import Customer, ShopSession
from oct8ne_adapter.sql.tables import customers as _customers, shop_sessions as _sessions

SESSION_LIFETIME = timedelta(days=30)
#: A longer cookie is no token of ours.
MAX_TOKEN_LENGTH = 256

# Every customerData and getCart call runs it: built once (building cost more than running).
_SESSION_CUSTOMER = (
    select(
        _sessions.c.expires_at,
        _customers.c.pk.label("customer_pk"),
        _customers.c.external_id,
        _customers.c.first_name,
        _customers.c.last_name,
        _customers.c.email,
    )
    .select_from(_sessions.outerjoin(_customers, _customers.c.pk == _sessions.c.customer_pk))
    .where(_sessions.c.token_hash == bindparam("token_hash"))
)


def hash_token(token: str) -> str:
    """SHA-256 of a session token: a stolen table does not give usable cookies."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def utc_now_naive() -> datetime:
    """Now, as the DateTime columns store it (UTC wall time)."""
    return datetime.now(UTC).replace(tzinfo=None)


def create_session(session: Session, customer_external_id: str | None) -> str:
    """Start a shop session, signed in as this customer or as a guest; returns the new token."""
    customer_pk = None
    if customer_external_id is not None:
        customer_pk = session.scalars(
            select(Customer.pk).where(Customer.external_id == customer_external_id)
        ).one_or_none()
        if customer_pk is None:
            raise LookupError(f"no customer with id {customer_external_id!r}")
    token = secrets.token_urlsafe(32)
    now = utc_now_naive()
    session.add(
        ShopSession(
            token_hash=hash_token(token),
            customer_pk=customer_pk,
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    return token


def session_customer(connection: Connection, token: str | None) -> tuple[str, Any] | None:
    """(token hash, row) of a live session: `expires_at` and its customer's columns (None for
    a guest's: `customer_pk`, `external_id`, `first_name`, `last_name`, `email`)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    token_hash = hash_token(token)
    row = connection.execute(_SESSION_CUSTOMER, {"token_hash": token_hash}).one_or_none()
    if row is None or row.expires_at <= utc_now_naive():
        return None
    return token_hash, row


def visitor_for_session(session: Session, token: str) -> Visitor | None:
    """The visitor behind a session token; the guest cart key is the token's hash."""
    found = session_customer(session.connection(), token)
    if found is None:
        return None
    token_hash, row = found
    return Visitor(customer_id=row.external_id, cart_key=token_hash)
