"""RepositoryContract: the behaviour every repository must have, as a pytest base class.

A shop runs it against its own repository in its own tests::

    from oct8ne_adapter.testing import ContractData, RepositoryContract

    class TestMyRepository(RepositoryContract):
        @pytest.fixture
        def repository(self):
            return MyShopRepository(a_fresh_test_database())

        @pytest.fixture
        def contract_data(self):
            return ContractData(product_ids=("p-1", "p-2"), customer_id="42", ...)

`repository` must be a fresh repository per test (the wishlist test adds a product), and
`contract_data` names data that exists in it. Each rule fails with a message naming the method
and what it returned, so a failing run reads as a to-do list.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from oct8ne_adapter import domain
from oct8ne_adapter.repository import AdapterRepository

#: An id no shop uses: every method must treat it as unknown.
UNKNOWN_ID = "oct8ne-contract-unknown-id"
#: A language no product has texts in (ISO 639 leaves `zz` unassigned): texts fall back.
UNKNOWN_LANGUAGE = "zz"


@dataclass(frozen=True)
class ContractData:
    """What exists in the repository under test, for the contract to ask about."""

    #: At least two known, active products, with texts in `languages`.
    product_ids: tuple[str, ...]
    #: A customer with a non-empty cart.
    customer_id: str
    #: A product that is not (yet) in that customer's wishlist.
    addable_product_id: str
    #: The e-mail of a customer with at least two orders.
    customer_email: str
    #: The reference of one order.
    order_reference: str
    #: A text that finds at least two products.
    search_text: str
    #: The translation preference chain the products have texts for.
    languages: tuple[str, ...] = ("en",)
    #: A currency the products have prices in.
    currency: str = "USD"


def _ids(products: list[domain.Product] | tuple[domain.Product, ...]) -> list[str]:
    return [product.id for product in products]


def _query(data: ContractData, **changes: Any) -> domain.SearchQuery:
    basis = domain.PriceBasis(data.currency, data.currency, None)
    fields: dict[str, Any] = {"text": data.search_text, "languages": data.languages}
    fields.update(changes)
    return domain.SearchQuery(price_basis=basis, **fields)


def _check_money(where: str, amount: object) -> None:
    assert isinstance(amount, Decimal), (
        f"{where} must be a Decimal (money is never float), got {type(amount).__name__} {amount!r}"
    )


class RepositoryContract:
    """The contract tests; subclass as `Test...` and give the two fixtures."""

    @pytest.fixture
    def repository(self) -> AdapterRepository:
        """The repository under test; override in the subclass."""
        raise NotImplementedError("define a `repository` fixture in your RepositoryContract")

    @pytest.fixture
    def contract_data(self) -> ContractData:
        """The data that exists in it; override in the subclass."""
        raise NotImplementedError("define a `contract_data` fixture in your RepositoryContract")

    # -- catalog --------------------------------------------------------------------------------

    def test_implements_the_adapter_protocols(self, repository: AdapterRepository) -> None:
        missing = [
            name
            for name in sorted(set(dir(AdapterRepository)) - set(dir(object)))
            if not name.startswith("_") and not callable(getattr(repository, name, None))
        ]
        assert not missing, f"the repository lacks these methods of AdapterRepository: {missing}"

    def test_products_keep_the_requested_order(
        self, repository: AdapterRepository, contract_data: ContractData
    ) -> None:
        wanted = list(reversed(contract_data.product_ids))
        got = _ids(repository.get_products(wanted, contract_data.languages))
        assert got == wanted, (
            f"get_products must keep the requested order: asked {wanted}, got {got}"
        )

    def test_unknown_ids_are_skipped(
        self, repository: AdapterRepository, contract_data: ContractData
    ) -> None:
        first, second = contract_data.product_ids[:2]
        asked = [first, UNKNOWN_ID, second]
        got = _ids(repository.get_products(asked, contract_data.languages))
        assert got == [first, second], (
            f"get_products must skip unknown ids and keep the rest: asked {asked}, got {got}"
        )
        assert repository.get_products([], contract_data.languages) == [], (
            "get_products([]) must be []"
        )

    def test_products_carry_texts_and_decimal_prices(
        self, repository: AdapterRepository, contract_data: ContractData
    ) -> None:
        for product in repository.get_products(contract_data.product_ids, contract_data.languages):
            assert isinstance(product, domain.Product), (
                f"get_products must return domain.Product objects, got {type(product).__name__}"
            )
            assert product.title, f"product {product.id} has no title in {contract_data.languages}"
            assert product.prices, f"product {product.id} has no price"
            for currency, price in product.prices.items():
                assert len(currency) == 3 and currency.isupper(), (
                    f"product {product.id}: prices are keyed by ISO 4217 code, got {currency!r}"
                )
                _check_money(f"product {product.id}'s {currency} amount", price.amount)
                if price.previous_amount is not None:
                    _check_money(
                        f"product {product.id}'s previous {currency} amount", price.previous_amount
                    )

    def test_languages_fall_back_along_the_chain(
        self, repository: AdapterRepository, contract_data: ContractData
    ) -> None:
        ids, languages = contract_data.product_ids, contract_data.languages
        expected = {p.id: p.title for p in repository.get_products(ids, languages)}
        chain = (UNKNOWN_LANGUAGE, *languages)
        got = {p.id: p.title for p in repository.get_products(ids, chain)}
        assert got == expected, (
            f"texts must fall back to the next language of the chain: {chain} gave {got}, "
            f"{languages} gave {expected}"
        )

    def test_related_products_are_bounded_and_unknown_ids_have_none(
        self, repository: AdapterRepository, contract_data: ContractData
    ) -> None:
        languages = contract_data.languages
        unknown = repository.related_products(UNKNOWN_ID, languages, 10)
        assert unknown == [], f"related_products of an unknown id must be [], got {_ids(unknown)}"
        for product_id in contract_data.product_ids:
            related = repository.related_products(product_id, languages, 1)
            assert len(related) <= 1, (
                f"related_products({product_id!r}, limit=1) returned {len(related)} products"
            )

    # -- search ---------------------------------------------------------------------------------

    def test_search_pages_add_up_to_the_total(
        self, repository: AdapterRepository, contract_data: ContractData
    ) -> None:
        everything = repository.search(_query(contract_data, limit=100))
        assert everything.total >= 2, (
            f"search({contract_data.search_text!r}) must find at least two products "
            f"(ContractData.search_text), found {everything.total}"
        )
        pages = [repository.search(_query(contract_data, offset=n, limit=1)) for n in range(2)]
        for number, page in enumerate(pages):
            assert page.total == everything.total, (
                f"the total must not depend on the page: page {number} says {page.total}, "
                f"the whole result {everything.total}"
            )
            assert len(page.products) == 1, f"page {number} of size 1 has {len(page.products)}"
        paged = [page.products[0].id for page in pages]
        assert paged == _ids(everything.products)[:2], (
            f"pages of one must follow the result's order: got {paged}, "
            f"the result starts {_ids(everything.products)[:2]}"
        )
        past = repository.search(_query(contract_data, offset=everything.total, limit=10))
        assert past.products == () and past.total == everything.total, (
            f"a page past the end must be empty with the true total: got {_ids(past.products)} "
            f"and total {past.total}"
        )

    def test_facet_counts_are_exact(
        self, repository: AdapterRepository, contract_data: ContractData
    ) -> None:
        result = repository.search(_query(contract_data))
        for facet in result.facets:
            for option in facet.options[:3]:
                narrowed = repository.search(
                    _query(contract_data, filters=(domain.FilterValue(facet.param, option.value),))
                )
                assert option.count > 0, f"facet {facet.param}={option.value} offers no product"
                assert narrowed.total == option.count, (
                    f"facet {facet.param}={option.value} says {option.count} products, "
                    f"applying it finds {narrowed.total}"
                )

    # -- customers ------------------------------------------------------------------------------

    def test_customers_are_found_by_id(
        self, repository: AdapterRepository, contract_data: ContractData
    ) -> None:
        customer = repository.get_customer(contract_data.customer_id)
        assert customer is not None and customer.id == contract_data.customer_id, (
            f"get_customer({contract_data.customer_id!r}) must return that customer, got {customer}"
        )
        unknown = repository.get_customer(UNKNOWN_ID)
        assert unknown is None, f"get_customer of an unknown id must be None, got {unknown}"

    def test_a_customers_cart(
        self, repository: AdapterRepository, contract_data: ContractData
    ) -> None:
        visitor = domain.Visitor(customer_id=contract_data.customer_id)
        cart = repository.get_cart(visitor, contract_data.languages)
        assert cart.lines, f"the cart of customer {contract_data.customer_id} must not be empty"
        assert cart.currency, "a cart with lines must say its currency"
        for line in cart.lines:
            assert line.quantity > 0, f"cart line {line.product.id} has quantity {line.quantity}"
        if cart.subtotal is not None:
            # getCart's `price` is the sum of the lines at the prices charged (DESIGN §3).
            units = [line.unit_price for line in cart.lines]
            if all(unit is not None for unit in units):
                summed = sum(
                    (
                        (unit or 0) * line.quantity
                        for unit, line in zip(units, cart.lines, strict=True)
                    ),
                    Decimal(0),
                )
                assert cart.subtotal == summed, (
                    f"Cart.subtotal {cart.subtotal} is not its lines at their unit prices, {summed}"
                )
            assert cart.total is None or cart.total >= 0, f"Cart.total {cart.total} is negative"
        empty = repository.get_cart(domain.ANONYMOUS, contract_data.languages)
        stray = [line.product.id for line in empty.lines]
        assert not stray, f"an anonymous visitor without a cart key has no cart, got {stray}"

    def test_the_wishlist_grows_by_known_new_products_only(
        self, repository: AdapterRepository, contract_data: ContractData
    ) -> None:
        customer, languages = contract_data.customer_id, contract_data.languages
        new = contract_data.addable_product_id
        before = _ids(repository.get_wishlist(customer, languages))
        assert new not in before, f"ContractData.addable_product_id {new} is already wished"
        added = repository.add_to_wishlist(customer, [new, UNKNOWN_ID])
        assert added == 1, f"add_to_wishlist([{new!r}, unknown]) must add 1, says {added}"
        again = repository.add_to_wishlist(customer, [new])
        assert again == 0, f"adding {new} a second time must add 0, says {again}"
        after = _ids(repository.get_wishlist(customer, languages))
        assert after == [*before, new], (
            f"the wishlist must be oldest first with {new} last: before {before}, after {after}"
        )
        assert repository.get_wishlist(UNKNOWN_ID, languages) == [], (
            "an unknown customer's wishlist must be []"
        )

    # -- orders ---------------------------------------------------------------------------------

    def test_orders_are_newest_first_and_paged(
        self, repository: AdapterRepository, contract_data: ContractData
    ) -> None:
        email, languages = contract_data.customer_email, contract_data.languages
        orders = repository.list_orders(email, languages, 0, 100)
        assert len(orders) >= 2, f"{email} must have at least two orders, has {len(orders)}"
        dates = [order.placed_at for order in orders]
        assert dates == sorted(dates, reverse=True), f"orders must be newest first, got {dates}"
        for order in orders:
            _check_money(f"order {order.reference}'s total", order.total.amount)
        paged = [repository.list_orders(email, languages, n, 1) for n in range(len(orders))]
        references = [page[0].reference if page else None for page in paged]
        assert references == [order.reference for order in orders], (
            f"list_orders(offset=n, limit=1) must walk the same list: got {references}"
        )
        unknown = repository.list_orders(f"{UNKNOWN_ID}@example.com", languages, 0, 10)
        assert unknown == [], f"an unknown e-mail has no orders, got {unknown}"

    def test_an_order_is_found_by_reference(
        self, repository: AdapterRepository, contract_data: ContractData
    ) -> None:
        reference, languages = contract_data.order_reference, contract_data.languages
        details = repository.get_order(reference, languages)
        assert details is not None, f"get_order({reference!r}) must find the order"
        assert details.order.reference == reference, (
            f"get_order({reference!r}) returned order {details.order.reference!r}"
        )
        _check_money(f"order {reference}'s total", details.order.total.amount)
        assert repository.get_order(UNKNOWN_ID, languages) is None, (
            "get_order of an unknown reference must be None"
        )
