"""Commerce events to JSON and back: one format for the outbox and for the HTTP endpoint.

Field names are the dataclass fields of `events.model` (snake_case); money is a decimal string
(a JSON number is accepted on input), times are ISO 8601 (UTC when no offset is given). Decoding
validates every field and raises EventFormatError naming the first bad one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from oct8ne_adapter.errors import Oct8neError
from oct8ne_adapter.events.model import (
    CartUpdated,
    CommerceEvent,
    EventLine,
    OrderPlaced,
    OrderStatusChanged,
    PromotionCode,
    VisitorIds,
)
from oct8ne_adapter.moments import utc_moment

#: The kind of each event, as stored in the outbox and named in the HTTP endpoint.
KINDS: dict[str, type[CartUpdated] | type[OrderPlaced] | type[OrderStatusChanged]] = {
    "cart_updated": CartUpdated,
    "order_placed": OrderPlaced,
    "order_status_changed": OrderStatusChanged,
}
MAX_ID_LENGTH = 128
MAX_TEXT_LENGTH = 500
MAX_STATUS_LENGTH = 64
MAX_URL_LENGTH = 2000
MAX_LINES = 500
MAX_PROMOTION_CODES = 20
#: Details are free-form: bounded so that one event cannot fill the outbox.
MAX_DETAILS_BYTES = 8_000
#: Amounts up to a trillion with up to 6 decimals.
MAX_AMOUNT = Decimal("1e12")
MAX_QUANTITY = 1_000_000
_CURRENCY = re.compile(r"[A-Z]{3}")
#: Event times outside these are mistakes, and near year 1 or 9999 date arithmetic overflows.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


class EventFormatError(Oct8neError, ValueError):
    """An event payload is malformed; the message names the field and why."""


def kind_of(event: CommerceEvent) -> str:
    """The kind name of an event: cart_updated, order_placed or order_status_changed."""
    for kind, cls in KINDS.items():
        if isinstance(event, cls):
            return kind
    raise TypeError(f"not a commerce event: {type(event).__name__}")


def _plain(value: Decimal) -> str:
    return format(value, "f")


def _time(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def _line_json(line: EventLine) -> dict[str, Any]:
    return {
        "product_id": line.product_id,
        "name": line.name,
        "quantity": line.quantity,
        "unit_price": _plain(line.unit_price),
        "variant_id": line.variant_id,
        "on_sale": line.on_sale,
        "discount": None if line.discount is None else _plain(line.discount),
        "coupon_code": line.coupon_code,
        "details": line.details if isinstance(line.details, str | None) else dict(line.details),
    }


def _visitor_json(visitor: VisitorIds) -> dict[str, str | None]:
    return {
        "oct8ne_session": visitor.oct8ne_session,
        "oct8ne_visitor": visitor.oct8ne_visitor,
        "octocom_session": visitor.octocom_session,
        "alhena_fingerprint": visitor.alhena_fingerprint,
        "alhena_faq_fingerprint": visitor.alhena_faq_fingerprint,
        "optico_visit": visitor.optico_visit,
        "pa_customer": visitor.pa_customer,
        "pa_session": visitor.pa_session,
    }


def _amounts_json(event: CartUpdated | OrderPlaced) -> dict[str, Any]:
    """What a cart and an order both carry: their currency, lines and amounts."""
    return {
        "currency": event.currency,
        "lines": [_line_json(line) for line in event.lines],
        "subtotal": _plain(event.subtotal),
        "total": _plain(event.total),
    }


def event_to_json(event: CommerceEvent) -> dict[str, Any]:
    """The event as a JSON-ready mapping (without its kind).

    A cart's `shop_session` is left out: the outbox keeps only its hash (in recorded_carts),
    and no vendor ever receives it.
    """
    # Keys keep their order (the outbox payload's bytes): the shared amounts come second.
    if isinstance(event, CartUpdated):
        return {
            "cart_id": event.cart_id,
            **_amounts_json(event),
            "occurred_at": _time(event.occurred_at),
            "visitor": _visitor_json(event.visitor),
            "customer_id": event.customer_id,
            "logged_in": event.logged_in,
        }
    if isinstance(event, OrderPlaced):
        return {
            "order_id": event.order_id,
            **_amounts_json(event),
            "status": event.status,
            "occurred_at": _time(event.occurred_at),
            "cart_id": event.cart_id,
            "tax": _plain(event.tax),
            "delivery_fee": _plain(event.delivery_fee),
            "visitor": _visitor_json(event.visitor),
            "customer_id": event.customer_id,
            "customer_email": event.customer_email,
            "page_url": event.page_url,
            "promotion_codes": [
                {"code": code.code, "value": _plain(code.value)} for code in event.promotion_codes
            ],
        }
    return {
        "order_id": event.order_id,
        "status": event.status,
        "occurred_at": _time(event.occurred_at),
    }


def dumps(event: CommerceEvent) -> str:
    """The event as compact JSON text (the outbox payload)."""
    return json.dumps(event_to_json(event), separators=(",", ":"), ensure_ascii=False)


def loads(kind: str, text: str) -> CommerceEvent:
    """An event back from its outbox payload."""
    return event_from_json(kind, json.loads(text))


class _Fields:
    """Reads one JSON object's fields, naming the path of each in errors."""

    def __init__(self, data: object, path: str) -> None:
        if not isinstance(data, Mapping):
            raise EventFormatError(f"{path or 'the event'} must be a JSON object")
        self.data: Mapping[str, Any] = data
        self.path = path

    def name(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def text(
        self, key: str, *, required: bool = True, max_length: int = MAX_ID_LENGTH
    ) -> str | None:
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                raise EventFormatError(f"{self.name(key)} is required")
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise EventFormatError(f"{self.name(key)} must be a string")
        if len(value) > max_length:
            raise EventFormatError(f"{self.name(key)} must be at most {max_length} characters")
        if not value.isprintable():
            raise EventFormatError(f"{self.name(key)} must not contain control characters")
        return value

    def required_text(self, key: str, max_length: int = MAX_ID_LENGTH) -> str:
        value = self.text(key, max_length=max_length)
        assert value is not None
        return value

    def currency(self, key: str) -> str:
        value = self.required_text(key, 40)
        if not _CURRENCY.fullmatch(value):
            raise EventFormatError(f"{self.name(key)} must be an ISO 4217 code such as 'USD'")
        return value

    def amount(self, key: str, *, default: Decimal | None = None) -> Decimal:
        value = self.data.get(key)
        if value is None:
            if default is not None:
                return default
            raise EventFormatError(f"{self.name(key)} is required")
        if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
            raise EventFormatError(f"{self.name(key)} must be a decimal amount such as '12.50'")
        try:
            # str() first: a float such as 0.1 must not become 0.1000000000000000055...
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise EventFormatError(
                f"{self.name(key)} must be a decimal amount such as '12.50'"
            ) from None
        if not number.is_finite() or number < 0 or number >= MAX_AMOUNT:
            raise EventFormatError(f"{self.name(key)} must be a non-negative amount below 10^12")
        if number.as_tuple().exponent < -6:  # type: ignore[operator]
            raise EventFormatError(f"{self.name(key)} has more than 6 decimals")
        return number

    def optional_amount(self, key: str) -> Decimal | None:
        return None if self.data.get(key) is None else self.amount(key)

    def quantity(self, key: str, minimum: int) -> int:
        value = self.data.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise EventFormatError(f"{self.name(key)} must be a whole number")
        if not minimum <= value <= MAX_QUANTITY:
            raise EventFormatError(f"{self.name(key)} must be between {minimum} and {MAX_QUANTITY}")
        return value

    def flag(self, key: str) -> bool:
        value = self.data.get(key, False)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise EventFormatError(f"{self.name(key)} must be true or false")
        return value

    def time(self, key: str) -> datetime:
        value = self.required_text(key, 40)
        try:
            moment = utc_moment(value)
        except ValueError:
            raise EventFormatError(
                f"{self.name(key)} must be an ISO 8601 time such as 2026-11-26T13:07:06Z"
            ) from None
        if not EARLIEST <= moment <= LATEST:
            raise EventFormatError(
                f"{self.name(key)} must be between {EARLIEST.year} and {LATEST.year - 1}"
            )
        return moment

    def items(self, key: str, maximum: int, *, required: bool = True) -> list[Any]:
        value = self.data.get(key)
        if value is None and not required:
            return []
        if not isinstance(value, list):
            raise EventFormatError(f"{self.name(key)} must be a list")
        if len(value) > maximum:
            raise EventFormatError(f"{self.name(key)} must have at most {maximum} entries")
        return value


def _details(fields: _Fields) -> str | Mapping[str, Any] | None:
    value = fields.data.get("details")
    if value is None or isinstance(value, str | Mapping):
        try:
            size = len(json.dumps(value, default=str).encode("utf-8"))
        except (TypeError, ValueError):
            raise EventFormatError(
                f"{fields.name('details')} must be JSON text or object"
            ) from None
        if size > MAX_DETAILS_BYTES:
            raise EventFormatError(
                f"{fields.name('details')} must be at most {MAX_DETAILS_BYTES} bytes of JSON"
            )
        if isinstance(value, Mapping):
            # A plain JSON copy: the outbox stores it as it will be sent.
            copied: dict[str, Any] = json.loads(json.dumps(value, default=str))
            return copied
        return value
    raise EventFormatError(f"{fields.name('details')} must be a string or an object")


def _line(data: object, path: str, minimum_quantity: int) -> EventLine:
    fields = _Fields(data, path)
    return EventLine(
        product_id=fields.required_text("product_id"),
        name=fields.required_text("name", MAX_TEXT_LENGTH),
        quantity=fields.quantity("quantity", minimum_quantity),
        unit_price=fields.amount("unit_price"),
        variant_id=fields.text("variant_id", required=False),
        on_sale=fields.flag("on_sale"),
        discount=fields.optional_amount("discount"),
        coupon_code=fields.text("coupon_code", required=False),
        details=_details(fields),
    )


def _lines(fields: _Fields, minimum_quantity: int) -> tuple[EventLine, ...]:
    entries = fields.items("lines", MAX_LINES)
    return tuple(
        _line(entry, f"{fields.name('lines')}[{index}]", minimum_quantity)
        for index, entry in enumerate(entries)
    )


def visitor_from_json(data: object, path: str = "visitor") -> VisitorIds:
    """VisitorIds from a JSON object; absent keys are None."""
    if data is None:
        return VisitorIds()
    fields = _Fields(data, path)
    return VisitorIds(
        oct8ne_session=fields.text("oct8ne_session", required=False),
        oct8ne_visitor=fields.text("oct8ne_visitor", required=False),
        octocom_session=fields.text("octocom_session", required=False),
        alhena_fingerprint=fields.text("alhena_fingerprint", required=False),
        alhena_faq_fingerprint=fields.text("alhena_faq_fingerprint", required=False),
        optico_visit=fields.text("optico_visit", required=False),
        pa_customer=fields.text("pa_customer", required=False),
        pa_session=fields.text("pa_session", required=False),
    )


def _promotion_codes(fields: _Fields) -> tuple[PromotionCode, ...]:
    entries = fields.items("promotion_codes", MAX_PROMOTION_CODES, required=False)
    codes = []
    for index, entry in enumerate(entries):
        code = _Fields(entry, f"promotion_codes[{index}]")
        codes.append(PromotionCode(code=code.required_text("code"), value=code.amount("value")))
    return tuple(codes)


def _basket(fields: _Fields, lines: tuple[EventLine, ...]) -> dict[str, Any]:
    """The keyword arguments a cart snapshot and an order share, decoded once."""
    return {
        "currency": fields.currency("currency"),
        "lines": lines,
        "subtotal": fields.amount("subtotal"),
        "total": fields.amount("total"),
        "occurred_at": fields.time("occurred_at"),
        "visitor": visitor_from_json(fields.data.get("visitor")),
        "customer_id": fields.text("customer_id", required=False),
    }


def event_from_json(kind: str, data: object) -> CommerceEvent:
    """A validated event of this kind from a decoded JSON object."""
    fields = _Fields(data, "")
    if kind == "cart_updated":
        return CartUpdated(
            cart_id=fields.required_text("cart_id"),
            # A cart line with quantity 0 is a removed product: the snapshot just leaves it out.
            **_basket(fields, _lines(fields, 1)),
            logged_in=fields.flag("logged_in"),
            shop_session=fields.text("shop_session", required=False, max_length=256),
        )
    if kind == "order_placed":
        lines = _lines(fields, 1)
        if not lines:
            raise EventFormatError("lines must list at least one product")
        return OrderPlaced(
            order_id=fields.required_text("order_id"),
            **_basket(fields, lines),
            status=fields.required_text("status", MAX_STATUS_LENGTH),
            cart_id=fields.text("cart_id", required=False),
            tax=fields.amount("tax", default=Decimal(0)),
            delivery_fee=fields.amount("delivery_fee", default=Decimal(0)),
            customer_email=fields.text("customer_email", required=False, max_length=320),
            page_url=fields.text("page_url", required=False, max_length=MAX_URL_LENGTH),
            promotion_codes=_promotion_codes(fields),
        )
    if kind == "order_status_changed":
        return OrderStatusChanged(
            order_id=fields.required_text("order_id"),
            status=fields.required_text("status", MAX_STATUS_LENGTH),
            occurred_at=fields.time("occurred_at"),
        )
    raise EventFormatError(f"unknown event kind {kind[:40]!r}: use one of {', '.join(KINDS)}")
