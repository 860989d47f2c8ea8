"""The order book in the SQL store."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from oct8ne_adapter import domain
from oct8ne_adapter.sql.localized import from_minor_units, pick_translation
from oct8ne_adapter.sql.models import Customer, Order, OrderComment, OrderLine, OrderStateLabel


def _state_labels(session: Session, states: set[str], languages: Sequence[str]) -> dict[str, str]:
    if not states:
        return {}
    return pick_translation(
        session.execute(
            select(OrderStateLabel.state, OrderStateLabel.language, OrderStateLabel.label).where(
                OrderStateLabel.state.in_(states)
            )
        ),
        languages,
    )


def _order(row: Order, labels: dict[str, str]) -> domain.Order:
    return domain.Order(
        reference=row.reference,
        placed_at=row.placed_at,
        total=domain.Money(from_minor_units(row.total_minor, row.currency), row.currency),
        state_label=labels.get(row.state, row.state),
        delivery_date=row.delivery_date,
    )


def list_orders(
    session: Session, email: str, languages: Sequence[str], offset: int, limit: int
) -> list[domain.Order]:
    """The orders of the customer with this email (case-insensitive), newest first."""
    rows = session.scalars(
        select(Order)
        .join(Customer, Customer.pk == Order.customer_pk)
        .where(func.lower(Customer.email) == email.strip().lower())
        .order_by(Order.placed_at.desc(), Order.pk.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    labels = _state_labels(session, {row.state for row in rows}, languages)
    return [_order(row, labels) for row in rows]


def get_order(
    session: Session, reference: str, languages: Sequence[str]
) -> domain.OrderDetails | None:
    """The order with this reference and its lines and comments."""
    row = session.scalars(select(Order).where(Order.reference == reference)).one_or_none()
    if row is None:
        return None
    labels = _state_labels(session, {row.state}, languages)
    lines = session.scalars(
        select(OrderLine).where(OrderLine.order_pk == row.pk).order_by(OrderLine.position)
    ).all()
    comments = session.scalars(
        select(OrderComment).where(OrderComment.order_pk == row.pk).order_by(OrderComment.position)
    ).all()
    return domain.OrderDetails(
        order=_order(row, labels),
        carrier=row.carrier,
        tracking_number=row.tracking_number,
        tracking_url=row.tracking_url,
        lines=tuple(
            domain.OrderLine(
                name=line.name, quantity=line.quantity, product_id=line.product_external_id
            )
            for line in lines
        ),
        comments=tuple(
            domain.OrderComment(message=comment.message, from_customer=comment.from_customer)
            for comment in comments
        ),
    )
