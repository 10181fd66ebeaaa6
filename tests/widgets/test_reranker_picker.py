"""The reranker picker: clicked without a browser."""

from __future__ import annotations

import pytest

from rerankkit.widgets import RerankerPicker


def test_compare_renders_the_table_and_the_random_weights_notice(tiny):
    picker = RerankerPicker(["tiny-random", "no/such-model"], sets=["keyword_traps"], repeats=1, loaded=[tiny])
    picker.compare_button.click()
    assert picker.error is None
    assert list(picker.table.model) == ["tiny-random", "no/such-model"]
    assert "<table" in picker.output.value and "nDCG@10" in picker.output.value and "ms_per_20" in picker.output.value
    assert "rk-banner" in picker.output.value  # tiny-random's scores mean nothing, said inside the widget
    assert "1 of 2 models ran" in picker.status.value
    assert not picker.compare_button.disabled


def test_only_ticked_models_run_and_nothing_ticked_is_an_error(tiny):
    picker = RerankerPicker(["tiny-random", "no/such-model"], sets=["keyword_traps"], repeats=1, loaded=[tiny])
    picker.models.value = ("tiny-random",)
    picker.compare_button.click()
    assert list(picker.table.model) == ["tiny-random"]
    picker.models.value = ()
    picker.compare_button.click()
    assert picker.table is None and "tick at least one model" in picker.output.value
    assert "rk-error" in picker.output.value and "Traceback" not in picker.output.value


def test_needs_models():
    with pytest.raises(ValueError, match="models"):
        RerankerPicker([])


def test_each_stand_in_names_its_own_download_and_names_are_not_cut(tiny):
    # Before: every stand-in's notice said "Load BAAI/bge-reranker-v2-m3", and the list cut long names.
    from rerankkit.display import notices
    from rerankkit.evaluation.compare import comparison_summary

    notices.forget()
    name = "tiny-random:Qwen/Qwen3-Reranker-0.6B"
    picker = RerankerPicker(["tiny-random", name], sets=["keyword_traps"], repeats=1, loaded=[tiny])
    assert picker.models.layout.width == f"calc({len(name) + 4}ch + 90px)"
    picker.compare_button.click()
    assert "rerankkit download Qwen/Qwen3-Reranker-0.6B" in picker.output.value
    assert "rerankkit download BAAI/bge-reranker-v2-m3" in picker.output.value
    summary = comparison_summary(picker.table)
    assert list(summary.columns)[:4] == ["model", "status", "nDCG@10", "MRR@10"] and len(summary.columns) <= 9
    assert all(round(v, 3) == v for v in summary["nDCG@10"].dropna())
