"""Real-browser test of the app view: Voila serves app/, Chromium opens the playground page and it answers a click.

Voila runs on 127.0.0.1 (free port, random token, throw-away Jupyter folders) with ``tiny-random``; the page must
show the text and the widget but none of the code.
"""

from __future__ import annotations

import secrets
import sys
import urllib.request

import pytest
from chromium import BROWSER_MARKS, ROOT, free_port, launch, server_env, start_server, stop_server, wait_for_server

sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright Python package (pip install playwright)")
pytest.importorskip("voila", reason='needs voila (pip install "rerankkit[app]")')
from page_checks import page_problems  # noqa: E402 (after the skips: it is only for pages in a browser)

PAGE = "1_scoring_playground.ipynb"

pytestmark = BROWSER_MARKS


@pytest.fixture
def voila(tmp_path):
    """Voila on app/; yields (base url, token); its process group is ended by id afterwards."""
    port, token = free_port(), secrets.token_hex(16)
    env = server_env(tmp_path, RERANKKIT_MODEL="tiny-random")
    log = tmp_path / "voila.log"
    command = [sys.executable, "-m", "voila", str(ROOT / "app"), "--no-browser", "--Voila.ip=127.0.0.1",
               f"--port={port}", f"--token={token}"]
    proc = start_server(command, cwd=ROOT, env=env, log=log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_server(proc, f"{base}/?token={token}", log, name="voila")
        yield base, token
    finally:
        stop_server(proc)  # voila and its kernels: the group it leads
    assert proc.poll() is not None, "voila is still running"


def test_playground_page_answers_a_click(voila, tiny):
    base, token = voila
    query = "Which city is the capital of France?"
    with sync_api.sync_playwright() as pw:
        browser = launch(pw)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 1400})
            page.set_default_timeout(60_000)
            # Every page is served (the home page's listing is drawn by a script bundle, so the pages are asked
            # for directly: each one runs its notebook on the server and answers 200).
            for name in sorted(p.name for p in (ROOT / "app").glob("*.ipynb")):
                with urllib.request.urlopen(f"{base}/voila/render/{name}?token={token}", timeout=300) as response:
                    assert response.status == 200, name
            page.goto(f"{base}/voila/render/{PAGE}?token={token}")
            rerank = page.locator("button.widget-button", has_text="Rerank")
            rerank.wait_for(state="visible", timeout=240_000)
            assert page.get_by_role("heading", name="Scoring playground").is_visible()
            assert "ScoringPlayground(" not in page.content()  # the code stays hidden

            passages = page.locator("textarea").input_value().splitlines()
            page.locator(".widget-text", has=page.locator("label", has_text="Query")).locator("input").fill(query)
            page.get_by_role("button", name="threshold", exact=True).click()  # no colours until a cut-off is chosen
            rerank.click()
            page.locator(".rk-status", has_text="model calls 1").wait_for(timeout=120_000)
            assert page.locator(".rk-head", has_text=query).is_visible()
            cards = page.locator(".rk-card")
            assert cards.count() == len(passages) == 4
            expected_pass = int((tiny.score(query, passages, normalize=True) >= 0.5).sum())
            assert page.locator(".rk-card[data-passes='true']").count() == expected_pass
            assert page.locator(".rk-banner", has_text="Random weights").count() >= 1
            assert page_problems(page, PAGE) == []  # stderr, one notice per page, nothing too wide
        finally:
            browser.close()
