"""The packages (issue 22): the sdist holds what the wheel needs, the wheel built from it installs.

CI builds both with `python -m build` (the wheel from the sdist) and runs `twine check` on them;
this test does the same in a temporary directory, once (about ten seconds), and also reads
CHANGELOG.md as Keep a Changelog writes it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BUILD_TIMEOUT = 300
PROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
VERSION = PROJECT["version"]
#: Files outside the packages that the sdist must carry (docs, deployment, tests, changelog).
SDIST_FILES = (
    "pyproject.toml",
    "README.md",
    "CHANGELOG.md",
    "config.example.toml",
    "wsgi.py",
    "mkdocs.yml",
    "docs/index.md",
    "docs/configuration.md",
    "docs/deployment.md",
    "deploy/nginx/oct8ne.conf",
    "tests/conftest.py",
    "tests/backends.py",
    "tests/fakes/vendor_server.py",
    "tests/examples_support.py",
    "examples/flask_own_schema/run.sh",
)
#: What a working tree holds that is no source: never copied into the tree the sdist is built from.
LEFTOVERS = (
    ".git",
    ".venv",
    "venv",
    "*.egg-info",
    "build",
    "dist",
    "site",
    "__pycache__",
    ".*_cache",
    "*.db",
)
#: Package data the wheel must carry: without it the installed adapter cannot start.
WHEEL_FILES = (
    "oct8ne_adapter/py.typed",
    "oct8ne_adapter/testing/contract.py",
    "oct8ne_adapter/migrations/env.py",
    "oct8ne_adapter/web/templates/oct8ne/widget.html",
    "oct8ne_adapter_demo/data/catalog.jsonl",
    "oct8ne_adapter_demo/templates/oct8ne_demo/index.html",
)


def run(command: list[str], cwd: Path) -> str:
    """Run a build step; its output, or a test failure showing the end of it."""
    result = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=BUILD_TIMEOUT, check=False
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    return result.stdout


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The sdist built from the tree, and the wheel built from that sdist's unpacked tree."""
    directory = tmp_path_factory.mktemp("packages")
    # From a copy without build leftovers: setuptools adds the files an old *.egg-info lists,
    # which would hide a file missing from MANIFEST.in (CI builds in a fresh clone).
    source = directory / "source"
    shutil.copytree(REPO_ROOT, source, ignore=shutil.ignore_patterns(*LEFTOVERS))
    run([sys.executable, "-m", "build", "--sdist", "--outdir", str(directory), "."], source)
    (sdist,) = directory.glob("oct8ne_adapter-*.tar.gz")
    with tarfile.open(sdist) as archive:
        archive.extractall(directory / "unpacked", filter="data")
    (tree,) = (directory / "unpacked").iterdir()
    run([sys.executable, "-m", "build", "--wheel", "--outdir", str(directory), "."], tree)
    (wheel,) = directory.glob("oct8ne_adapter-*.whl")
    return sdist, wheel


def test_the_sdist_holds_the_docs_deployment_and_tests(packages: tuple[Path, Path]) -> None:
    sdist, _ = packages
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert sdist.name == f"oct8ne_adapter-{VERSION}.tar.gz"
    missing = [name for name in SDIST_FILES if name not in names]
    assert not missing
    assert not [name for name in names if "__pycache__" in name or name.endswith((".pyc", ".db"))]
    assert not [name for name in names if name.startswith("bench/")]


def test_the_wheel_built_from_the_sdist_has_the_package_data(packages: tuple[Path, Path]) -> None:
    _, wheel = packages
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(f"oct8ne_adapter-{VERSION}.dist-info/METADATA").decode()
    assert not [name for name in WHEEL_FILES if name not in names]
    assert not [name for name in names if name.startswith(("tests/", "docs/", "deploy/"))]
    assert f"Version: {VERSION}" in metadata
    assert "# oct8ne-adapter" in metadata  # the README is the long description


def test_twine_accepts_both_packages(packages: tuple[Path, Path]) -> None:
    output = run([str(BIN / "twine"), "check", "--strict", *map(str, packages)], REPO_ROOT)
    assert output.count("PASSED") == 2


def test_the_wheel_installs_and_its_adapter_starts(
    packages: tuple[Path, Path], tmp_path: Path
) -> None:
    _, wheel = packages
    target = tmp_path / "site"
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        tmp_path,
    )
    # The installed copy, not the source tree, answers: its migrations and templates are found.
    probe = (
        "import oct8ne_adapter, oct8ne_adapter_demo, sys\n"
        "from oct8ne_adapter.cli.demo import configured_app\n"
        "app = configured_app({'OCT8NE_DATABASE_URL': 'sqlite://', 'OCT8NE_DEMO': True})\n"
        "print(oct8ne_adapter.__file__)\n"
        "print(app.test_client().get('/oct8ne/frame/getAdapterInfo').get_json()['apiVersion'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": str(BIN)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    location, api_version = result.stdout.split()
    assert Path(location).is_relative_to(target)
    assert api_version == "2.4"


def test_the_changelog_is_keep_a_changelog() -> None:
    text = (REPO_ROOT / "CHANGELOG.md").read_text()
    assert text.startswith("# Changelog\n")
    assert "https://keepachangelog.com/en/1.1.0/" in text
    releases = re.findall(r"^## (.+)$", text, flags=re.MULTILINE)
    assert releases and releases[0] == "[Unreleased]"
    for release in releases[1:]:
        assert re.fullmatch(r"\[\d+\.\d+\.\d+\] - \d{4}-\d{2}-\d{2}", release), release
    kinds = set(re.findall(r"^### (.+)$", text, flags=re.MULTILINE))
    assert kinds <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
    released = [release for release in releases if release.startswith(f"[{VERSION}]")]
    # The version in pyproject.toml is either released (and listed) or still to come.
    assert released or f"{VERSION}" in text.split("## [Unreleased]", 1)[1].split("\n## ")[0]
