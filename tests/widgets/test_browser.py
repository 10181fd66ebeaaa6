"""Real-browser tests: JupyterLab in Debian's Chromium runs the notebooks as a reader would.

``test_playground_in_jupyterlab`` runs notebook 01 and checks the playground's colours after a click.
``test_every_notebook_in_jupyterlab`` runs every notebook (Run All), then fails on any traceback, any
"Error displaying widget", any unstyled banner or more than one banner outside the widgets, and drives each
widget once (a click and an assertion on what it shows).

They start ``jupyter lab`` on 127.0.0.1 (free port, random token, throw-away settings and runtime
folders) on a copy of ``notebooks/``, so the committed notebooks are never saved with outputs.
Screenshots go to ``artifacts/`` (or ``$RERANKKIT_ARTIFACTS``).
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
from page_checks import page_problems  # noqa: E402 (after the skip: it is only for pages in a browser)

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
        # Every cell stays in the page, so the test can read every prompt and output.
        "notebook-extension/tracker": {"autoStartDefaultKernel": True, "windowingMode": "none"},
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
                # No pass/fail colours until the reader chooses a cut-off; then a threshold (0.5) colours them.
                assert playground.locator(".rk-card[data-passes='unset']").count() == len(passages)
                playground.get_by_role("button", name="threshold", exact=True).click()
                playground.locator(".rk-status", has_text="kept").wait_for(timeout=60_000)

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


NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
BANNER_RGB = "rgb(255, 243, 205)"  # rerankkit.display.style: the banner's background
# The state of the open notebook: prompts of the code cells, whether an output shows a traceback, the banners.
_STATE_JS = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  if (!panel) return null;
  const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')].map(e => e.textContent.trim());
  const outputs = [...panel.querySelectorAll('.jp-OutputArea-output')];
  const tracebacks = outputs.filter(o => /Traceback \\(most recent call last\\)/.test(o.innerText))
                            .map(o => o.innerText.slice(-1500));
  const stderr = [...panel.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
                   .map(o => o.innerText.slice(0, 300));
  const banners = [...panel.querySelectorAll('.rk-banner')].map(b => ({
      background: getComputedStyle(b).backgroundColor,
      inWidget: b.closest('.jupyter-widgets, .widget-box, .lm-Widget.jupyter-widget-HTML') !== null,
      text: b.innerText.slice(0, 80)}));
  const widgetErrors = outputs.map(o => o.innerText).filter(t => t.includes('Error displaying widget'))
                              .map(t => t.slice(0, 200));
  return {prompts, tracebacks, stderr, banners, widgetErrors};
}"""


def _wait_until_run(page, name: str, timeout_s: float = 240) -> dict:
    """Wait until Run All has finished (every prompt numbered) or stopped at an error; the final state."""
    deadline = time.monotonic() + timeout_s
    state: dict = {}
    seen_errors: set[str] = set()
    while time.monotonic() < deadline:
        state = page.evaluate(_STATE_JS) or {}
        seen_errors.update(state.get("widgetErrors", []))  # during the run, not only at the end
        prompts = state.get("prompts", [])
        idle = page.locator(".jp-StatusBar-Widget", has_text="| Idle").count() > 0
        finished = prompts and all(p[1:-2].isdigit() for p in prompts)
        if state.get("tracebacks") or (idle and finished):
            state["widgetErrors"] = sorted(seen_errors)
            return state
        time.sleep(0.5)
    raise AssertionError(f"{name}: Run All did not finish within {timeout_s:.0f} s; prompts {state.get('prompts')}")


def _widget(page, text: str):
    """The output area holding the widget with a button labelled ``text``."""
    button = page.locator("button.widget-button", has_text=text).first
    button.wait_for(state="visible", timeout=30_000)
    return page.locator(".jp-OutputArea-output").filter(has=button).first, button


def _text_box(area, label: str):
    return area.locator(".widget-text", has=area.page.locator("label", has_text=label)).locator("input").first


def _drive_playground(page):
    area, rerank = _widget(page, "Rerank")
    box = _text_box(area, "max_length")
    box.fill("5")
    box.press("Enter")
    area.locator(".rk-notice", has_text="below the smallest allowed, 16").wait_for(timeout=30_000)
    assert box.input_value() == "16"
    rerank.click()
    area.locator(".rk-badge", has_text="max_length 16").wait_for(timeout=60_000)
    assert area.locator(".rk-card").count() > 1 and area.locator(".rk-error").count() == 0
    return area


def _drive_cross_lingual(page):
    area, score = _widget(page, "Score")
    score.click()
    area.locator(".rk-status", has_text="pairs scored").wait_for(timeout=60_000)
    assert area.locator("img").first.is_visible() and area.locator("tr[data-relevance]").count() > 0
    return area


def _drive_traps(page):
    area, button = _widget(page, "Re-score")
    area.locator("textarea").first.fill("A completely rewritten passage about something else entirely.")
    button.click()
    area.locator("b", has_text="edited").first.wait_for(timeout=60_000)
    assert area.locator(".rk-stages [data-role]").count() > 0 and area.locator(".rk-error").count() == 0
    return area


