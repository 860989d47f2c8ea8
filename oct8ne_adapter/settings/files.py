"""Config layers: the TOML file (flat keys, unknown ones refused), the environment, a mapping."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from oct8ne_adapter.errors import ConfigError
from oct8ne_adapter.settings.model import PREFIX, config_keys

#: Environment variables that override the configuration file.
ENVIRONMENT_OVERRIDES = (
    "OCT8NE_DATABASE_URL",
    "OCT8NE_API_TOKEN",
    "OCT8NE_LICENSE",
    "OCT8NE_RATELIMIT_STORAGE",
    "OCT8NE_EVENTS_SECRET",
    "OCT8NE_CATALOG_SECRET",
)


def load_config_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a TOML configuration file into `OCT8NE_*` Flask config keys."""
    file_path = Path(path)
    try:
        with file_path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"configuration file not found: {file_path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{file_path} is not valid TOML: {error}") from None
    except OSError as error:
        raise ConfigError(f"cannot read configuration file {file_path}: {error.strerror}") from None
    unknown = sorted(set(data) - set(config_keys()))
    if unknown:
        raise ConfigError(f"{file_path}: unknown key {unknown[0]!r}")
    return {PREFIX + name.upper(): value for name, value in data.items()}


def layered_config(
    config: Mapping[str, Any] | str | os.PathLike[str] | None,
    environ: Mapping[str, str] = os.environ,
) -> dict[str, Any]:
    """Config layers, later wins: the TOML file, the environment, then an explicit mapping."""
    layers: dict[str, Any] = {}
    config_path = environ.get("OCT8NE_CONFIG")
    if isinstance(config, str | os.PathLike):
        config_path = os.fspath(config)
    if config_path:
        layers.update(load_config_file(config_path))
    for key in ENVIRONMENT_OVERRIDES:
        if environ.get(key):
            layers[key] = environ[key]
    if isinstance(config, Mapping):
        layers.update(config)
    return layers
