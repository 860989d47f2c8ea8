"""Secret rotation (issue 23 item 4): api_token, events_secret and catalog_secret accept a list.

"the first is current, the rest still accepted during a rollover; `oct8ne-adapter status` shows
how many of each are in force (masked). Tests: old and new both work, a removed one is refused."
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import adapter_config

from oct8ne_adapter import create_app
from oct8ne_adapter.cli import cli
from oct8ne_adapter.errors import ConfigError
from oct8ne_adapter.settings import Settings
from oct8ne_adapter.settings.files import layered_config
from oct8ne_adapter.web.bearer import matches_any

OLD = "old-Qm9vb2sgb2YgdGhlIGRlYWQ-0123456789"
NEW = "new-WW91IHNoYWxsIG5vdCBwYXNz-abcdefghij"
REMOVED = "gone-T25lIHJpbmcgdG8gcnVsZSB0aGVt-qrstuvw"
SECRET_KEYS = ("events_secret", "catalog_secret")


def section_secrets(settings: Settings, key: str) -> tuple[str, ...]:
    return settings.events.secrets if key == "events_secret" else settings.catalog.secrets


@pytest.mark.parametrize("key", SECRET_KEYS)
@pytest.mark.parametrize("raw", [[NEW, OLD], f"{NEW},{OLD}"], ids=["toml-list", "comma-separated"])
def test_a_secret_list_keeps_its_order_and_the_first_is_current(key, raw):
    settings = Settings.from_config({f"OCT8NE_{key.upper()}": raw})
    assert section_secrets(settings, key) == (NEW, OLD)
    section = settings.events if key == "events_secret" else settings.catalog
    assert section.secret == NEW


@pytest.mark.parametrize("key", SECRET_KEYS)
@pytest.mark.parametrize(
    "raw",
    [[NEW, "short"], f"{NEW},short", f"{NEW},,{OLD}", f"{NEW}, {OLD}", [NEW, NEW], [NEW, 3]],
    ids=["weak-in-list", "weak-in-string", "empty-item", "padded-item", "twice", "not-a-string"],
)
def test_every_listed_secret_is_checked_at_start_up(key, raw):
    with pytest.raises(ConfigError, match=key.upper()):
        Settings.from_config({f"OCT8NE_{key.upper()}": raw})


def test_the_environment_variable_takes_a_comma_separated_list(tmp_path: Path):
    config = tmp_path / "config.toml"
    config.write_text(f'catalog_secret = ["{REMOVED}"]\n', encoding="utf-8")
    environ = {"OCT8NE_CONFIG": str(config), "OCT8NE_CATALOG_SECRET": f"{NEW},{OLD}"}
    assert Settings.from_config(layered_config(None, environ)).catalog.secrets == (NEW, OLD)


def test_api_token_list_and_credentials_in_force():
    settings = Settings.from_config({"OCT8NE_API_TOKEN": "tokenB,tokenA"})
    assert settings.link.api_token == "tokenB"
    assert settings.link.api_tokens == ("tokenB", "tokenA")
    with pytest.raises(ConfigError, match="OCT8NE_API_TOKEN"):
        Settings.from_config({"OCT8NE_API_TOKEN": "tokenB,,tokenA"})


def test_matching_compares_with_every_secret_and_refuses_the_empty_one():
    assert matches_any(NEW, (NEW, OLD)) and matches_any(OLD, (NEW, OLD))
    assert not matches_any(REMOVED, (NEW, OLD))
    assert not matches_any("", ("",))
    assert not matches_any(NEW[:-1], (NEW,))


def rotated_app(database_file: Path, tokens: list[str], events: list[str]):
    return create_app(
        adapter_config(
            f"sqlite:///{database_file}", OCT8NE_API_TOKEN=tokens, OCT8NE_EVENTS_SECRET=events
        )
    )


def sales_report(client, token: str):
    return client.get(
        "/oct8ne/frame/getSalesReport",
        query_string={"from": "2020-01-01", "to": "2030-01-01", "apiToken": token},
    )


def test_old_and_new_api_tokens_both_work_and_a_removed_one_is_refused(database_file):
    client = rotated_app(database_file, [NEW, OLD], [NEW]).test_client()
    for token in (NEW, OLD):
        answer = client.get(
            "/oct8ne/frame/getOrders",
            query_string={"customerEmail": "jane.doe@example.com", "apiToken": token},
        )
        assert answer.status_code == 200 and answer.get_json() != []
    after = rotated_app(database_file, [NEW], [NEW]).test_client()
    refused = after.get(
        "/oct8ne/frame/getOrders",
        query_string={"customerEmail": "jane.doe@example.com", "apiToken": OLD},
    )
    assert refused.get_json() == []


def cart_body() -> dict:
    return {
        "cart_id": "C-1",
        "currency": "EUR",
        "lines": [{"product_id": "P-1", "name": "Lamp", "quantity": 2, "unit_price": "12.50"}],
        "subtotal": "25.00",
        "total": "25.00",
        "occurred_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
    }


def post_event(client, secret: str):
    return client.post(
        "/oct8ne/events/cart-updated",
        json=cart_body(),
        headers={"Authorization": f"Bearer {secret}"},
    )


def test_old_and_new_events_secrets_both_work_and_a_removed_one_is_refused(database_file):
    client = rotated_app(database_file, [NEW], [NEW, OLD]).test_client()
    for secret in (NEW, OLD):
        assert post_event(client, secret).status_code in (200, 202)
    after = rotated_app(database_file, [NEW], [NEW]).test_client()
    refused = post_event(after, OLD)
    assert refused.status_code == 401
    assert refused.get_json()["message"] == "the events secret is wrong"
    assert OLD not in refused.get_data(as_text=True)


def test_status_shows_how_many_secrets_are_in_force_masked(tmp_path: Path, database_file):
    config = tmp_path / "config.toml"
    config.write_text(
        f'database_url = "sqlite:///{database_file}"\n'
        f'api_token = ["{NEW}", "{OLD}"]\n'
        f'events_secret = ["{NEW}", "{OLD}", "{REMOVED}"]\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["--config", str(config), "status"])
    assert result.exit_code == 0, result.output
    lines = {line.split(":")[0].strip(): line for line in result.output.splitlines()}
    assert "2 in force" in lines["api token"]
    assert "3 in force" in lines["events secret"]
    assert "(none: the endpoint is off)" in lines["catalog secret"]
    assert lines["events secret"].index(NEW[-4:]) < lines["events secret"].index(OLD[-4:])
    for secret in (NEW, OLD, REMOVED):
        assert secret not in result.output
