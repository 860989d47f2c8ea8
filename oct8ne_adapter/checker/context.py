"""What the checks share in one run: the options, the client, and answers fetched once."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from oct8ne_adapter.checker.http import AdapterClient, Answer, Params, describe, shorten
from oct8ne_adapter.checker.results import CheckerError, Fault, Ledger, Level, NotApplicable
from oct8ne_adapter.checker.schemas import schema_faults

T = TypeVar("T")

#: A callback like the ones jQuery generates, which every adapter must accept.
CALLBACK = "jQuery36001234567_1700000000000"
UNKNOWN_PRODUCT = "oct8ne-check-no-such-product"
UNKNOWN_REFERENCE = "OCT8NE-CHECK-NO-SUCH-ORDER"
PLACEHOLDER_EMAIL = "oct8ne-check@example.invalid"
SEARCH_PAGE_SIZE = 5
#: How many discovered products the product checks use.
PRODUCTS_USED = 3


@dataclass(frozen=True, slots=True)
class CheckOptions:
    """What the person running the checker told it."""

    base_url: str
    token: str | None = None
    email: str | None = None
    product_ids: tuple[str, ...] = ()
    search: str = ""
    timeout: float = 10.0
    #: The lowest level that fails the run (and shows as FAIL rather than WARN).
    fail_on: Level = Level.PROTOCOL


@dataclass
class Context:
    """The run's shared state: each expensive answer is fetched at most once."""

    options: CheckOptions
    client: AdapterClient
    payloads: dict[str, Any] = field(default_factory=dict)
    ledger: Ledger = field(default_factory=Ledger)
    current: str = ""  # the check running now: side findings are its own
    _memo: dict[object, Any] = field(default_factory=dict)
    wrong_token: str = field(default_factory=lambda: "wrong-" + secrets.token_hex(8))

    def call(self, method: str, params: Params = ()) -> Answer:
        """One GET of a frame method."""
        return self.client.get(method, params)

    def flag(
        self, message: str, *, level: Level = Level.PROTOCOL, key: Hashable | None = None
    ) -> None:
        """Report a fault without stopping the check (met already: not repeated)."""
        self.ledger.record(Fault(message, level=level, key=key), self.current)

    def payload(self, answer: Answer) -> Any:
        """The JSON of a 200 answer whatever its Content-Type; a wrong type is flagged."""
        answer.expect_status(200)
        payload = answer.json()
        if answer.content_type != "application/json":
            self.flag(
                f"{answer.request}: Content-Type {answer.content_type or '(none)'!r}, not "
                "'application/json' (the 2.4 document: without a callback, \"raw JSON "
                '(content-type "application/json")")',
                key=("content-type json", answer.content_type),
            )
        return payload

    def typed(
        self, method: str, answer: Answer, payload: Any, level: Level = Level.PROTOCOL
    ) -> Any:
        """`payload` with each of its schema problems flagged at `level`, as a cause of its own."""
        for fault in schema_faults(method, payload, answer.request, level):
            self.ledger.record(fault, self.current)
        return payload

    def fetch(self, method: str, params: Params = ()) -> Any:
        """A 200 JSON answer of `method`, its type faults flagged (they stop nothing)."""
        answer = self.call(method, params)
        return self.typed(method, answer, self.payload(answer))

    def valid_json(self, method: str, params: Params = ()) -> Any:
        """A 200 JSON answer of `method` that has the shape the checks read, or a Fault."""
        answer = self.call(method, params)
        payload = self.typed(method, answer, self.payload(answer))
        expected = _SHAPES.get(method)
        if expected is not None and not isinstance(payload, expected):
            raise Fault(
                f"{answer.request}: answered {shorten(payload)}, not "
                f"{'an array' if expected is list else 'an object'}",
                key=("shape", method.lower(), type(payload).__name__),
            )
        if method == "search" and not isinstance(payload.get("results"), list):
            raise Fault(
                f"{answer.request}: no `results` array in {shorten(payload)}",
                key=("shape", "search", "results"),
            )
        return payload

    def once(self, key: object, compute: Callable[[], T]) -> T:
        """`compute()` the first time, its result (or its exception) every time after."""
        if key not in self._memo:
            try:
                self._memo[key] = (True, compute())
            except CheckerError as error:  # remembered: one call, one reason, every check
                self._memo[key] = (False, error)
        ok, value = self._memo[key]
        if not ok:
            raise value
        result: T = value
        return result

    # -- search ---------------------------------------------------------------------------

    def search(self, *extra: tuple[str, str], page_size: int = SEARCH_PAGE_SIZE) -> Any:
        """A valid search answer for `--search` text with these extra parameters."""
        params = [("search", self.options.search), *extra, ("pageSize", str(page_size))]
        return self.once(("search", tuple(params)), lambda: self.valid_json("search", params))

    def searched_products(self) -> Any:
        """The first search answer; NotApplicable when it finds nothing to check with."""
        result = self.search()
        if not result["results"]:
            raise NotApplicable(
                f"{describe('search', [('search', self.options.search)])} found nothing: "
                "give --search with a word that finds products"
            )
        if not isinstance(result.get("filters"), dict):
            result = {**result, "filters": {}}  # flagged by the schema; the checks go on
        return result

    # -- products -------------------------------------------------------------------------

    def product_ids(self) -> tuple[str, ...]:
        """--product-ids, else the first products the search finds."""
        if self.options.product_ids:
            return self.options.product_ids
        return self.once("product_ids", self._discover_ids)

    def _discover_ids(self) -> tuple[str, ...]:
        try:
            results = self.searched_products()["results"]
        except NotApplicable as error:
            raise NotApplicable(f"{error.message}, or --product-ids") from None
        except Fault as error:
            raise error.blocking("give --product-ids to check the products anyway") from None
        ids = [str(item.get("internalId")) for item in results if isinstance(item, dict)]
        if not ids:
            raise NotApplicable("the search results carry no internalId: give --product-ids")
        return tuple(ids[:PRODUCTS_USED])

    def ids_or_placeholder(self) -> str:
        """The product ids to ask for, or an unknown one when none could be found."""
        try:
            return ",".join(self.product_ids())
        except NotApplicable:
            return UNKNOWN_PRODUCT

    # -- orders ---------------------------------------------------------------------------

    def email(self) -> str:
        """--email, or an address no shop has."""
        return self.options.email or PLACEHOLDER_EMAIL

    def token_or_wrong(self) -> str:
        """--token, or a wrong one."""
        return self.options.token or self.wrong_token

    def orders(self) -> list[Any]:
        """The customer's orders with the good token (NotApplicable without --token/--email)."""
        if not self.options.token:
            raise NotApplicable(
                "give the adapter's apiToken (OCT8NE_CHECK_TOKEN or --ask-token) to check orders"
            )
        if not self.options.email:
            raise NotApplicable("give --email (a customer with orders) to check orders")
        params = [("customerEmail", self.options.email), ("apiToken", self.options.token)]
        orders: list[Any] = self.once("orders", lambda: self.valid_json("getOrders", params))
        return [order for order in orders if isinstance(order, dict)]

    def reference(self) -> str:
        """The reference of the customer's first order, or one that no shop has."""
        try:
            orders = self.orders()
        except CheckerError:
            return UNKNOWN_REFERENCE
        return str(orders[0]["reference"]) if orders else UNKNOWN_REFERENCE

    def method_params(self, method: str) -> list[tuple[str, str]]:
        """The parameters the per-method checks call `method` with."""
        ids = self.ids_or_placeholder
        table: dict[str, Callable[[], list[tuple[str, str]]]] = {
            "productInfo": lambda: [("productIds", ids())],
            "productSummary": lambda: [("productIds", ids())],
            "productRelated": lambda: [("productId", ids().split(",")[0])],
            "search": lambda: [
                ("search", self.options.search),
                ("pageSize", str(SEARCH_PAGE_SIZE)),
            ],
            "addToWishList": lambda: [("productIds", ids().split(",")[0])],
            "getOrders": lambda: [
                ("customerEmail", self.email()),
                ("apiToken", self.token_or_wrong()),
            ],
            "getOrderDetails": lambda: [
                ("reference", self.reference()),
                ("apiToken", self.token_or_wrong()),
            ],
        }
        return table[method]() if method in table else []


#: The JSON type each method's answer must have for the behaviour checks to read it.
_SHAPES: dict[str, type] = {
    "search": dict,
    "productInfo": list,
    "productSummary": list,
    "getOrders": list,
    "productRelated": dict,
    "getCart": dict,
    "getSalesReport": list,
}
