"""Failed token or secret checks per client address (web.auth_limiter, sql.auth_failures)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer
from sqlalchemy.orm import Mapped, mapped_column

from oct8ne_adapter.sql.models.base import Base, exact

__all__ = ["ADDRESS", "AuthFailure"]

#: Long enough for any IPv6 address in text form (45 characters) with a zone.
ADDRESS = 64


class AuthFailure(Base):
    """How many checks from `address` failed in the window starting at `window_start`.

    One row per address and window; rows of past windows are deleted as new failures are
    written, so the table holds the addresses that failed recently and nothing else.
    """

    __tablename__ = "auth_failures"

    address: Mapped[str] = mapped_column(exact(ADDRESS), primary_key=True)
    #: The window's start in Unix seconds (a multiple of the window's length).
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True, index=True)
    failures: Mapped[int] = mapped_column(Integer)
