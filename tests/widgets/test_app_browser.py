"""The app view: Voila serves app/ and runs each page once; Chromium opens the playground and it answers a click.

Voila runs on 127.0.0.1 (free port, random token, throw-away Jupyter folders, tracebacks shown) with ``tiny-random``
for the whole module. Every page is asked for over HTTP: Voila runs its notebook on the server and the page must
hold no error (this is the app notebooks' only run in the suite). The playground page must then show the text and
the widget but none of the code, and answer a click in Chromium.
"""

from __future__ import annotations

import html
import re
import secrets
import sys
import urllib.request

import pytest
from chromium import NEEDS_CHROMIUM, ROOT, free_port, launch, server_env, start_server, stop_server, wait_for_server
from page_checks import page_problems

pytest.importorskip("voila", reason='needs voila (pip install "rerankkit[app]")')

PAGES = sorted(p.name for p in (ROOT / "app").glob("*.ipynb"))
PAGE = "1_scoring_playground.ipynb"
# What Voila puts in a page whose notebook failed: the kernel's traceback (--show_tracebacks), or its time-out note.
FAILED = re.compile(r"Traceback \(most recent call last\)|There was an error when executing cell|Cell execution timed out")


def on_voila(test):
    """The marks of a test of the module's one Voila: slow, on the browser tests' worker (whose pages it serves)."""
    return pytest.mark.slow(pytest.mark.xdist_group("browser")(test))


@pytest.fixture(scope="module")
def voila(tmp_path_factory):
    """Voila on app/; yields (base url, token); its process group is ended by id afterwards."""
    tmp_path = tmp_path_factory.mktemp("voila")
    port, token = free_port(), secrets.token_hex(16)
    env = server_env(tmp_path, RERANKKIT_MODEL="tiny-random")
    log = tmp_path / "voila.log"
    command = [sys.executable, "-m", "voila", str(ROOT / "app"), "--no-browser", "--Voila.ip=127.0.0.1",
               f"--port={port}", f"--token={token}", "--show_tracebacks=True"]
    proc = start_server(command, cwd=ROOT, env=env, log=log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_server(proc, f"{base}/?token={token}", log, name="voila")
        yield base, token
    finally:
        stop_server(proc)  # voila and its kernels: the group it leads
    assert proc.poll() is not None, "voila is still running"


def page_text(page_html: str) -> str:
    """The text of a served page, without its tags (Voila colours a traceback span by span)."""
    return html.unescape(re.sub(r"<[^>]+>", "", page_html))


def test_page_text_finds_a_traceback_split_into_coloured_spans():
    served = '<pre><span class="ansi-red-fg">ValueError</span>  Traceback (most recent call last)</pre>'
    assert FAILED.search(page_text(served)) and not FAILED.search(page_text("<p>Rerank &amp; read</p>"))


@on_voila
@pytest.mark.parametrize("name", PAGES)
def test_every_app_page_runs_in_voila_without_an_error(voila, name):
    base, token = voila
    # The home page's listing is drawn by a script bundle, so each page is asked for directly: Voila runs its
    # notebook on the server, top to bottom, before the page is complete.
    with urllib.request.urlopen(f"{base}/voila/render/{name}?token={token}", timeout=300) as response:
        assert response.status == 200
        text = page_text(response.read().decode("utf-8"))
    failed = FAILED.search(text)
    assert failed is None, f"{name} failed in Voila:\n{text[max(0, failed.start() - 1500):failed.end() + 1500]}"


@on_voila
@pytest.mark.browser
@NEEDS_CHROMIUM
def test_playground_page_answers_a_click(voila, tiny):
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="needs the playwright Python package (pip install playwright)")
    base, token = voila
    query = "Which city is the capital of France?"
    with sync_api.sync_playwright() as pw:
        browser = launch(pw)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 1400})
            page.set_default_timeout(60_000)
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