def _drive_dashboard(page):
    area, run = _widget(page, "Run benchmark")
    box = _text_box(area, "repeats")
    box.fill("500")
    box.press("Enter")
    area.locator(".rk-notice", has_text="above the largest allowed, 50").wait_for(timeout=30_000)
    box.fill("1")
    box.press("Enter")
    run.click()
    area.locator(".rk-status", has_text="cells ran").wait_for(timeout=120_000)
    # The notebook's own notice covers the dashboard's model: the page shows one (page_problems counts them).
    assert area.locator("table.rk-timing").is_visible() and area.locator(".rk-banner", has_text="Timing").count() <= 1
    return area


def _drive_explain(page):
    # The attention view above (bertviz) draws offline from the JavaScript shipped with rerankkit.
    attention = page.locator(".jp-OutputArea-output", has_text="A look inside").first
    if attention.count():
        page.wait_for_function("e => e.querySelectorAll('svg *').length > 0", arg=attention.element_handle(),
                               timeout=30_000)
    area, button = _widget(page, "Explain")
    area.locator(".widget-toggle-buttons button", has_text="occlusion").click()
    button.click()
    area.locator(".rk-status", has_text="words in").wait_for(timeout=120_000)
    assert area.locator(".rk-explain .rk-w").count() > 0 and area.locator(".rk-probes tr[data-edit]").count() == 6
    return area


def _drive_evaluation(page):
    area, run = _widget(page, "Run")
    run.click()
    area.locator(".rk-status", has_text="pairs scored").wait_for(timeout=120_000)
    return area


DRIVERS = {"01": _drive_playground, "03": _drive_cross_lingual, "04": _drive_traps, "05": _drive_dashboard,
           "06": _drive_explain, "07": _drive_evaluation}


def _shut_down_kernels(base: str, token: str) -> None:
    """Stop the notebook's kernel through the server's REST API, so the next notebook has the CPU to itself."""
    headers = {"Authorization": f"token {token}"}
    with urllib.request.urlopen(urllib.request.Request(f"{base}/api/kernels", headers=headers), timeout=10) as r:
        kernels = json.loads(r.read())
    for kernel in kernels:
        request = urllib.request.Request(f"{base}/api/kernels/{kernel['id']}", method="DELETE", headers=headers)
        urllib.request.urlopen(request, timeout=30).close()


@pytest.mark.slow
def test_every_notebook_in_jupyterlab(lab):
    base, token = lab
    problems: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            for name in NOTEBOOKS:
                stem = name.removesuffix(".ipynb")
                page = browser.new_page(viewport={"width": 1300, "height": 1400})
                page.set_default_timeout(60_000)
                try:
                    # A workspace of its own, reset: only this notebook is open (no tabs restored from before).
                    page.goto(f"{base}/lab/workspaces/nb{name[:2]}/tree/{name}?reset&token={token}")
                    page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell",
                                           timeout=120_000)
                    page.locator(".jp-StatusBar-Widget", has_text="| Idle").first.wait_for(timeout=120_000)
                    page.get_by_role("menuitem", name="Run", exact=True).click()
                    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
                    state = _wait_until_run(page, name)
                    page.screenshot(path=str(_artifacts() / f"{stem}-top.png"))
                    problems += [f"{name}: traceback:\n{t}" for t in state["tracebacks"]]
                    problems += [f"{name}: {e}" for e in state["widgetErrors"]]
                    problems += [f"{name}: progress bar or error on stderr: {e!r}" for e in state["stderr"]
                                 if "Traceback" in e or "%|" in e]
                    unstyled = [b["text"] for b in state["banners"] if b["background"] != BANNER_RGB]
                    problems += [f"{name}: unstyled banner: {t!r}" for t in unstyled]
                    loose = [b["text"] for b in state["banners"] if not b["inWidget"]]
                    if len(loose) > 1:
                        problems.append(f"{name}: {len(loose)} banners outside widgets (one notice per notebook)")
                    drive = DRIVERS.get(name[:2])
                    if drive is not None and not state["tracebacks"]:
                        area = drive(page)
                        area.scroll_into_view_if_needed()
                        area.screenshot(path=str(_artifacts() / f"{stem}-widget.png"))
                        width = area.evaluate("e => [e.scrollWidth, e.clientWidth]")
                        if width[0] > width[1] + 2:
                            problems.append(f"{name}: the widget is wider than its output area ({width})")
                        after = page.evaluate(_STATE_JS)
                        problems += [f"{name}: after the click: {e}" for e in after["widgetErrors"]]
                        problems += [f"{name}: unstyled banner after the click: {b['text']!r}"
                                     for b in after["banners"] if b["background"] != BANNER_RGB]
                    problems += page_problems(page, name)  # stderr, one notice per page, nothing too wide
                except Exception:
                    page.screenshot(path=str(_artifacts() / f"{stem}-failure.png"))
                    raise
                finally:
                    page.close()
                    _shut_down_kernels(base, token)
        finally:
            browser.close()
    assert not problems, "\n".join(problems)
