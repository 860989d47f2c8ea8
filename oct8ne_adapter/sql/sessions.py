"""The adapter's shop-session table: cookie tokens (stored hashed) -> customer and guest cart."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from oct8ne_adapter.domain import Visitor
from oct8ne_adapter.sql.models import Customer, ShopSession

SESSION_LIFETIME = timedelta(days=30)


def hash_token(token: str) -> str:
    """SHA-256 of a session token: a stolen table does not give usable cookies."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _now() -> datetime:
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
    now = _now()
    session.add(
        ShopSession(
            token_hash=hash_token(token),
            customer_pk=customer_pk,
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    return token


def visitor_for_session(session: Session, token: str) -> Visitor | None:
    """The visitor behind a session token; the guest cart key is the token's hash."""
    if not token or len(token) > 256:
        return None
    token_hash = hash_token(token)
    row = session.execute(
        select(ShopSession.expires_at, Customer.external_id)
        .outerjoin(Customer, Customer.pk == ShopSession.customer_pk)
        .where(ShopSession.token_hash == token_hash)
    ).one_or_none()
    if row is None or row.expires_at <= _now():
        return None
    return Visitor(customer_id=row.external_id, cart_key=token_hash)
