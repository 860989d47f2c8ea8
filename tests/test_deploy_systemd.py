"""deploy/systemd/: the units of `serve` and `relay-worker` (issue 22), judged by systemd itself.

`systemd-analyze verify` loads each unit as systemd would (it refuses unknown settings and an
ExecStart that is not executable: the shipped /opt path becomes this venv's command), and
`systemd-analyze security --offline` scores its sandbox. Neither needs systemd to be running;
starting the units does, so this machine (no systemd as PID 1) checks them only this far.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from oct8ne_adapter.cli import cli

REPO_ROOT = Path(__file__).resolve().parent.parent
UNITS = REPO_ROOT / "deploy" / "systemd"
SHIPPED_COMMAND = "/opt/oct8ne/venv/bin/oct8ne-adapter"
COMMAND = Path(sys.executable).parent / "oct8ne-adapter"
UNIT_NAMES = ("oct8ne-adapter.service", "oct8ne-relay.service")
#: systemd-analyze security's scale: 0 is a full sandbox, 10 none; "OK" is below 2.
EXPOSURE_LIMIT = 2.0


def systemd_analyze() -> str:
    """The systemd-analyze command; skipped without it, failed under CI (.ci/run installs it)."""
    found = shutil.which("systemd-analyze")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("systemd-analyze is missing (.ci/run installs Debian's systemd package)")
    pytest.skip("systemd-analyze is not installed (apt-get install systemd)")


@pytest.fixture
def units(tmp_path: Path) -> Path:
    """The shipped units with ExecStart pointing at this venv's `oct8ne-adapter`."""
    for name in UNIT_NAMES:
        text = (UNITS / name).read_text()
        assert SHIPPED_COMMAND in text
        (tmp_path / name).write_text(text.replace(SHIPPED_COMMAND, str(COMMAND)))
    return tmp_path


def settings(name: str) -> dict[str, list[str]]:
    """Setting -> its values, from one shipped unit (comments and sections left out)."""
    values: dict[str, list[str]] = {}
    for line in (UNITS / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            values.setdefault(key, []).append(value)
    return values


def test_systemd_accepts_both_units(units: Path) -> None:
    result = subprocess.run(
        [systemd_analyze(), "verify", "--man=no", *(str(units / name) for name in UNIT_NAMES)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""  # not even a warning (an unknown or misspelt setting)


def test_systemd_verify_catches_a_broken_unit(units: Path) -> None:
    # The check above can fail: a misspelt setting is reported.
    broken = units / "oct8ne-adapter.service"
    broken.write_text(broken.read_text().replace("ProtectSystem=", "ProtectSytem="))
    result = subprocess.run(
        [systemd_analyze(), "verify", "--man=no", str(broken)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "ProtectSytem" in result.stderr


@pytest.mark.parametrize("name", UNIT_NAMES)
def test_the_sandbox_is_tight(units: Path, name: str) -> None:
    result = subprocess.run(
        [systemd_analyze(), "security", "--offline=yes", "--no-pager", str(units / name)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    score = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert score, result.stdout + result.stderr
    assert float(score.group(1)) < EXPOSURE_LIMIT, result.stdout


@pytest.mark.parametrize("name", UNIT_NAMES)
def test_the_units_run_as_a_dedicated_user_with_restarts_and_secrets(name: str) -> None:
    unit = settings(name)
    assert unit["User"] == ["oct8ne"] and unit["Group"] == ["oct8ne"]
    assert unit["Restart"] == ["on-failure"]
    assert unit["EnvironmentFile"] == ["/etc/oct8ne/secrets.env"]
    assert unit["Environment"] == ["OCT8NE_CONFIG=/etc/oct8ne/config.toml"]
    # The sysusers file creates the user the units name, with the state directory as home.
    sysusers = (UNITS / "oct8ne.sysusers.conf").read_text()
    assert re.search(r"^u oct8ne - .+ /var/lib/oct8ne$", sysusers, re.MULTILINE)
    assert unit["WorkingDirectory"] == ["/var/lib/oct8ne"]


@pytest.mark.parametrize("name", UNIT_NAMES)
def test_the_command_line_of_each_unit_is_one_the_cli_accepts(name: str) -> None:
    (exec_start,) = settings(name)["ExecStart"]
    program, *arguments = shlex.split(exec_start)
    assert program == SHIPPED_COMMAND
    assert_parses(arguments)


def assert_parses(arguments: list[str]) -> None:
    """Parse a command line as the CLI would, options and values checked, without running it."""
    command_name, *rest = arguments  # the units give no option before the command's name
    with click.Context(cli, info_name="oct8ne-adapter") as context:
        command = cli.get_command(context, command_name)
        assert command is not None, f"no command {command_name!r}"
        command.make_context(command_name, rest, parent=context).close()


def test_a_bad_command_line_does_not_parse() -> None:
    with pytest.raises(click.BadParameter):
        assert_parses(["serve", "--port", "99999"])
    with pytest.raises(click.NoSuchOption):
        assert_parses(["relay-worker", "--bind", "x"])
