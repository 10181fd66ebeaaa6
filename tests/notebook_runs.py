"""One run of each numbered notebook, checked twice: its kernel outputs and, where Chromium is here, its page.

The numbered notebooks are the suite's slowest tests. Each is run once per session, by :class:`NotebookRuns`
(the session fixture ``notebook_runs`` in tests/conftest.py):

- with Chromium and playwright: in JupyterLab (one server for the session, on a throw-away copy), Run All as a
  reader would, then the notebook's widget is driven once (a click and what it shows). The notebook's outputs are
  read from JupyterLab's own document model right after Run All, so
  tests/notebooks/test_notebook_fallback.py checks the same kernel outputs nbclient would have produced, and
  tests/widgets/test_browser.py checks what the page showed;
- without them: by nbclient, and only the kernel outputs are checked (the browser tests skip and say why).

Either way the kernel runs with the reader's defaults: ``RERANKKIT_MODEL`` and ``RERANKKIT_ENCODER`` unset (so
each notebook falls back to tiny-random and says so), offline, from a folder holding only that notebook; only
notebook 09's job is smaller (``SCALE_PAIRS=500``).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
import time
import traceback
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import chromium
import nbformat
import page_checks

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

# The state of the open notebook: prompts of the code cells, whether an output shows a traceback, the banners.
STATE_JS = """() => {
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
# What the wait for Run All reads every half second: textContent only (innerText would lay out the whole page on
# each poll, work the kernel's core then shares with the renderer).
POLL_JS = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  if (!panel) return null;
  const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')].map(e => e.textContent.trim());
  const texts = [...panel.querySelectorAll('.jp-OutputArea-output')].map(o => o.textContent);
  const idle = [...document.querySelectorAll('.jp-StatusBar-Widget')].some(e => e.textContent.includes('| Idle'));
  return {prompts, idle, failed: texts.some(t => t.includes('Traceback (most recent call last)')),
          widgetErrors: texts.filter(t => t.includes('Error displaying widget')).map(t => t.slice(0, 200))};
}"""
# The notebook as JupyterLab holds it (nbformat JSON, outputs included); needs --LabApp.expose_app_in_browser.
NOTEBOOK_JS = """() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  return panel && panel.context ? JSON.stringify(panel.context.model.toJSON()) : null;
}"""
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


@dataclass
class NotebookRun:
    """What one run of a notebook left: its outputs, and in the browser what the page showed."""

    name: str
    notebook: Any = None  # nbformat NotebookNode with outputs, right after the run
    error: str | None = None  # the run itself failed (the notebook's outputs may be missing)
    in_browser: bool = False
    state: dict = field(default_factory=dict)  # STATE_JS right after Run All
    after: dict | None = None  # STATE_JS after the widget was driven
    widget_width: list[int] | None = None  # [scrollWidth, clientWidth] of the driven widget's output area
    drive_error: str | None = None  # driving the widget failed
    playground: dict | None = None  # notebook 01: what the playground showed for a query of both colours
    page_problems: list[str] = field(default_factory=list)  # page_checks: stderr, one notice per page, widths

    def outputs(self):
        """The executed notebook; fails with the run's error when there is none."""
        if self.notebook is None:
            raise AssertionError(f"{self.name} did not run:\n{self.error}")
        return self.notebook


def _text_box(area, label: str):
    return area.locator(".widget-text", has=area.page.locator("label", has_text=label)).locator("input").first


def _widget(page, text: str):
    """The output area holding the widget with a button labelled ``text``."""
    button = page.locator("button.widget-button", has_text=text).first
    button.wait_for(state="visible", timeout=30_000)
    return page.locator(".jp-OutputArea-output").filter(has=button).first, button


def query_with_both_colours(tiny, passages: list[str], shown: str) -> tuple[str, int]:
    """A query (not the one shown) whose scores on these passages straddle 0.5, and how many pass."""
    for query in QUERIES:
        if query == shown:
            continue
        n_pass = int((tiny.score(query, passages, normalize=True) >= 0.5).sum())
        if 0 < n_pass < len(passages):
            return query, n_pass
    raise AssertionError(f"none of {QUERIES} gives both colours on tiny-random; add a query to QUERIES")


