"""The static site as a newcomer meets it, in a real browser (Chromium through Playwright): the sidebar
holds only its links, and a site opened as a file says why nothing loads and what to do."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from folder_tools import copy_models
from web_tools import GuardedPage, static_server

from gatenet.cli import cli

# The sidebar's direct text: a `null` given to replaceChildren shows as the word "null".
STRAY_TEXT = (
    "[...document.getElementById('model-list').childNodes].filter(n => n.nodeType === 3).map(n => n.data)"
)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("site")
    folder = copy_models(root / "models", ["XOR", "AND"])
    result = CliRunner().invoke(cli, ["site", "--dir", str(folder), "--out", str(root / "site")])
    assert result.exit_code == 0, result.output
    return root / "site"


def test_the_static_site_s_sidebar_holds_only_its_links(browser, site):
    with static_server(site) as url:
        guarded = GuardedPage(browser, url)
        try:
            guarded.page.goto(f"{url}/#xor")
            guarded.page.wait_for_selector("a.model-link")
            assert guarded.page.evaluate(STRAY_TEXT) == []
            assert "null" not in guarded.page.inner_text("#nav")
            assert guarded.errors == [] and guarded.foreign == []
        finally:
            guarded.close()


def test_a_site_opened_as_a_file_says_to_serve_it_over_http(browser, site):
    page = browser.new_page()
    try:
        page.goto((site / "index.html").as_uri())
        alert = page.wait_for_selector("#view [role=alert]", timeout=5000)
        text = alert.inner_text()
        assert "opened as a file" in text and "python -m http.server" in text and "gatenet serve" in text
        assert "Loading" not in page.inner_text("#view")
    finally:
        page.close()
