"""The demo's two customers, how they sign in, and how the demo knows a database is its own.

The demo marks what it created by its data: its customers are exactly the (shop id, e-mail)
pairs below, `1` Jane Doe and `2` John Smith at `example.com` (a domain reserved for examples,
RFC 2606, so no real customer has it). The demo signs them in without a password, so:

- only these two can sign in: an e-mail of any other customer of the database gets the same
  answer as an unknown one;
- the demo refuses a database holding any other customer (`refuse_foreign_customers`), where it
  would sign in a real shop's customer 1 or overwrite it with Jane.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, delete, func, inspect, not_, or_, select
from sqlalchemy.orm import Session

from oct8ne_adapter.errors import ConfigError
from oct8ne_adapter.sql.database import Database
from oct8ne_adapter.sql.models import Customer, ShopSession
from oct8ne_adapter.sql.sessions import create_session, hash_token

MAX_EMAIL_LENGTH = 320
MAX_TOKEN_LENGTH = 256


@dataclass(frozen=True, slots=True)
class DemoCustomer:
    """A customer the demo creates, and the only kind it signs in."""

    external_id: str
    first_name: str
    last_name: str
    email: str

    @property
    def name(self) -> str:
        """First and last name."""
        return f"{self.first_name} {self.last_name}"


JANE = DemoCustomer("1", "Jane", "Doe", "jane.doe@example.com")
JOHN = DemoCustomer("2", "John", "Smith", "john.smith@example.com")
CUSTOMERS = (JANE, JOHN)


def demo_customer(email: str) -> DemoCustomer | None:
    """The demo customer with this e-mail (any case, surrounding spaces ignored)."""
    wanted = email.strip().lower()
    return next((customer for customer in CUSTOMERS if customer.email == wanted), None)


def foreign_customers(session: Session) -> int:
    """How many customers of the database are not the demo's (none when there is no table)."""
    if not inspect(session.connection()).has_table(Customer.__tablename__):
        return 0
    ours = or_(
        *(
            and_(Customer.external_id == customer.external_id, Customer.email == customer.email)
            for customer in CUSTOMERS
        )
    )
    return session.scalar(select(func.count()).select_from(Customer).where(not_(ours))) or 0


def refuse_foreign_customers(session: Session) -> None:
    """Raise ConfigError (one line, no e-mail in it) if the database holds others' customers."""
    count = foreign_customers(session)
    if count:
        raise ConfigError(
            f"the database holds {count} customer{'s' if count > 1 else ''} that the demo did "
            "not create; the demo signs its customers in without a password, so it runs only "
            "on a database of its own (set database_url to a new one)"
        )


def sign_in_demo_customer(database: Database, email: str) -> str | None:
    """Start a shop session for the demo customer with this e-mail; None for anybody else."""
    if len(email) > MAX_EMAIL_LENGTH:
        return None
    wanted = demo_customer(email)
    if wanted is None:
        return None
    with database.transaction() as session:
        found = session.scalars(
            select(Customer.external_id).where(
                Customer.external_id == wanted.external_id, Customer.email == wanted.email
            )
        ).first()
        return None if found is None else create_session(session, found)


def end_demo_session(database: Database, token: str) -> None:
    """Forget a shop session, so the cookie stops working even if a copy of it survives."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return
    with database.transaction() as session:
        session.execute(delete(ShopSession).where(ShopSession.token_hash == hash_token(token)))
