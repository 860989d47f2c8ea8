"""The one exception tree: every error the package defines descends from Oct8neError."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from functools import cache

import click
import pytest
from click.testing import CliRunner

import oct8ne_adapter
from oct8ne_adapter import errors
from oct8ne_adapter.cli.context import AdapterCommands
from oct8ne_adapter.errors import DataSourceUnavailable, Oct8neError


@cache
def exception_classes() -> dict[str, type[BaseException]]:
    """Every exception class defined in a module of the package, by qualified name."""
    found: dict[str, type[BaseException]] = {}
    for module_info in pkgutil.walk_packages(oct8ne_adapter.__path__, "oct8ne_adapter."):
        module = importlib.import_module(module_info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__ == module.__name__:
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return found


def test_the_package_defines_exceptions_outside_errors_py_too() -> None:
    # Guards the walk below: it must reach the subpackages, not only errors.py.
    modules = {name.rsplit(".", 1)[0] for name in exception_classes()}
    assert {"oct8ne_adapter.errors", "oct8ne_adapter.checker.http"} <= modules


@pytest.mark.parametrize("name", sorted(exception_classes()))
def test_every_exception_descends_from_the_one_root(name: str) -> None:
    assert issubclass(exception_classes()[name], Oct8neError)


@pytest.mark.parametrize("name", sorted(exception_classes()))
def test_the_tree_in_the_docstring_names_every_exception(name: str) -> None:
    drawn = set(re.findall(r"[─└├] (\w+)", errors.__doc__ or ""))
    assert exception_classes()[name].__name__ in drawn | {"Oct8neError"}


def _failing_group(error: Exception) -> click.Group:
    @click.group(cls=AdapterCommands)
    def group() -> None:
        """A group whose one command fails."""

    @group.command("fail")
    def fail() -> None:
        """Raise the error."""
        raise error

    return group


def test_the_cli_turns_any_error_of_the_tree_into_one_line() -> None:
    class Unforeseen(Oct8neError):
        """An error no command lists."""

    result = CliRunner().invoke(_failing_group(Unforeseen("the reason")), ["fail"])
    assert (result.exit_code, result.output) == (1, "Error: the reason\n")


def test_the_cli_names_the_database_driver_s_reason_for_an_outage() -> None:
    error = DataSourceUnavailable("the catalog database is unavailable")
    error.__cause__ = OSError("connection refused\nmore detail")
    result = CliRunner().invoke(_failing_group(error), ["fail"])
    assert result.output == "Error: the catalog database is unavailable: connection refused\n"


def test_the_cli_leaves_other_exceptions_alone() -> None:
    result = CliRunner().invoke(_failing_group(KeyError("bug")), ["fail"])
    assert isinstance(result.exception, KeyError)


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (errors.AdapterError, 500, "internal_error"),
        (errors.BadRequest, 400, "bad_request"),
        (errors.InvalidCallback, 400, "invalid_callback"),
        (errors.InvalidParameter, 400, "invalid_parameter"),
        (errors.InvalidEvent, 400, "invalid_event"),
        (errors.InvalidProducts, 400, "invalid_products"),
        (errors.Unauthorized, 401, "unauthorized"),
        (errors.Forbidden, 403, "forbidden"),
        (errors.UnknownMethod, 404, "unknown_method"),
        (errors.UnknownEventKind, 404, "unknown_event_kind"),
        (errors.PayloadTooLarge, 413, "payload_too_large"),
        (errors.UnsupportedMediaType, 415, "unsupported_media_type"),
        (errors.TooManyFailures, 429, "rate_limited"),
        (DataSourceUnavailable, 503, "unavailable"),
    ],
)
def test_each_json_error_answers_its_status_and_code(
    error: type[errors.AdapterError], status: int, code: str
) -> None:
    # The class line declares both (AdapterError.__init_subclass__); a subclass inherits its
    # parent's status unless it names its own.
    assert (error.status, error.code) == (status, code)
