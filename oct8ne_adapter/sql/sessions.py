"""The adapter's shop-session table: cookie tokens (stored hashed) -> customer and guest cart."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from oct8ne_adapter.domain import Visitor
from oct8ne_adapter.sql.models import Customer, ShopSession
from oct8ne_adapter.sql.tables import customers as _customers, shop_sessions as _sessions

SESSION_LIFETIME = timedelta(days=30)
#: A longer cookie is no token of ours.
MAX_TOKEN_LENGTH = 256

# Every getCart call runs it: built once (building cost more than running).
_VISITOR_SESSION = (
    select(_sessions.c.expires_at, _customers.c.external_id)
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


def cookie_hash(token: str | None) -> str | None:
    """The stored hash of a session cookie's token; None for a value that cannot be one."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return hash_token(token)


def expired(expires_at: datetime) -> bool:
    """Whether a session ending at `expires_at` (stored as UTC wall time) has ended."""
    return expires_at <= utc_now_naive()


def visitor_for_session(session: Session, token: str) -> Visitor | None:
    """The visitor behind a session token; the guest cart key is the token's hash."""
    token_hash = cookie_hash(token)
    if token_hash is None:
        return None
    row = session.execute(_VISITOR_SESSION, {"token_hash": token_hash}).one_or_none()
    if row is None or expired(row.expires_at):
        return None
    return Visitor(customer_id=row.external_id, cart_key=token_hash)
