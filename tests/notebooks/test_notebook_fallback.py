"""Notebook 00 without the real weights: it says how to get them and carries on with tiny-random."""

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


def test_start_here_falls_back_to_tiny_random(monkeypatch, tmp_path):
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("RERANKKIT_MODEL", "")  # as on a reader's machine: the default, real model
    try:
        fetch_model(DEFAULT_MODEL, download=False)
        pytest.skip(f"{DEFAULT_MODEL} is in the Hugging Face cache, so the notebook does not need to fall back")
    except ModelUnavailableError:
        pass
    nb = nbformat.read(ROOT / "notebooks" / "00_start_here.ipynb", as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
                            ).execute()
    text = _stream_text(nb)
    assert f"Could not load {DEFAULT_MODEL}" in text
    assert "rerankkit download --model BAAI/bge-reranker-v2-m3" in text  # how to get the weights
    assert "Continuing on tiny-random" in text and "mean NOTHING" in text
    assert "random weights: scores mean nothing" in text  # rr.info names the model it fell back to
    banners = [cell for cell in nb.cells if cell.cell_type == "code"
               and any("rk-banner" in str(out.get("data", {}).get("text/html", "")) for out in cell.outputs)]
    assert len(banners) >= 5  # the random-weights banner above the results
