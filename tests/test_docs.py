"""The documentation (issue 22): a short README, a MkDocs site that builds, links that resolve,
and a configuration reference that is what the settings make of config.example.toml.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from markdown.extensions.toc import slugify

from oct8ne_adapter.errors import ConfigError
from oct8ne_adapter.settings import config_keys
from oct8ne_adapter.settings.reference import key_descriptions, render

REPO_ROOT = Path(__file__).resolve().parent.parent
DOCS = REPO_ROOT / "docs"
EXAMPLE = (REPO_ROOT / "config.example.toml").read_text()
PAGES = sorted(DOCS.glob("*.md"))
LINKED_FILES = [REPO_ROOT / "README.md", REPO_ROOT / "CHANGELOG.md", *PAGES]
#: `[text](target)` outside code, and `<https://...>` autolinks.
MARKDOWN_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)|<(https?://[^>\s]+)>")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")


def links(path: Path) -> list[str]:
    """The link targets of a Markdown file, code blocks and code spans left out."""
    text = INLINE_CODE.sub("", FENCE.sub("", path.read_text()))
    return [inline or auto for inline, auto in MARKDOWN_LINK.findall(text)]


def anchors(path: Path) -> set[str]:
    """The ids MkDocs gives the headings of a Markdown file."""
    text = FENCE.sub("", path.read_text())
    return {slugify(title.strip(), "-") for title in re.findall(r"^#+ (.+)$", text, re.MULTILINE)}


def test_the_readme_is_a_front_page() -> None:
    assert len((REPO_ROOT / "README.md").read_text().splitlines()) < 150


@pytest.mark.parametrize("path", LINKED_FILES, ids=lambda path: path.name)
def test_every_link_resolves(path: Path) -> None:
    found = links(path)
    for target in found:
        parts = urlsplit(target)
        if parts.scheme in {"http", "https"}:
            # No network here: a web link must at least be a whole URL.
            assert parts.netloc and "." in parts.netloc, f"{path.name}: {target}"
            continue
        assert not parts.scheme, f"{path.name}: {target} (only http(s) or relative links)"
        linked = (path.parent / unquote(parts.path)).resolve() if parts.path else path
        assert linked.is_file(), f"{path.name}: {target} points at nothing"
        if parts.fragment:
            assert linked.suffix == ".md", f"{path.name}: {target}"
            assert parts.fragment in anchors(linked), f"{path.name}: no heading for {target}"


def test_the_link_check_sees_links() -> None:
    # A check that found no link would pass on anything.
    assert "docs/running.md" in links(REPO_ROOT / "README.md")
    assert "#vendor-sinks" in links(DOCS / "events.md")
    assert "vendor-sinks" in anchors(DOCS / "events.md")


def test_every_page_is_in_the_site_navigation() -> None:
    config = yaml.safe_load((REPO_ROOT / "mkdocs.yml").read_text())
    in_nav = sorted(page for entry in config["nav"] for page in entry.values())
    assert in_nav == sorted(page.name for page in PAGES)


def test_the_configuration_reference_is_generated_from_the_settings() -> None:
    page = (DOCS / "configuration.md").read_text()
    assert page == render(EXAMPLE), (
        "docs/configuration.md is stale: run "
        "`python -m oct8ne_adapter.settings.reference config.example.toml > docs/configuration.md`"
    )
    for key in config_keys():
        assert f"| `{key}` |" in page


def test_a_key_missing_from_the_example_stops_the_generator() -> None:
    without = EXAMPLE.replace("related_limit = 10\n", "")
    with pytest.raises(ConfigError, match="related_limit is not described"):
        render(without)


def test_descriptions_come_from_the_comment_above_a_key_or_its_group() -> None:
    descriptions = key_descriptions(EXAMPLE)
    assert descriptions["related_limit"] == "How many products productRelated returns."
    assert descriptions["max_page_size"] == descriptions["default_page_size"]
    assert descriptions["ratelimits"].startswith("Limits of single public methods")
    assert descriptions["event_sinks"].startswith("Vendors that recorded commerce events")


def test_mkdocs_builds_the_site_strictly(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "configuration" / "index.html").is_file()
