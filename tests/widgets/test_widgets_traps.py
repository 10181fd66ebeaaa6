"""The trap explorer and the cross-lingual explorer, driven by button clicks without a browser."""

from __future__ import annotations

import pytest

from rerankkit import cases
from rerankkit.widgets import CrossLingualExplorer, TrapExplorer


def test_trap_explorer_shows_three_rankings_and_rescores_an_edit(tiny, encoder):
    app = TrapExplorer(tiny, encoder=encoder, case_id="kt-en-001")
    case = cases.load("keyword_traps")["kt-en-001"]
    assert len(app.comparison) == len(case.passages)
    assert app.table.value.count("data-role=") == 3 * len(case.passages)
    assert "Random weights" in app.badge.value and "Dense encoder" in app.badge.value
    assert app.passage.value == "p3"  # a distractor is offered for editing first
    before = app.comparison.set_index("passage_id").loc["p3", "bm25_score"]
    app.editor.value = case.query
    app.button.click()
    after = app.comparison.set_index("passage_id")
    assert after.loc["p3", "text"] == case.query
    assert after.loc["p3", "bm25_rank"] == 1 and after.loc["p3", "bm25_score"] != before
    assert app.last_error is None and "Scored" in app.status.value
    app.reset.click()
    assert app.comparison.set_index("passage_id").loc["p3", "text"] == case.passage("p3").text


def test_trap_explorer_switches_cases_and_shows_errors_inside(tiny, encoder):
    app = TrapExplorer(tiny, encoder=encoder)
    app.case.value = "kt-zh-001"
    zh = cases.load("keyword_traps")["kt-zh-001"]
    assert set(app.comparison.passage_id) == {p.id for p in zh.passages}
    assert zh.query in app.note.value
    app.editor.value = "   "
    app.button.click()
    assert "empty" in app.last_error and "rk-error" in app.error.value
    assert not app.button.disabled  # the busy guard restored the controls


def test_cross_lingual_explorer_updates_heatmap_and_list(tiny):
    app = CrossLingualExplorer(tiny, fact="f03", query_languages=["en", "ja", "hi"], passage_languages=["zh", "de"])
    app.button.click()
    assert app.last_error is None
    assert list(app.matrix.index) == ["en", "ja", "hi"] and list(app.matrix.columns) == ["zh", "de"]
    assert app.heatmap.value[:4] == b"\x89PNG"
    assert len(app.ranking) == len(app.candidates)
    assert app.list_html.value.count("data-relevance='2'") == 2  # the fact's zh and de passages
    first = app.matrix.copy()
    app.fact.value = "f10"  # a new fact re-scores without a click
    assert app.list_html.value.count("data-relevance='2'") == 2 and not app.matrix.equals(first)
    assert app.fact_set.fact("f10").queries["en"] in app.list_query.value
    app.list_language.value = "hi"
    assert app.fact_set.fact("f10").queries["hi"] in app.list_query.value
    app.passage_languages.value = ("zh", "de", "ar")
    app.button.click()
    assert app.matrix.shape == (3, 3)


def test_cross_lingual_explorer_needs_languages(tiny):
    app = CrossLingualExplorer(tiny)
    app.query_languages.value = ()
    app.button.click()
    assert "at least one query language" in app.last_error and app.matrix is None
    with pytest.raises(ValueError, match="no facts"):
        CrossLingualExplorer(tiny, fact_set="keyword_traps")