def _drive_playground(page, run: NotebookRun, tiny):
    """Notebook 01's playground: a query of both colours, then a max_length below the allowed range."""
    area, rerank = _widget(page, "Rerank")
    stderr_tracebacks = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'] "
                                     ":text('Traceback')").count()
    passages = area.locator("textarea").input_value().splitlines()
    query_box = _text_box(area, "Query")
    query, expected_pass = query_with_both_colours(tiny, passages, shown=query_box.input_value())
    query_box.fill(query)
    rerank.click()
    # A new query means a second model call (the notebook's own click was the first).
    area.locator(".rk-status", has_text="model calls 2").wait_for(timeout=60_000)
    # No pass/fail colours until the reader chooses a cut-off; then a threshold (0.5) colours them.
    n_unset = area.locator(".rk-card[data-passes='unset']").count()
    area.get_by_role("button", name="threshold", exact=True).click()
    area.locator(".rk-status", has_text="kept").wait_for(timeout=60_000)
    cards = area.locator(".rk-card")
    seen = dict(
        n_unset_before=n_unset, stderr_tracebacks=stderr_tracebacks, passages=passages, query=query, expected_pass=expected_pass,
        head_visible=area.locator(".rk-head", has_text=query).is_visible(), n_cards=cards.count(),
        n_pass=area.locator(".rk-card[data-passes='true']").count(),
        n_fail=area.locator(".rk-card[data-passes='false']").count(),
        colours={c.evaluate("e => getComputedStyle(e).borderLeftColor") for c in cards.all()},
        # One notice per page: the notebook's banner at the top, and the widget points to it (or carries its own).
        random_banners=page.locator(".rk-banner", has_text="Random weights").count(),
        widget_labelled=area.locator(".rk-banner, .rk-notice-pointer").count(),
        rerank_disabled=rerank.is_disabled(),
    )
    area.locator(".rk-badge").scroll_into_view_if_needed()
    shot = chromium.artifacts() / "playground-01_single_scoring.png"
    page.screenshot(path=str(shot))
    seen["screenshot_bytes"] = shot.stat().st_size
    run.playground = seen

    box = _text_box(area, "max_length")
    box.fill("5")
    box.press("Enter")
    area.locator(".rk-notice", has_text="below the smallest allowed, 16").wait_for(timeout=30_000)
    assert box.input_value() == "16"
    rerank.click()
    area.locator(".rk-badge", has_text="max_length 16").wait_for(timeout=60_000)
    assert area.locator(".rk-card").count() > 1 and area.locator(".rk-error").count() == 0
    return area


def _drive_cross_lingual(page, run, tiny):
    area, score = _widget(page, "Score")
    score.click()
    area.locator(".rk-status", has_text="pairs scored").wait_for(timeout=60_000)
    assert area.locator("img").first.is_visible() and area.locator("tr[data-relevance]").count() > 0
    return area


def _drive_traps(page, run, tiny):
    area, button = _widget(page, "Re-score")
    area.locator("textarea").first.fill("A completely rewritten passage about something else entirely.")
    button.click()
    area.locator("b", has_text="edited").first.wait_for(timeout=60_000)
    assert area.locator(".rk-stages [data-role]").count() > 0 and area.locator(".rk-error").count() == 0
    return area


def _drive_dashboard(page, run, tiny):
    area, run_button = _widget(page, "Run benchmark")
    box = _text_box(area, "repeats")
    box.fill("500")
    box.press("Enter")
    area.locator(".rk-notice", has_text="above the largest allowed, 50").wait_for(timeout=30_000)
    box.fill("1")
    box.press("Enter")
    run_button.click()
    area.locator(".rk-status", has_text="cells ran").wait_for(timeout=120_000)
    # The notebook's own notice covers the dashboard's model: the page shows one (page_checks counts them).
    assert area.locator("table.rk-timing").is_visible() and area.locator(".rk-banner", has_text="Timing").count() <= 1
    return area


def _drive_explain(page, run, tiny):
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


def _drive_evaluation(page, run, tiny):
    area, run_button = _widget(page, "Run")
    run_button.click()
    area.locator(".rk-status", has_text="pairs scored").wait_for(timeout=120_000)
    return area


# One drive per notebook with a widget: a click and an assertion on what it shows.
DRIVERS = {"01": _drive_playground, "10": _drive_cross_lingual, "04": _drive_traps, "05": _drive_dashboard,
           "06": _drive_explain, "07": _drive_evaluation}


def kernel_env(base: dict[str, str]) -> dict[str, str]:
    """The reader's defaults: no model or encoder chosen (tiny-random instead where the real weights are cached)."""
    from rerankkit.errors import ModelUnavailableError
    from rerankkit.models import DEFAULT_MODEL
    from rerankkit.models.hub import fetch_model

    env = dict(base)
    env["HF_HUB_OFFLINE"] = "1"
    env.pop("RERANKKIT_MODEL", None)
    env.pop("RERANKKIT_ENCODER", None)
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(ROOT), base.get("PYTHONPATH", "")] if p)
    # Notebook 09's job size, its documented knob: 500 pairs run every cell as 2,000 do, in a quarter of the time.
    env.setdefault("SCALE_PAIRS", "500")
    try:
        fetch_model(DEFAULT_MODEL, download=False)
        env["RERANKKIT_MODEL"] = "tiny-random"  # the weights are here: run the notebooks on tiny-random all the same
    except ModelUnavailableError:
        pass
    return env


