"""The configuration reference page, generated from the settings so that it cannot drift.

Keys, sections, types and defaults come from the settings classes; each key's description is
the comment above it in config.example.toml. Write the page with
`python -m oct8ne_adapter.settings.reference config.example.toml > docs/configuration.md`;
tests/test_settings_reference.py fails when the page is not what this makes.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import MISSING, Field, dataclass, fields
from decimal import Decimal
from typing import Any

from oct8ne_adapter.errors import ConfigError
from oct8ne_adapter.settings.files import ENVIRONMENT_OVERRIDES
from oct8ne_adapter.settings.model import PREFIX, Settings
from oct8ne_adapter.settings.sections import SECTIONS, config_key

#: Annotation of a settings field -> how the page names its TOML type.
TOML_TYPES = {
    "bool": "boolean",
    "int": "integer",
    "float": "number",
    "str": "string",
    "tuple[str, ...]": "list of strings",
    "tuple[int, ...]": "list of integers",
    "Mapping[str, str]": "table of strings",
    "Mapping[str, Decimal]": "table of decimal strings",
    "Mapping[str, Mapping[str, Any]]": "table of tables",
}
_ASSIGNMENT = re.compile(r"^([a-z_][a-z0-9_]*)\s*=")
_TABLE = re.compile(r"^\[([a-z_][a-z0-9_]*)\]")
#: A commented-out example table alone on its line, such as `# [event_sinks.octocom]`.
_COMMENTED_TABLE = re.compile(r"^#\s*\[([a-z_][a-z0-9_]*)(?:\.[a-z0-9_]+)?\]\s*$")


@dataclass(frozen=True, slots=True)
class KeyReference:
    """One config key as the page shows it."""

    key: str
    toml_type: str
    default: str
    description: str


def key_descriptions(example: str) -> dict[str, str]:
    """Config key -> the comment block above it in config.example.toml (shared by a group)."""
    descriptions: dict[str, str] = {}
    block: list[str] = []
    current = ""
    in_table = False
    for raw_line in example.splitlines():
        line = raw_line.strip()
        if not line:
            block, current = [], ""
            continue
        if line.startswith("#"):
            block.append(line.lstrip("#").strip())
            current = ""
            table = _COMMENTED_TABLE.match(line)
            if table:
                # A commented-out example table: the first paragraph above it describes it.
                paragraph = " ".join(block[: block.index("") if "" in block else -1])
                descriptions.setdefault(table.group(1), paragraph.strip())
            continue
        table = _TABLE.match(line)
        assignment = _ASSIGNMENT.match(line)
        if table:
            in_table = True
            current = " ".join(block).strip()
            descriptions.setdefault(table.group(1), current)
        elif assignment and not in_table:
            current = " ".join(block).strip() or current
            descriptions.setdefault(assignment.group(1), current)
        block = []
    return {key: text for key, text in descriptions.items() if text}


def toml_value(value: Any) -> str:
    """A default written as it would be in the TOML file."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str | Decimal):
        return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, Sequence):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, Mapping):
        items = ", ".join(f"{key} = {toml_value(item)}" for key, item in value.items())
        return "{ " + items + " }" if items else "{}"
    raise ConfigError(f"no TOML form for the default {value!r}")


def _default(settings_field: Field[Any]) -> Any:
    if settings_field.default is not MISSING:
        return settings_field.default
    if settings_field.default_factory is not MISSING:
        return settings_field.default_factory()
    raise ConfigError(f"setting {settings_field.name} has no default")


def _reference(settings_field: Field[Any], key: str, descriptions: Mapping[str, str]) -> Any:
    annotation = str(settings_field.type)
    if annotation not in TOML_TYPES:
        raise ConfigError(f"{key}: no TOML type known for {annotation!r} (add it to TOML_TYPES)")
    if key not in descriptions:
        raise ConfigError(f"{key} is not described in config.example.toml")
    return KeyReference(
        key, TOML_TYPES[annotation], toml_value(_default(settings_field)), descriptions[key]
    )


def section_references(example: str) -> list[tuple[str, list[KeyReference]]]:
    """(section summary, its keys) for the shop's own keys and then each section."""
    descriptions = key_descriptions(example)
    own = [
        _reference(settings_field, settings_field.name, descriptions)
        for settings_field in fields(Settings)
        if settings_field.name not in SECTIONS
    ]
    groups = [(_summary(Settings, "The shop"), own)]
    for section in SECTIONS.values():
        keys = [
            _reference(section_field, config_key(section_field), descriptions)
            for section_field in fields(section)
        ]
        groups.append((_summary(section), keys))
    return groups


def _summary(section: type[Any], title: str = "") -> str:
    first_line = (section.__doc__ or "").strip().splitlines()[0].rstrip(".")
    return title or first_line


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render(example: str) -> str:
    """The whole page, in Markdown."""
    overrides = ", ".join(f"`{name}`" for name in ENVIRONMENT_OVERRIDES)
    lines = [
        "# Configuration reference",
        "",
        "<!-- Generated by `python -m oct8ne_adapter.settings.reference config.example.toml >"
        " docs/configuration.md`: edit the settings or config.example.toml, not this page. -->",
        "",
        "Every key of the configuration file, with its type and default. The keys are flat: put",
        "them at the top of the TOML file (tables such as `[ratelimits]` are the values of one",
        "key). In a Flask shop the same keys go in `app.config` upper-cased with the",
        f"`{PREFIX}` prefix (`database_url` is `{PREFIX}DATABASE_URL`). These environment",
        f"variables override the file: {overrides}. Settings are checked once at start-up: a bad",
        "value stops the app with a message naming the key. `config.example.toml` is a",
        "commented copy of all of this.",
    ]
    for summary, keys in section_references(example):
        lines += ["", f"## {summary}", "", "| key | type | default | what it does |"]
        lines.append("|---|---|---|---|")
        described_by: dict[str, str] = {}
        for reference in keys:
            # Keys of one group share their comment in the file: the page says it once.
            first = described_by.setdefault(reference.description, reference.key)
            text = reference.description if first == reference.key else f"See `{first}`."
            lines.append(
                f"| `{reference.key}` | {reference.toml_type} | `{_cell(reference.default)}` "
                f"| {_cell(text)} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] = sys.argv[1:]) -> None:
    """Print the page made from the example configuration named by the one argument."""
    if len(argv) != 1:
        raise SystemExit("usage: python -m oct8ne_adapter.settings.reference config.example.toml")
    with open(argv[0], encoding="utf-8") as example:
        sys.stdout.write(render(example.read()))


if __name__ == "__main__":
    main()
