"""Commerce events: the outbox of recorded events and their deliveries to vendor sinks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from oct8ne_adapter.sql.models.base import EVENT_ID, Base, exact, serial, serial_key

__all__ = ["OutboxEvent", "EventDelivery"]


class OutboxEvent(Base):
    """A recorded commerce event (oct8ne_adapter.events), kept until every delivery is final.

    `dedupe_key` (a SHA-256) makes recording the same event twice a no-op; `subject` is the cart
    or order id, so a cart's previous snapshot and an order as placed are found for the sinks.
    `event_id` is 128 random bits chosen when the event is recorded: the relay's
    `Idempotency-Key` is built from it, because `seq` repeats across databases (staging and
    production, a restored backup).
    """

    __tablename__ = "event_outbox"
    __table_args__ = (
        Index("ix_event_outbox_subject", "kind", "subject", "seq"),
        Index("uq_event_outbox_event_id", "event_id", unique=True),
    )

    seq: Mapped[int] = serial_key()
    # The default only served migration 0010 (rows stored before it); the recorder always sets
    # an id, and the unique index refuses a second row without one.
    event_id: Mapped[str] = mapped_column(exact(32), server_default="")
    kind: Mapped[str] = mapped_column(exact(32))
    subject: Mapped[str] = mapped_column(exact(EVENT_ID))
    dedupe_key: Mapped[str] = mapped_column(exact(64), unique=True)
    payload: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime)


class EventDelivery(Base):
    """One event to one vendor sink: pending until delivered, or dead with the reason.

    `requests_done` counts the sink's requests already accepted, so a delivery interrupted by a
    crash resumes at the first request not yet delivered. A worker owns a row while
    `claimed_until` is in the future; deliveries with the same `ordering_key` (one cart, one
    order) go to a sink one at a time, oldest first.
    """

    __tablename__ = "event_deliveries"
    __table_args__ = (
        UniqueConstraint("event_seq", "sink", name="uq_event_deliveries_event_sink"),
        Index("ix_event_deliveries_due", "state", "next_attempt_at"),
        Index("ix_event_deliveries_ordering", "sink", "ordering_key", "event_seq"),
    )

    pk: Mapped[int] = serial_key()
    event_seq: Mapped[int] = mapped_column(
        serial(), ForeignKey("event_outbox.seq", ondelete="CASCADE")
    )
    sink: Mapped[str] = mapped_column(exact(32))
    ordering_key: Mapped[str] = mapped_column(exact(EVENT_ID + 8))
    state: Mapped[str] = mapped_column(exact(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    requests_done: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
