"""Every numbered notebook runs top to bottom on a fresh kernel, from a copy's folder, offline.

Without the real weights and without RERANKKIT_MODEL (a reader's machine before `rerankkit download`), each says
how to get them, carries on with tiny-random and shows one random-weights notice. Where the weights are in the
cache, the notebooks run on tiny-random instead, so they are still run and still show one notice. This is the
suite's one run of each notebook (nbmake runs only the solutions notebook and the app pages).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from rerankkit.errors import ModelUnavailableError
from rerankkit.models import DEFAULT_MODEL
from rerankkit.models.hub import fetch_model

ROOT = Path(__file__).resolve().parents[2]


def _stream_text(nb) -> str:
    return "".join(
        out.get("text", "") for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])
    )


NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_falls_back_to_tiny_random(name, monkeypatch, tmp_path):
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("RERANKKIT_MODEL", raising=False)  # as on a reader's machine: the default, real model
    monkeypatch.delenv("RERANKKIT_ENCODER", raising=False)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the kernel imports this checkout's rerankkit
    try:
        fetch_model(DEFAULT_MODEL, download=False)
        falls_back = False  # the weights are here: run the notebook on tiny-random all the same
        monkeypatch.setenv("RERANKKIT_MODEL", "tiny-random")
    except ModelUnavailableError:
        falls_back = True
    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    # Run from a copy's folder: nothing may depend on the working directory.
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
                            ).execute()
    text = _stream_text(nb)
    if falls_back:
        assert f"Could not load {DEFAULT_MODEL}" in text
        assert "rerankkit download --model BAAI/bge-reranker-v2-m3" in text  # how to get the weights
        assert "Continuing on tiny-random" in text
    assert "random weights: scores mean nothing" in text  # rr.info names the model it fell back to
    banners = [cell for cell in nb.cells if cell.cell_type == "code"
               and any('class="rk-banner"' in str(out.get("data", {}).get("text/html", "")) for out in cell.outputs)]
    assert len(banners) == 1  # one notice per notebook (widgets carry their own, inside the widget state)
