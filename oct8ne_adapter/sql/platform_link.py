"""The link-up result in the SQL store: one row while the shop is linked to an oct8ne account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from oct8ne_adapter.platform.credentials import PlatformCredentials
from oct8ne_adapter.sql.database import Database
from oct8ne_adapter.sql.models import PlatformLink

LINK_ID = 1


@dataclass(frozen=True, slots=True)
class StoredLink:
    """The stored credentials and who linked them, when."""

    credentials: PlatformCredentials
    email: str
    platform: str
    shop_url: str
    linked_at: datetime


def load_link(session: Session) -> StoredLink | None:
    """The stored link, or None when the shop is not linked."""
    row = session.get(PlatformLink, LINK_ID)
    if row is None:
        return None
    return StoredLink(
        credentials=PlatformCredentials(
            api_token=row.api_token,
            license_id=row.license_id,
            server=row.server,
            static_server=row.static_server,
        ),
        email=row.email,
        platform=row.platform,
        shop_url=row.shop_url,
        linked_at=row.linked_at,
    )


def save_link(
    session: Session, credentials: PlatformCredentials, *, email: str, platform: str, shop_url: str
) -> None:
    """Store (or replace) the link."""
    row = session.get(PlatformLink, LINK_ID) or PlatformLink(id=LINK_ID)
    row.api_token = credentials.api_token
    row.license_id = credentials.license_id
    row.server = credentials.server
    row.static_server = credentials.static_server
    row.email = email
    row.platform = platform
    row.shop_url = shop_url
    row.linked_at = datetime.now(UTC).replace(tzinfo=None)
    session.add(row)


def clear_link(session: Session) -> bool:
    """Forget the link; whether there was one."""
    existed = session.scalars(select(PlatformLink.id).where(PlatformLink.id == LINK_ID)).first()
    session.execute(delete(PlatformLink))
    return existed is not None


def stored_credentials(database: Database) -> PlatformCredentials | None:
    """The credentials link-up stored in this database, if any."""
    with database.session() as session:
        link = load_link(session)
    return link.credentials if link else None