def falls_back(env: dict[str, str]) -> bool:
    """Whether a notebook run with ``env`` loads the default model, fails offline and says so."""
    return "RERANKKIT_MODEL" not in env


class NotebookRuns:
    """Runs each numbered notebook once, on first request, in JupyterLab if it can, else with nbclient."""

    def __init__(self, workdir: Path, tiny) -> None:
        self.workdir = workdir
        self.tiny = tiny
        self.use_browser = chromium.chromium_available()
        self.env = kernel_env(dict(os.environ))
        self._runs: dict[str, NotebookRun] = {}
        self._lab: _Lab | None = None
        # Playwright's sync API marks an asyncio loop as running in the thread that started it, for as long as it
        # lives: kept in the test's own thread, every later sync-over-async call there (Ray Serve handles, another
        # sync_playwright) would refuse to run. The session's JupyterLab and Chromium live in a thread of their own.
        self._lab_thread: ThreadPoolExecutor | None = None

    def __getitem__(self, name: str) -> NotebookRun:
        if name not in self._runs:
            self._runs[name] = self._run_in_lab(name) if self.use_browser else self._run_with_nbclient(name)
        return self._runs[name]

    def close(self) -> None:
        if self._lab_thread is None:
            return
        try:
            if self._lab is not None:
                self._lab_thread.submit(self._lab.close).result()
        finally:
            self._lab = None
            self._lab_thread.shutdown()
            self._lab_thread = None

    def _folder(self, name: str) -> Path:
        """A folder holding only a copy of the notebook: nothing may depend on the working directory."""
        folder = self.workdir / "notebooks" / name.removesuffix(".ipynb")
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "notebooks" / name, folder / name)
        return folder

    def _run_with_nbclient(self, name: str) -> NotebookRun:
        import nbclient

        run = NotebookRun(name)
        nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(self.env)  # the kernel inherits this process's environment
        try:
            nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                    resources={"metadata": {"path": str(self._folder(name))}}).execute()
            run.notebook = nb
        except Exception:
            run.error = traceback.format_exc()
            run.notebook = nb if any(c.get("outputs") for c in nb.cells) else None
        finally:
            os.environ.clear()
            os.environ.update(saved)
        return run

    def _run_in_lab(self, name: str) -> NotebookRun:
        if self._lab_thread is None:
            self._lab_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jupyterlab")
        return self._lab_thread.submit(self._run_in_lab_thread, name).result()

    def _run_in_lab_thread(self, name: str) -> NotebookRun:
        if self._lab is None:
            self._lab = _Lab(self.workdir, self.env)
        return self._lab.run(name, self._folder(name), self.tiny)


