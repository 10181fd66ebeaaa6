"""Every numbered notebook runs top to bottom on a fresh kernel, from a copy's folder, offline.

Without the real weights and without RERANKKIT_MODEL (a reader's machine before `rerankkit download`), each says
how to get them, carries on with tiny-random and shows one random-weights notice. Where the weights are in the
cache, the notebooks run on tiny-random instead, so they are still run and still show one notice.

Each notebook runs once per session (tests/notebook_runs.py): in JupyterLab when Chromium is here, whose page
tests/widgets/test_browser.py checks, else with nbclient; these tests check that run's kernel outputs. nbmake runs
only the solutions notebook and the app pages.
"""

from __future__ import annotations

import pytest
from notebook_runs import NOTEBOOKS, falls_back

from rerankkit.models import DEFAULT_MODEL


def _stream_text(nb) -> str:
    return "".join(
        out.get("text", "") for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])
    )


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.xdist_group("browser")  # the same session's runs as tests/widgets/test_browser.py
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_falls_back_to_tiny_random(name, notebook_runs):
    if not notebook_runs.use_browser:
        pytest.importorskip("nbclient")
    run = notebook_runs[name]
    nb = run.outputs()
    assert run.error is None, run.error
    errors = [f"{o.ename}: {o.evalue}" for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors, f"{name} raised: {errors}"
    not_run = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.execution_count is None]
    assert not not_run, f"{name}: cells {not_run} did not run"  # top to bottom, every cell
    text = _stream_text(nb)
    if falls_back(notebook_runs.env):
        assert f"Could not load {DEFAULT_MODEL}" in text
        assert "rerankkit download --model BAAI/bge-reranker-v2-m3" in text  # how to get the weights
        assert "Continuing on tiny-random" in text
    assert "random weights: scores mean nothing" in text  # rr.info names the model it fell back to
    banners = [cell for cell in nb.cells if cell.cell_type == "code"
               and any('class="rk-banner"' in str(out.get("data", {}).get("text/html", "")) for out in cell.outputs)]
    assert len(banners) == 1  # one notice per notebook (widgets carry their own, inside the widget state)
