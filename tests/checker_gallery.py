"""The gallery: broken oct8ne adapters, one per family of faults, and the report each must get.

Each entry is a `FakeAdapter` (a real HTTP server on 127.0.0.1, tests/checker_fakes.py) with
some `Faults`, and every cause the checker must name for it: (level, the check that meets it
first, a piece of its message). The test asserts these and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

from checker_fakes import Faults


@dataclass(frozen=True)
class Exhibit:
    """A broken adapter and the causes its report must list, no more."""

    faults: Faults
    causes: tuple[tuple[str, str, str], ...]
    ok: bool = False  # whether the run passes at the default --fail-on protocol


GALLERY: dict[str, Exhibit] = {
    # Everything as text/html: the types are one cause each, and the payloads are still read,
    # so a wrong apiVersion and lying facet counts are named too.
    "text/html everywhere": Exhibit(
        Faults(
            json_type="text/html",
            jsonp_type="text/html",
            api_version="2.3",
            facet_count_one=True,
            serve_extras=True,
        ),
        (
            ("protocol", "getAdapterInfo.json", "Content-Type 'text/html', not 'application/json'"),
            ("protocol", "getAdapterInfo.json", "apiVersion: '2.3' is not '2.4'"),
            ("protocol", "getAdapterInfo.jsonp", "Content-Type 'text/html' for JSONP"),
            ("protocol", "search.facets.counts", "4 of 4 counts wrong: category=boots says 1"),
            ("protocol", "search.facets.combined", "color=blue says 1, applying both finds 3"),
        ),
    ),
    # The official WooCommerce connector's answers as issue 18 describes them.
    "WooCommerce connector": Exhibit(
        Faults(
            api_version="2.3",
            enabled=1,
            reflect_callback=True,
            null_on_bad_token=True,
            empty_search_list=True,
            numeric_ids=True,
            paging_500=True,
            past_end_without_results=True,
            ignore_start_count=True,
            ignore_filters=True,
            no_facets=True,
            price_entity=True,
            protocol_relative=True,
            use_product_url_string=True,
            related_twice=True,
            no_wishlist_method=True,
            serve_extras=True,
        ),
        (
            ("security", "callback.hostile", "reflected raw as application/javascript"),
            ("protocol", "getAdapterInfo.json", "apiVersion: '2.3' is not '2.4'"),
            ("protocol", "getAdapterInfo.json", "enabled: 1 is not of type 'boolean'"),
            ("protocol", "productInfo.json", "results[0].internalId: 1 is a number, not a string"),
            ("protocol", "productInfo.json", "useProductUrl: 'false' is a string, not a boolean"),
            ("protocol", "addToWishList.json", "HTTP 200 with an empty body"),
            ("protocol", "products.text", "formattedPrice '42.50 &#36;' holds an HTML entity"),
            ("protocol", "search.paging", '(past the end): {"total": 30}'),
            ("protocol", "search.empty", "answered [], not {total: 0, results: []}"),
            ("protocol", "search.bad-paging", "page=-1: HTTP 500"),
            ("protocol", "getOrders.bad-token", "(wrong token): answered null, not []"),
            ("protocol", "productRelated.present", "lists 2 more than once"),
            ("compatibility", "products.urls", "is protocol-relative: give the scheme"),
            ("compatibility", "search.start-count", "start/count ignored"),
            ("hardening", "locale.format", "formats prices as locale=en-US does"),
            ("hardening", "search.filters", "no facets: search offers no filter"),
        ),
    ),
    "security": Exhibit(
        Faults(open_state_changes=True, orders_without_token=True, serve_extras=True),
        (
            ("security", "methods.state-changing", "unlink: HTTP 200 to an anonymous call"),
            ("security", "getOrders.bad-token", "(wrong token): answered data"),
        ),
    ),
    # Issue 17's rules (DESIGN §3): JSONP errors and the active group are the protocol's; the
    # platform adapters' getCart and report formats are compatibility.
    "issue 17 rules": Exhibit(
        Faults(
            jsonp_error_status=404,
            active_group_offered=True,
            cart_amount_strings=True,
            report_to_exclusive=True,
            serve_extras=True,
        ),
        (
            ("protocol", "errors.jsonp", "HTTP 404: a browser runs no script"),
            ("protocol", "search.facets.applied", "the color group is still offered"),
            ("compatibility", "getCart.present", "price '0.00', finalPrice '0.00': amounts"),
            ("compatibility", "getSalesReport.present", "leaves out 1 rows of today"),
        ),
        ok=False,
    ),
    "hardening only": Exhibit(
        Faults(nosniff=False, serve_extras=True),
        (("hardening", "getAdapterInfo.jsonp", "no 'X-Content-Type-Options: nosniff'"),),
        ok=True,
    ),
    "missing fields": Exhibit(
        Faults(drop_info_fields=("medias", "useProductUrl"), serve_extras=True),
        (
            ("protocol", "productInfo.json", "[0]: 'useProductUrl' is a required property"),
            ("protocol", "productInfo.json", "[0]: 'medias' is a required property"),
        ),
    ),
    "absent extras": Exhibit(
        Faults(),
        (
            ("compatibility", "getCart.present", "absent (getCart: HTTP 404)"),
            ("compatibility", "getSalesReport.present", "absent (getSalesReport?from="),
        ),
        ok=True,
    ),
}