class _Lab:
    """One JupyterLab server and one Chromium for the session."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        from playwright import sync_api

        self.root = workdir / "notebooks"
        self.root.mkdir(parents=True, exist_ok=True)
        jupyter = workdir / "jupyter"
        port, self.token = chromium.free_port(), secrets.token_hex(16)
        lab_env = chromium.server_env(
            jupyter, JUPYTERLAB_SETTINGS_DIR=str(jupyter / "lab-settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(jupyter / "lab-workspaces"))
        for key in ("RERANKKIT_MODEL", "RERANKKIT_ENCODER"):
            lab_env.pop(key, None)
            if key in env:
                lab_env[key] = env[key]
        # Settings a reader would click through: no "official Jupyter news?" prompt (the machine may be
        # offline) and no "Select Kernel" dialog (start the notebook's own kernel).
        settings = {
            "apputils-extension/notification": {"fetchNews": "false"},
            # Every cell stays in the page, so the test can read every prompt and output.
            "notebook-extension/tracker": {"autoStartDefaultKernel": True, "windowingMode": "none"},
        }
        for setting, values in settings.items():
            path = jupyter / "lab-settings" / "@jupyterlab" / f"{setting}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        self.log = jupyter / "jupyter.log"
        command = [
            sys.executable, "-m", "jupyter", "lab", "--no-browser",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
            "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
            "--LabApp.expose_app_in_browser=True",  # the test reads the notebook's outputs from the page's model
        ]
        if os.geteuid() == 0:  # CI containers run as root; Jupyter refuses without this flag
            command.append("--allow-root")
        self.base = f"http://127.0.0.1:{port}"
        self.proc = chromium.start_server(command, cwd=self.root, env=lab_env, log=self.log)
        self._pw = None
        try:
            chromium.wait_for_server(self.proc, f"{self.base}/api/status?token={self.token}", self.log,
                                     name="jupyter lab")
            self._pw = sync_api.sync_playwright().start()
            self.browser = chromium.launch(self._pw)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._pw is not None:
            try:
                self.browser.close()
            finally:
                self._pw.stop()
                self._pw = None

        def shutdown() -> None:
            request = urllib.request.Request(f"{self.base}/api/shutdown", method="POST",
                                             headers={"Authorization": f"token {self.token}"})
            urllib.request.urlopen(request, timeout=5).close()

        chromium.stop_server(self.proc, shutdown)
        assert self.proc.poll() is not None, "the jupyter lab server is still running"

    def _shut_down_kernels(self) -> None:
        """Stop the notebook's kernel through the server's REST API, so the next notebook has the CPU to itself."""
        headers = {"Authorization": f"token {self.token}"}
        with urllib.request.urlopen(urllib.request.Request(f"{self.base}/api/kernels", headers=headers),
                                    timeout=10) as r:
            kernels = json.loads(r.read())
        for kernel in kernels:
            request = urllib.request.Request(f"{self.base}/api/kernels/{kernel['id']}", method="DELETE",
                                             headers=headers)
            urllib.request.urlopen(request, timeout=30).close()

    def run(self, name: str, folder: Path, tiny) -> NotebookRun:
        run = NotebookRun(name, in_browser=True)
        stem = name.removesuffix(".ipynb")
        path = f"{folder.name}/{name}"
        page = self.browser.new_page(viewport={"width": 1300, "height": 1400})
        page.set_default_timeout(60_000)
        try:
            # A workspace of its own, reset: only this notebook is open (no tabs restored from before).
            page.goto(f"{self.base}/lab/workspaces/nb{name[:2]}/tree/{path}?reset&token={self.token}")
            page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell", timeout=120_000)
            # Run All only runs once the kernel is connected: the status bar then reads "... | Idle".
            page.locator(".jp-StatusBar-Widget", has_text="| Idle").first.wait_for(timeout=120_000)
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
            run.state = _wait_until_run(page, name)
            saved = page.evaluate(NOTEBOOK_JS)
            if saved is None:
                raise AssertionError(f"{name}: the page holds no notebook model (window.jupyterapp)")
            run.notebook = nbformat.reads(saved, as_version=4)
            page.screenshot(path=str(chromium.artifacts() / f"{stem}-top.png"))
        except Exception:
            run.error = traceback.format_exc()
            page.screenshot(path=str(chromium.artifacts() / f"{stem}-failure.png"))
        drive = DRIVERS.get(name[:2])
        if run.error is None and drive is not None and not run.state["tracebacks"]:
            try:
                area = drive(page, run, tiny)
                area.scroll_into_view_if_needed()
                area.screenshot(path=str(chromium.artifacts() / f"{stem}-widget.png"))
                run.widget_width = area.evaluate("e => [e.scrollWidth, e.clientWidth]")
                run.after = page.evaluate(STATE_JS)
            except Exception:
                run.drive_error = traceback.format_exc()
                page.screenshot(path=str(chromium.artifacts() / f"{stem}-failure.png"))
        if run.error is None:
            run.page_problems = page_checks.page_problems(page, name)  # after the drive: the widgets' output too
        page.close()
        self._shut_down_kernels()
        return run


def _wait_until_run(page, name: str, timeout_s: float = 400) -> dict:
    """Wait until Run All has finished (every prompt numbered) or stopped at an error; the final state."""
    deadline = time.monotonic() + timeout_s
    poll: dict = {}
    seen_errors: set[str] = set()
    while time.monotonic() < deadline:
        poll = page.evaluate(POLL_JS) or {}
        seen_errors.update(poll.get("widgetErrors", []))  # during the run, not only at the end
        prompts = poll.get("prompts", [])
        finished = prompts and all(p[1:-2].isdigit() for p in prompts)
        if poll.get("failed") or (poll.get("idle") and finished):
            state = page.evaluate(STATE_JS)
            state["widgetErrors"] = sorted(seen_errors | set(state["widgetErrors"]))
            return state
        page.wait_for_timeout(500)  # the page keeps running while the test waits (a sleep would block it)
    raise AssertionError(f"{name}: Run All did not finish within {timeout_s:.0f} s; prompts {poll.get('prompts')}")
