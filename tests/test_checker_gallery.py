"""The checker against the gallery of broken adapters: every fault named once, at its level."""

from __future__ import annotations

import pytest
from checker_fakes import EMAIL, TOKEN, FakeAdapter, Faults, serving
from checker_gallery import GALLERY
from click.testing import CliRunner

from oct8ne_adapter.checker import CheckOptions, Status, run_checks
from oct8ne_adapter.checker.http import MAX_BODY_BYTES
from oct8ne_adapter.checker.results import Level
from oct8ne_adapter.checker.runner import Report
from oct8ne_adapter.cli import cli


def run(faults: Faults, **options: object) -> Report:
    with serving(FakeAdapter(faults)) as url:
        settings = {"token": TOKEN, "email": EMAIL, **options}
        return run_checks(CheckOptions(url, **settings))  # type: ignore[arg-type]


@pytest.mark.parametrize("name", sorted(GALLERY))
def test_each_broken_adapter_gets_exactly_its_causes(name: str) -> None:
    exhibit = GALLERY[name]
    report = run(exhibit.faults)
    found = [(f.level.label, f.check, f.message) for f in report.findings]
    assert [(level, check) for level, check, _ in found] == [
        (level, check) for level, check, _ in exhibit.causes
    ], "\n".join(map(str, found))
    for (_, _, message), (_, _, piece) in zip(found, exhibit.causes, strict=True):
        assert piece in message
    assert report.failed is not exhibit.ok
    # FAIL rows are the checks that met a cause at the default threshold first; WARN rows
    # the ones below it: a check that meets a known cause is BLOCKED, not a second FAIL.
    rows = {result.id: result.status for result in report.results}
    for level, check, _ in exhibit.causes:
        failing = Level.named(level).value >= Level.PROTOCOL.value
        expected = Status.FAIL if failing else Status.WARN
        assert rows[check] is expected or (rows[check] is Status.FAIL and not failing)


def test_a_schema_fault_blocks_nothing_and_is_told_once() -> None:
    report = run(GALLERY["WooCommerce connector"].faults)
    statuses = {result.id: result.status for result in report.results}
    # internalId typed as a number in every search result of every page: one cause, and the
    # paging, ordering and start/count checks still ran on those answers.
    assert sum("internalId" in f.message for f in report.findings) == 1
    assert statuses["search.order.price"] is Status.PASS
    assert statuses["search.order.name"] is Status.PASS
    blocked = {r.id: r.reason for r in report.results if r.status is Status.BLOCKED}
    assert set(blocked) == {
        "addToWishList.jsonp",
        "getOrderDetails.bad-token",
        "search.facets.counts",
        "search.facets.applied",
        "search.facets.combined",
    }
    assert blocked["search.facets.counts"].startswith("blocked by search.filters: no facets")


def test_a_redirect_is_one_cause_never_followed() -> None:
    with serving(FakeAdapter()) as elsewhere:
        report = run(Faults(redirect_to=f"{elsewhere}/steal"))
    assert [(f.level.label, f.check) for f in report.findings] == [
        ("protocol", "getAdapterInfo.json")
    ]
    message = report.findings[0].message
    assert f"HTTP 302 redirect to {elsewhere}/steal, not followed" in message
    assert "x=1" not in message  # the target's query (where a token would be) is not shown
    assert all(r.status in (Status.FAIL, Status.BLOCKED, Status.SKIP) for r in report.results)


def test_a_body_over_the_cap_is_a_fault_not_read_into_memory() -> None:
    report = run(Faults(huge_body=True, serve_extras=True))
    causes = [f for f in report.findings if "getAdapterInfo" in f.message]
    assert len(causes) == 1
    assert f"the body is over {MAX_BODY_BYTES // 1024 // 1024} MiB" in causes[0].message


def test_fail_on_sets_the_threshold_and_the_exit_status() -> None:
    faults = Faults(cart_amount_strings=True, report_to_exclusive=True, serve_extras=True)
    with serving(FakeAdapter(faults)) as url:
        default = CliRunner().invoke(cli, ["check", url, "--email", EMAIL], env={})
        strict = CliRunner().invoke(cli, ["check", url, "--fail-on", "compatibility"])
    assert default.exit_code == 0, default.output
    assert "  WARN     getCart.present" in default.output
    assert "Causes, most severe first:" in default.output
    assert strict.exit_code == 1
    assert "  FAIL     getCart.present" in strict.output


def test_the_token_comes_from_the_environment_and_argv_warns() -> None:
    with serving(FakeAdapter(Faults(serve_extras=True))) as url:
        from_env = CliRunner().invoke(
            cli, ["check", url, "--email", EMAIL, "--json"], env={"OCT8NE_CHECK_TOKEN": TOKEN}
        )
        prompted = CliRunner().invoke(
            cli, ["check", url, "--email", EMAIL, "--ask-token", "--json"], input=TOKEN + "\n"
        )
        from_argv = CliRunner().invoke(cli, ["check", url, "--email", EMAIL, "--token", TOKEN])
    for result in (from_env, prompted):
        assert result.exit_code == 0, result.output
        assert '"3 orders for ann@example.com' in result.output
        assert TOKEN not in result.output
    assert "Warning: --token is visible to every user in `ps`" in from_argv.output
    assert "3 orders for ann@example.com" in from_argv.output
