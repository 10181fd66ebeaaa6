"""Notebooks: one shared load-or-fall-back and banner helper; one random-weights notice per notebook, shown before
the first weight-dependent result."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
# Calls whose output depends on the reranker's or the encoder's weights.
MODEL_RESULTS = ("compare_stages(", "retrieve_then_rerank(", "pair_scores(", "Explorer(", "plots.", ".summary(",
                 ".metrics(", "threshold_transfer(", "score_matrix(", "shift[", "explorer.")


@pytest.mark.parametrize("name", ["04_keyword_traps.ipynb", "10_cross_lingual.ipynb"])
def test_one_notice_before_the_first_weight_dependent_result(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert any("from rerankkit.notebook import" in src and "caution" in src for src in code)
    flagged = [i for i, src in enumerate(code) if any(k in src for k in MODEL_RESULTS)]
    assert flagged, "no model results found: the check would be vacuous"
    notices = [i for i, src in enumerate(code) if "caution(" in src]
    assert len(notices) == 1, f"{name}: {len(notices)} caution(...) calls; one notice per notebook"
    assert notices[0] < flagged[0], f"{name}: the notice comes after the first model result"


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.name)
def test_every_notebook_uses_the_shared_load_and_banner_helpers(path):
    code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    assert "load_or_tiny_random(" in code and "rerankkit.load()" not in code  # one fall-back for all
    assert "caution(rr" in code
    for copy in ("def caution", "def weights_note", "def caveat", "random_weights_banner"):
        assert copy not in code, f"{path.name} defines its own banner helper ({copy})"


@pytest.mark.parametrize("name", ["04_keyword_traps.ipynb", "10_cross_lingual.ipynb"])
def test_published_figures_are_cited_with_their_source(name):
    text = (NOTEBOOKS / name).read_text()
    if "72.84" in text:
        assert "huggingface.co/BAAI/bge-reranker-v2-m3" in text and "67.91" in text and "MIRACL" in text
    assert "GPU" in text and "real weights" in text.lower()
