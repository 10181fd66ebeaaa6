"""Real-browser test: JupyterLab in Debian's Chromium runs notebook 01 and the playground answers a click.

It starts ``jupyter lab`` on 127.0.0.1 (free port, random token, throw-away settings and runtime
folders) on a copy of ``notebooks/``, so the committed notebooks are never saved with outputs.
A screenshot of the playground goes to ``artifacts/`` (or ``$RERANKKIT_ARTIFACTS``).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
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

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
NOTEBOOK = "01_single_scoring.ipynb"
# The test types the first of these whose tiny-random scores fall on both sides of the 0.5 threshold
# (random weights decide the colours; the test picks a query that shows both, then checks every card).
QUERIES = [
    "Which city is the capital of France?",
    "What is the capital of France?",
    "Where is the Eiffel Tower?",
    "Which river flows through Paris?",
    "What is the largest museum in the world?",
    "Tell me about French food.",
    "How many people live in France?",
    "capital",
]
# Without the background-networking flags an offline Chromium keeps retrying refused connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
]
PASS_RGB = "rgb(46, 125, 50)"  # rerankkit.display.cards.PASS_COLOUR
FAIL_RGB = "rgb(198, 40, 40)"  # rerankkit.display.cards.FAIL_COLOUR

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK),
                       reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, timeout: float = 5.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _wait_for_server(proc: subprocess.Popen, url: str, log: Path, deadline_s: float = 120) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"jupyter lab exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if _get(url, timeout=2) == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"jupyter lab did not answer within {deadline_s} s:\n{log.read_text()[-3000:]}")


def _stop_server(proc: subprocess.Popen, base: str, token: str) -> None:
    """Ask the server to shut down (it stops its kernels), then end its process group by id."""
    if proc.poll() is None:
        request = urllib.request.Request(f"{base}/api/shutdown", method="POST",
                                         headers={"Authorization": f"token {token}"})
        try:
            urllib.request.urlopen(request, timeout=5).close()
            proc.wait(timeout=15)
        except (OSError, subprocess.TimeoutExpired):
            pass
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)  # the server was started as the leader of its own group
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            continue


def _artifacts() -> Path:
    folder = Path(os.environ.get("RERANKKIT_ARTIFACTS") or ROOT / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server on a copy of notebooks/; yields (base url, token); stopped by pid afterwards."""
    workdir = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", workdir, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    env.update(
        RERANKKIT_MODEL="tiny-random",
        HF_HUB_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
        PYTHONPATH=os.pathsep.join(p for p in [str(ROOT), env.get("PYTHONPATH", "")] if p),
        JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "lab-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "lab-workspaces"),
    )
    env.pop("MPLBACKEND", None)  # the kernel picks the inline backend, as for a reader
    # Settings a reader would click through: no "official Jupyter news?" prompt (the machine may be
    # offline) and no "Select Kernel" dialog (start the notebook's own kernel).
    settings = {
        "apputils-extension/notification": {"fetchNews": "false"},
        "notebook-extension/tracker": {"autoStartDefaultKernel": True},
    }
    for name, values in settings.items():
        path = tmp_path / "lab-settings" / "@jupyterlab" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    log = tmp_path / "jupyter.log"
    command = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={workdir}",
        "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]
    if os.geteuid() == 0:  # CI containers run as root; Jupyter refuses without this flag
        command.append("--allow-root")
    with log.open("w") as out:
        proc = subprocess.Popen(command, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for_server(proc, f"{base}/api/status?token={token}", log)
        yield base, token
    finally:
        _stop_server(proc, base, token)
    assert proc.poll() is not None, "the jupyter lab server is still running"
    committed = json.loads((ROOT / "notebooks" / NOTEBOOK).read_text())
    assert not any(cell.get("outputs") for cell in committed["cells"]), "the committed notebook gained outputs"


def _query_with_both_colours(tiny, passages: list[str], shown: str) -> tuple[str, int]:
    """A query (not the one shown) whose scores on these passages straddle 0.5, and how many pass."""
    for query in QUERIES:
        if query == shown:
            continue
        n_pass = int((tiny.score(query, passages, normalize=True) >= 0.5).sum())
        if 0 < n_pass < len(passages):
            return query, n_pass
    raise AssertionError(f"none of {QUERIES} gives both colours on tiny-random; add a query to QUERIES")


def test_playground_in_jupyterlab(lab, tiny):
    base, token = lab
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 1500})
            page.set_default_timeout(60_000)
            try:
                page.goto(f"{base}/lab/tree/{NOTEBOOK}?token={token}")
                page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
                # Run All only runs once the kernel is connected: the status bar then reads "... | Idle".
                page.locator(".jp-StatusBar-Widget", has_text="| Idle").first.wait_for(timeout=120_000)

                page.get_by_role("menuitem", name="Run", exact=True).click()
                page.get_by_role("menuitem", name="Run All Cells", exact=True).click()

                rerank = page.locator("button.widget-button", has_text="Rerank")
                rerank.wait_for(state="visible", timeout=240_000)
                playground = page.locator(".jp-OutputArea-output").filter(has=rerank)
                # The last code cell presses Rerank from Python and prints the counts: then all cells have run.
                page.locator(".jp-OutputArea-output", has_text="model calls: 1").wait_for(timeout=240_000)
                assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'] "
                                    ":text('Traceback')").count() == 0

                passages = playground.locator("textarea").input_value().splitlines()
                query_box = playground.locator(".widget-text", has=page.locator("label", has_text="Query")).locator("input")
                query, expected_pass = _query_with_both_colours(tiny, passages, shown=query_box.input_value())
                query_box.fill(query)
                rerank.click()
                # A new query means a second model call (the notebook's own click was the first).
                playground.locator(".rk-status", has_text="model calls 2").wait_for(timeout=60_000)
                assert playground.locator(".rk-head", has_text=query).is_visible()

                cards = playground.locator(".rk-card")
                n_pass = playground.locator(".rk-card[data-passes='true']").count()
                n_fail = playground.locator(".rk-card[data-passes='false']").count()
                colours = {c.evaluate("e => getComputedStyle(e).borderLeftColor") for c in cards.all()}
                playground.locator(".rk-badge").scroll_into_view_if_needed()
                shot = _artifacts() / "playground-01_single_scoring.png"
                page.screenshot(path=str(shot))

                assert cards.count() == len(passages) > 1
                assert (n_pass, n_fail) == (expected_pass, len(passages) - expected_pass)
                assert n_pass > 0 and n_fail > 0
                assert colours == {PASS_RGB, FAIL_RGB}
                assert playground.locator(".rk-banner", has_text="Random weights").count() >= 1
                assert not rerank.is_disabled()
                assert shot.stat().st_size > 10_000
            except Exception:
                page.screenshot(path=str(_artifacts() / "browser-failure.png"))  # what the browser showed
                raise
        finally:
            browser.close()
