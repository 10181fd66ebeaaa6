"""Real-browser test of the app view: Voila serves app/, Chromium opens the playground page and it answers a click.

Voila runs on 127.0.0.1 (free port, random token, throw-away Jupyter folders) with ``tiny-random``; the page must
show the text and the widget but none of the code.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright Python package (pip install playwright)")
pytest.importorskip("voila", reason='needs voila (pip install "rerankkit[app]")')
from page_checks import page_problems  # noqa: E402 (after the skips: it is only for pages in a browser)

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
PAGE = "1_scoring_playground.ipynb"
# Without the background-networking flags an offline Chromium keeps retrying refused connections.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-default-apps", "--disable-extensions"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK),
                       reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(proc: subprocess.Popen, url: str, log: Path, deadline_s: float = 120) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"voila exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise AssertionError(f"voila did not answer within {deadline_s} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def voila(tmp_path):
    """Voila on app/; yields (base url, token); its process group is ended by id afterwards."""
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    env.update(
        RERANKKIT_MODEL="tiny-random",
        HF_HUB_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
        PYTHONPATH=os.pathsep.join(p for p in [str(ROOT), env.get("PYTHONPATH", "")] if p),
        JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
    )
    env.pop("MPLBACKEND", None)
    log = tmp_path / "voila.log"
    command = [sys.executable, "-m", "voila", str(ROOT / "app"), "--no-browser", "--Voila.ip=127.0.0.1",
               f"--port={port}", f"--token={token}"]
    with log.open("w") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(proc, f"{base}/?token={token}", log)
        yield base, token
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)  # voila and its kernels: the group it leads
                proc.wait(timeout=15)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
    assert proc.poll() is not None, "voila is still running"


def test_playground_page_answers_a_click(voila, tiny):
    base, token = voila
    query = "Which city is the capital of France?"
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
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
