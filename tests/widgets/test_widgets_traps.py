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


def test_trap_explorer_shows_rank_shifts_and_marks_the_edit(tiny, encoder):
    app = TrapExplorer(tiny, encoder=encoder, case_id="kt-en-001")
    case = cases.load("keyword_traps")["kt-en-001"]
    assert "was #" not in app.table.value and "edited" not in app.table.value
    last = app.comparison.sort_values("bm25_rank").passage_id.iloc[-1]
    app.passage.value = last
    app.editor.value = case.query  # BM25's last passage becomes the query itself: BM25 moves it to the top
    app.button.click()
    was = int(app.previous.set_index("passage_id").loc[last, "bm25_rank"])
    assert app.comparison.set_index("passage_id").loc[last, "bm25_rank"] == 1 < was
    assert f"▲{was - 1} (was #{was})" in app.table.value
    assert "<b style='color:#1565c0'>edited</b>" in app.table.value and app.edited == {last}
    app.reset.click()
    assert app.edited == set() and "edited</b>" not in app.table.value


def test_trap_explorer_says_inside_when_a_passage_is_truncated(tiny, encoder, recwarn):
    app = TrapExplorer(tiny, encoder=encoder, case_id="kt-en-001")
    assert app.notice_text == ""
    app.editor.value = "word " * 2000
    app.button.click()
    assert "Truncated: p3 lost" in app.notice_text and "rk-notice" in app.notice.value
    assert "tokens cut by max_length" in app.table.value and "rk-fold" in app.table.value  # the long text folds
    assert not [w for w in recwarn if "truncat" in str(w.message).lower()]  # nothing goes to the log


def test_trap_explorer_clears_the_ranking_on_error(tiny, encoder):
    app = TrapExplorer(tiny, encoder=encoder)
    assert app.table.value
    app.editor.value = "   "
    app.button.click()
    assert app.last_error and app.table.value == "" and app.comparison is None
    assert "Nothing scored" in app.status.value


def test_cross_lingual_explorer_clears_old_results_on_error_and_lists_only_heatmap_languages(tiny):
    app = CrossLingualExplorer(tiny, query_languages=["en", "zh"], passage_languages=["en", "de"])
    assert list(app.list_language.options) == ["en", "zh"]
    app.button.click()
    assert app.heatmap.value and app.list_html.value
    app.passage_languages.value = ()
    app.fact.value = "f10"  # a fact change re-scores, and fails: nothing old stays on screen
    assert "at least one" in app.last_error
    assert app.heatmap.value == b"" and app.list_html.value == "" and app.matrix is None
    assert "Nothing scored" in app.status.value
    app.query_languages.value = ("ja", "hi")
    assert list(app.list_language.options) == ["ja", "hi"] and app.list_language.value == "ja"
    app.passage_languages.value = ("en",)
    app.button.click()
    assert app.last_error is None and list(app.matrix.index) == ["ja", "hi"] and app.heatmap.value


def test_cross_lingual_heatmap_is_hidden_until_scored(tiny):
    # Before: an empty Image widget showed as a broken image until Score was pressed.
    from rerankkit.widgets import CrossLingualExplorer

    app = CrossLingualExplorer(tiny, fact="f03", query_languages=["en"], passage_languages=["en"])
    assert app.heatmap.layout.display == "none" and app.heatmap.value == b""
    app.button.click()
    assert app.heatmap.layout.display is None and app.heatmap.value
