"""The shop's link to the oct8ne platform."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from oct8ne_adapter.sql.models.base import Base, exact

__all__ = ["PlatformLink"]


class PlatformLink(Base):
    """What link-up returned: one row (id 1) while the shop is linked. The password is not here."""

    __tablename__ = "platform_link"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    api_token: Mapped[str] = mapped_column(exact(128))
    license_id: Mapped[str] = mapped_column(exact(128))
    server: Mapped[str] = mapped_column(String(260))
    static_server: Mapped[str] = mapped_column(String(260))
    email: Mapped[str] = mapped_column(String(320))
    platform: Mapped[str] = mapped_column(String(100))
    shop_url: Mapped[str] = mapped_column(String(2000))
    linked_at: Mapped[datetime] = mapped_column(DateTime)
