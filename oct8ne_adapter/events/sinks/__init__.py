"""The vendor sinks, and `build_sinks`: the configured ones from `OCT8NE_EVENT_SINKS`.

`OCT8NE_EVENT_SINKS` (TOML: an `[event_sinks.<vendor>]` table per vendor) maps a vendor's name
to its options; a vendor is off unless it is listed. Every vendor takes `base_url`, which
replaces its host (a proxy, or a fake vendor in the tests). The options:

| vendor | options |
|---|---|
| `oct8ne` | none (the backoffice host comes from `build_sinks(oct8ne_server=...)`) |
| `octocom` | `provider` (default `"api"`) |
| `alhena` | `company_key` (required), `region` `us`/`eu` (default `us`), `source` (`"CUSTOM"`) |
| `optico` | `key` (required) |
| `pa` | `endpoint`, `access_token` (required), `client_id`, `mark_as_used_base` |
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from oct8ne_adapter.errors import EventSinkConfigError
from oct8ne_adapter.events.sinks.alhena import AlhenaSink
from oct8ne_adapter.events.sinks.base import InvalidPayload, OutboundRequest, Outcome, Sink, Verdict
from oct8ne_adapter.events.sinks.oct8ne import Oct8neSink
from oct8ne_adapter.events.sinks.octocom import OctocomSink
from oct8ne_adapter.events.sinks.optico import OpticoSink
from oct8ne_adapter.events.sinks.pa import PaSink

__all__ = [
    "VENDORS",
    "AlhenaSink",
    "InvalidPayload",
    "Oct8neSink",
    "OctocomSink",
    "OpticoSink",
    "OutboundRequest",
    "Outcome",
    "PaSink",
    "Sink",
    "Verdict",
    "build_sinks",
]

#: Every vendor a shop may switch on, in the order `build_sinks` returns them.
VENDORS = ("oct8ne", "octocom", "alhena", "optico", "pa")
_CONTEXT = frozenset({"oct8ne_server"})


def build_sinks(options: Mapping[str, Mapping[str, Any]], **context: Any) -> list[Sink]:
    """The sinks of the vendors listed in `options`, each from its own options.

    Keyword context: `oct8ne_server`, the backoffice host of the linked oct8ne account as the
    protocol writes it (`PlatformCredentials.server`, e.g. `"backoffice.oct8ne.com/"`), or a
    callable returning it (e.g. `lambda: credentials.current().server`, so that workers follow a
    new link-up). It is needed when `oct8ne` is listed without a `base_url`.

    Raises EventSinkConfigError, naming the vendor and option, for anything it cannot use.
    """
    unexpected = sorted(set(context) - _CONTEXT)
    if unexpected:
        raise TypeError(f"build_sinks() got an unexpected keyword argument {unexpected[0]!r}")
    if not isinstance(options, Mapping):
        raise EventSinkConfigError(
            f"event_sinks must be a table of vendors, not {type(options).__name__}"
        )
    unknown = sorted(str(name) for name in options if name not in VENDORS)
    if unknown:
        raise EventSinkConfigError(
            f"event_sinks: unknown vendor {unknown[0]!r} (known: {', '.join(VENDORS)})"
        )
    server: str | Callable[[], str] | None = context.get("oct8ne_server") or None
    builders: dict[str, Callable[[Mapping[str, Any]], Sink]] = {
        "oct8ne": lambda vendor_options: Oct8neSink.from_options(vendor_options, server),
        "octocom": OctocomSink.from_options,
        "alhena": AlhenaSink.from_options,
        "optico": OpticoSink.from_options,
        "pa": PaSink.from_options,
    }
    return [builders[name](options[name]) for name in VENDORS if name in options]
