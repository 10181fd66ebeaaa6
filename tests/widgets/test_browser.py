"""Real-browser tests: JupyterLab in Debian's Chromium runs the notebooks as a reader would.

Each numbered notebook is run once per session, in one JupyterLab server on a throw-away copy (the committed
notebooks are never saved with outputs), by ``notebook_runs`` (tests/notebook_runs.py): Run All, then its widget
is driven once (a click and an assertion on what it shows). tests/notebooks/test_notebook_fallback.py checks that
same run's kernel outputs; the tests here check what the page showed:

``test_playground_in_jupyterlab``: notebook 01's playground, after typing a query of both colours and a click,
shows one card per passage in the right colours.
``test_every_notebook_in_jupyterlab``: every notebook, for any traceback, any "Error displaying widget", any
unstyled banner or more than one banner outside the widgets, and its widget's drive.

Each check is a function from one notebook's run to a list of problems (``CHECKS``): add a check by adding one.
Screenshots go to ``artifacts/`` (or ``$RERANKKIT_ARTIFACTS``).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from chromium import BROWSER_MARKS, ROOT
from notebook_runs import NOTEBOOKS, NotebookRun

sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright Python package (pip install playwright)")

NOTEBOOK = "01_single_scoring.ipynb"
PASS_RGB = "rgb(46, 125, 50)"  # rerankkit.display.cards.PASS_COLOUR
FAIL_RGB = "rgb(198, 40, 40)"  # rerankkit.display.cards.FAIL_COLOUR
BANNER_RGB = "rgb(255, 243, 205)"  # rerankkit.display.style: the banner's background

pytestmark = BROWSER_MARKS


def _committed_without_outputs(name: str) -> None:
    committed = json.loads((ROOT / "notebooks" / name).read_text())
    assert not any(cell.get("outputs") for cell in committed["cells"]), f"the committed {name} gained outputs"


def test_playground_in_jupyterlab(notebook_runs):
    run = notebook_runs[NOTEBOOK]
    assert run.in_browser and run.error is None, run.error
    if run.playground is None:
        raise AssertionError(f"the playground was not driven:\n{run.drive_error or run.state.get('tracebacks')}")
    seen = run.playground
    passages, expected_pass = seen["passages"], seen["expected_pass"]
    assert seen["stderr_tracebacks"] == 0
    assert seen["head_visible"]
    assert seen["n_cards"] == len(passages) > 1
    assert seen["n_unset_before"] == len(passages)  # no colours before a cut-off was chosen
    assert (seen["n_pass"], seen["n_fail"]) == (expected_pass, len(passages) - expected_pass)
    assert seen["n_pass"] > 0 and seen["n_fail"] > 0
    assert seen["colours"] == {PASS_RGB, FAIL_RGB}
    assert seen["random_banners"] == 1 and seen["widget_labelled"] >= 1
    assert not seen["rerank_disabled"]
    assert seen["screenshot_bytes"] > 10_000
    _committed_without_outputs(NOTEBOOK)


def _run_failed(run: NotebookRun) -> list[str]:
    return [f"{run.name}: the run failed:\n{run.error}"] if run.error else []


def _tracebacks(run: NotebookRun) -> list[str]:
    return [f"{run.name}: traceback:\n{t}" for t in run.state.get("tracebacks", [])]


def _widget_errors(run: NotebookRun) -> list[str]:
    problems = [f"{run.name}: {e}" for e in run.state.get("widgetErrors", [])]
    if run.after is not None:
        problems += [f"{run.name}: after the click: {e}" for e in run.after["widgetErrors"]]
    return problems


def _stderr(run: NotebookRun) -> list[str]:
    return [f"{run.name}: progress bar or error on stderr: {e!r}" for e in run.state.get("stderr", [])
            if "Traceback" in e or "%|" in e]


def _banners(run: NotebookRun) -> list[str]:
    banners = run.state.get("banners", [])
    problems = [f"{run.name}: unstyled banner: {b['text']!r}" for b in banners if b["background"] != BANNER_RGB]
    loose = [b["text"] for b in banners if not b["inWidget"]]
    if len(loose) > 1:
        problems.append(f"{run.name}: {len(loose)} banners outside widgets (one notice per notebook)")
    if run.after is not None:
        problems += [f"{run.name}: unstyled banner after the click: {b['text']!r}"
                     for b in run.after["banners"] if b["background"] != BANNER_RGB]
    return problems


def _widget_drive(run: NotebookRun) -> list[str]:
    problems = [f"{run.name}: driving the widget failed:\n{run.drive_error}"] if run.drive_error else []
    if run.widget_width is not None and run.widget_width[0] > run.widget_width[1] + 2:
        problems.append(f"{run.name}: the widget is wider than its output area ({run.widget_width})")
    return problems


def _committed(run: NotebookRun) -> list[str]:
    try:
        _committed_without_outputs(run.name)
    except AssertionError as exc:
        return [str(exc)]
    return []


def _page(run: NotebookRun) -> list[str]:
    return run.page_problems  # tests/page_checks.py: any stderr line, one notice per page, nothing too wide


# Every check of one notebook's run in the browser: each returns the problems it found.
CHECKS: list[Callable[[NotebookRun], list[str]]] = [
    _run_failed, _tracebacks, _widget_errors, _stderr, _banners, _widget_drive, _committed, _page,
]


@pytest.mark.slow
def test_every_notebook_in_jupyterlab(notebook_runs):
    problems: list[str] = []
    for name in NOTEBOOKS:
        run = notebook_runs[name]
        assert run.in_browser
        for check in CHECKS:
            problems += check(run)
    assert not problems, "\n".join(problems)
