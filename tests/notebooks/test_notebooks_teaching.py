"""What the notebooks teach: the order of ideas, and statements that were once wrong stay corrected.

These read the committed notebooks (no kernel): each test pins one correction to the text or the code that
computes what the text claims.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from rerankkit.measure.reference import fast_paths_summary, reference_runs

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def _cells(name: str, kind: str | None = None) -> list[str]:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    return [c.source for c in nb.cells if kind is None or c.cell_type == kind]


def _text(name: str, kind: str | None = None) -> str:
    return "\n".join(_cells(name, kind))


def _number(name: str) -> str:
    return next(p.name for p in NOTEBOOKS.glob(f"[0-9][0-9]_{name}.ipynb"))


def test_ideas_come_before_they_are_used():
    order = [p.name for p in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))]
    position = {name.split("_", 1)[1]: i for i, name in enumerate(order)}
    # metrics (keyword traps) before the cross-lingual pipeline that uses them
    assert position["keyword_traps.ipynb"] < position["cross_lingual.ipynb"]
    # calibration and library defaults before the notebooks that set thresholds on real data and compare families
    assert position["score_scales_lab.ipynb"] < min(position["your_own_data.ipynb"], position["choosing_a_reranker.ipynb"])
    assert "yes" in _text(_number("score_scales_lab"), "markdown") and "Qwen3-Reranker" in _text(_number("score_scales_lab"))
    assert [int(name[:2]) for name in order] == list(range(len(order)))  # numbered without gaps


def test_notebook_01_cuts_per_query_before_a_calibrated_threshold():
    md = _text("01_single_scoring.ipynb", "markdown")
    cut_offs, calibration = md.index("Per-query cut-offs"), md.index("only as the result of calibration")
    presets = md.index("starting points, not calibrated")
    assert cut_offs < calibration < presets
    assert "issues/1043" in md and "cross-entropy" in md
    code = _text("01_single_scoring.ipynb", "code")
    assert "platt_fit(" in code and "threshold=0.5" not in code


def test_no_threshold_colouring_is_taught_before_thresholds():
    md = _text("00_start_here.ipynb", "markdown")
    assert "green at or above" not in md and "the default threshold" not in md


@pytest.mark.parametrize("name", ["00_start_here.ipynb", "07_your_own_data.ipynb"])
def test_answers_is_qualified_by_the_training_mix(name):
    md = _text(name, "markdown")
    assert "Quora" in md and "FEVER" in md


def test_int8_is_judged_by_measurement_with_the_real_weights():
    md = _text("05_gpu_vs_cpu_timing.ipynb", "markdown")
    assert "2 × max |diff|" in md and "cannot swap two passages" not in md
    assert "both paths compute the same function" not in md
    code = _text("05_gpu_vs_cpu_timing.ipynb", "code")
    assert "evaluate(" in code and "random_weights" in code and "Skipped" in code
    assert "kendall_tau_vs_flag" not in code and "fast_paths_summary(" in code
    for _, data in reference_runs()[0]:  # the reference tables it shows leave the agreement columns out
        speeds, _ = fast_paths_summary(data)
        assert not [c for c in speeds.columns if "tau" in c or "diff" in c]


@pytest.mark.parametrize("name", ["05_gpu_vs_cpu_timing.ipynb", "06_explaining_scores.ipynb"])
def test_long_inputs_carry_the_maintainers_caveat(name):
    md = _text(name, "markdown")
    assert re.search(r"8,?192", md) and "issues/932" in md and "degrade" in md


def test_timing_prose_says_when_repeats_disagree():
    text = _text("05_gpu_vs_cpu_timing.ipynb")
    assert "untrusted(" in text and "pairs_per_s_min" in text and "not a figure to" in text


def test_qwen3_table_keeps_its_first_stage_row():
    code = _text("08_choosing_a_reranker.ipynb", "code")
    assert '("Qwen/Qwen3-Embedding-0.6B (first stage alone)", 61.82, 71.02, 64.64, 50.26, 75.41)' in code
    assert "below the first stage alone" in code


def test_cross_lingual_reports_optimal_intervals_and_one_global_cut():
    text = _text("10_cross_lingual.ipynb")
    assert "global_cut(" in text and "best_low" in text and "calibrate per language pair, or rank" not in text


def test_stale_statements_stay_gone():
    assert "textprep" not in _text("06_explaining_scores.ipynb")
    assert "0.3M" not in _text("09_at_scale.ipynb") and "n_parameters" in _text("09_at_scale.ipynb", "code")
    section_3 = _text("06_explaining_scores.ipynb", "markdown").split("## 3.")[1].split("## 4.")[0]
    assert "section 5" not in section_3
    workshop = (NOTEBOOKS.parent / "docs" / "workshop.md").read_text()
    assert "small locally built tokenizer" not in workshop
    assert "5 to 7 hours" in workshop and "90-minute short path" in workshop


def test_pooled_judgements_are_explained_where_the_corpus_is_pooled():
    text = _text("04_keyword_traps.ipynb")
    assert "same_question_as" in text and "qrels(own_only=True)" in text
