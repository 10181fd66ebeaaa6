"""The scoring playground, driven as a reader would: set the inputs, click, read the widget's state."""

from __future__ import annotations

import re

import pytest

import rerankkit
from rerankkit.widgets import ScoringPlayground

QUERY = "What is the capital of France?"
PASSAGES = [
    "Paris is the capital city of France.",
    "Berlin is the capital of Germany.",
    "The Eiffel Tower is located in Paris, France.",
    "The giant panda is a bear species endemic to China.",
    "Water boils at one hundred degrees Celsius at sea level.",
]


def n_cards(app: ScoringPlayground, passes: bool | None = None) -> int:
    if passes is None:
        return app.cards.value.count('class="rk-card"')
    return app.cards.value.count(f'data-passes="{str(passes).lower()}"')


class Calls(list):
    """Rerank calls seen on a copy of the tiny model, each with the widget state at that moment."""

    app: ScoringPlayground | None = None
    reranker: rerankkit.Reranker | None = None


@pytest.fixture
def calls(tiny_copy, monkeypatch) -> Calls:
    seen = Calls()
    seen.reranker = tiny_copy
    original = tiny_copy.rerank

    def spy(*args, **kwargs):
        app = seen.app
        seen.append({"button_disabled": app.button.disabled, "query_disabled": app.query.disabled,
                     "progress": app.progress.layout.visibility} if app is not None else {})
        return original(*args, **kwargs)

    monkeypatch.setattr(tiny_copy, "rerank", spy)
    return seen


def make(tiny, calls: Calls, **kwargs) -> ScoringPlayground:
    # The widget scores with the patched copy; ``tiny`` itself is never changed.
    app = ScoringPlayground(calls.reranker, query=kwargs.pop("query", QUERY), passages=kwargs.pop("passages", PASSAGES), **kwargs)
    calls.app = app
    return app


def test_click_ranks_the_passages_like_the_library(tiny, calls):
    app = make(tiny, calls)
    app.button.click()
    assert app.last_error is None and app.error.value == ""
    assert app.model_calls == 1 and len(calls) == 1
    direct = type(tiny).rerank(tiny, QUERY, PASSAGES)
    assert app.ranking.indices == direct.indices
    assert app.ranking.logits == pytest.approx(direct.logits)
    assert n_cards(app) == len(PASSAGES)
    assert "Scored 5 passages" in app.status.value and " ms " in app.status.value
    assert app.status_text.startswith("Scored 5 passages") and "<" not in app.status_text


def test_controls_are_disabled_and_progress_shows_while_scoring(tiny, calls):
    app = make(tiny, calls)
    app.button.click()
    assert calls[0] == {"button_disabled": True, "query_disabled": True, "progress": "visible"}
    assert not app.button.disabled and not app.query.disabled
    assert app.progress.layout.visibility == "hidden"


def test_same_pairs_again_come_from_the_cache(tiny, calls):
    app = make(tiny, calls)
    app.button.click()
    first = app.ranking
    app.button.click()
    assert (app.model_calls, app.cache_hits, len(calls)) == (1, 1, 1)
    assert app.ranking.indices == first.indices
    assert "from the cache" in app.status.value
    app.max_length.value = "64"  # a different key: scored again
    app.button.click()
    assert (app.model_calls, len(calls)) == (2, 2)


def test_moving_the_threshold_recolours_without_scoring(tiny, calls):
    app = make(tiny, calls)
    app.button.click()
    app.cutoff.value = "threshold"
    scores = sorted(app.ranking.scores)
    middle = (scores[1] + scores[2]) / 2
    assert scores[1] < middle < scores[2]
    app.threshold.value = middle
    assert len(calls) == 1 and app.model_calls == 1
    assert app.ranking.threshold == middle
    assert n_cards(app, passes=True) == sum(s >= middle for s in scores) == 3
    assert n_cards(app, passes=False) == 2
    app.threshold.value = 0.0
    assert n_cards(app, passes=True) == len(PASSAGES) and len(calls) == 1
    assert "threshold 0.00 (uncalibrated): 5 of 5 kept" in app.status.value


def test_presets_move_the_slider_and_follow_it(tiny, calls):
    app = make(tiny, calls, threshold="permissive")
    assert app.threshold.value == pytest.approx(0.1) and app.preset.value == "permissive"
    app.preset.value = "strict"
    assert app.threshold.value == pytest.approx(0.8)
    app.threshold.value = 0.33
    assert app.preset.value is None
    app.threshold.value = 0.5
    assert app.preset.value == "balanced"


@pytest.mark.parametrize(
    ("query", "passages", "words"),
    [("   ", PASSAGES, "query is empty"), (QUERY, "\n  \n", "passages is empty")],
)
def test_bad_input_shows_a_message_inside_the_widget(tiny, calls, query, passages, words):
    app = make(tiny, calls, query=query, passages=passages)
    app.button.click()
    assert words in app.last_error
    assert "Could not run" in app.error.value and words in app.error.value
    assert "Traceback" not in app.error.value
    assert app.ranking is None and app.cards.value == "" and len(calls) == 0
    assert not app.button.disabled


def test_an_error_after_a_result_clears_the_cards_and_a_good_click_clears_the_error(tiny, calls):
    app = make(tiny, calls)
    app.button.click()
    app.query.value = ""
    app.button.click()
    assert app.ranking is None and app.cards.value == "" and app.last_error
    app.query.value = QUERY
    app.button.click()
    assert app.last_error is None and app.error.value == "" and n_cards(app) == len(PASSAGES)


def test_missing_model_is_a_readable_message(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    app = ScoringPlayground("rerankkit-tests/no-such-reranker", query=QUERY, passages=PASSAGES)
    assert "loads on the first Rerank" in app.badge.value
    app.button.click()
    assert app.last_error.startswith("Model unavailable")
    assert "RERANKKIT_MODEL=tiny-random" in app.error.value and "Traceback" not in app.error.value
    assert app.reranker is None and app.ranking is None and not app.button.disabled


def test_empty_query_is_reported_before_loading_a_model(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    app = ScoringPlayground("rerankkit-tests/no-such-reranker", query="", passages=PASSAGES)
    app.button.click()
    assert "query is empty" in app.last_error


def test_a_model_spec_loads_on_first_click_and_shows_device_and_dtype(tiny):
    app = ScoringPlayground("tiny-random", query=QUERY, passages=PASSAGES)
    assert app.reranker is None
    app.button.click()
    assert app.reranker is not None and app.last_error is None
    assert "device</b> cpu" in app.badge.value and "dtype</b> fp32" in app.badge.value
    assert "Random weights" in app.badge.value
    assert app.max_length_limit == app.reranker.info.model_max_length


def test_raw_table_toggles_and_lists_every_row(tiny, calls):
    app = make(tiny, calls)
    app.button.click()
    assert app.table.layout.display == "none"
    app.show_table.value = True
    assert app.table.layout.display is None
    for header in ["input index", "text", "raw logit", "sigmoid score", "tokens", "truncated"]:
        assert f"<th>{header}</th>" in app.table.value
    assert app.table.value.count("</tr>") == len(PASSAGES) + 1
    top = app.ranking[0]
    assert f"{top.logit:.4f}" in app.table.value and f"{top.score:.4f}" in app.table.value
    app.show_table.value = False
    assert app.table.layout.display == "none"


@pytest.mark.filterwarnings("error::rerankkit.TruncationWarning")  # the widget reports it, not the log
def test_truncation_is_reported_in_the_status_and_table(tiny, calls):
    long = " ".join(["Paris is the capital city of France and its largest city."] * 12)
    app = make(tiny, calls, passages=[long, "Berlin is the capital of Germany."], max_length=32)
    app.button.click()
    assert re.search(r"1 passage\(s\) truncated to max_length=32", app.status.value)
    cut = [r for r in app.ranking if r.truncated]
    assert len(cut) == 1 and cut[0].index == 0 and cut[0].n_tokens == 32
    assert "truncated:" in app.cards.value
    app.button.click()  # from the cache: still reported
    assert app.cache_hits == 1 and "1 passage(s) truncated" in app.status_text


def test_text_is_escaped_in_cards_and_table(tiny, calls):
    app = make(tiny, calls, passages=["<script>alert(1)</script> Paris", "Berlin"])
    app.button.click()
    assert "<script>" not in app.cards.value and "<script>" not in app.table.value
    assert "&lt;script&gt;" in app.cards.value


@pytest.mark.parametrize(
    ("typed", "used", "said"),
    [("5", "16", "below the smallest allowed, 16"), ("99999", None, "above the largest allowed"), ("64", "64", "")],
)
def test_max_length_changes_are_said_in_the_widget(tiny, calls, typed, used, said):
    app = make(tiny, calls)
    app.max_length.value = typed
    assert app.max_length.value == (used or str(app.max_length_limit))
    assert (said in app.notice_text) and (bool(said) == bool(app.notice_text))
    if said:
        assert "rk-notice" in app.notice.value
    app.button.click()
    assert app.ranking is not None and app.last_error is None
    assert said in app.notice_text  # the note stays up after Rerank
    assert f"max_length</b> {app.max_length.value}" in app.badge.value  # the header shows the value in use


def test_a_max_length_that_is_not_a_number_is_refused_in_the_widget(tiny, calls):
    app = make(tiny, calls)
    app.max_length.value = "abc"
    assert "'abc' is not a whole number" in app.notice_text
    app.button.click()
    assert app.ranking is None and "'abc' is not a whole number" in app.last_error
    assert app.cards.value == ""


@pytest.mark.parametrize(
    ("typed", "value", "said"),
    [("high", 0.5, "'high' is not a number"), ("1.7", 1.0, "outside [0, 1]"), ("-3", 0.0, "outside [0, 1]"),
     ("0.3", 0.3, ""), ("strict", 0.8, "preset strict: uncalibrated")],
)
def test_typed_thresholds_are_used_or_refused_out_loud(tiny, calls, typed, value, said):
    app = make(tiny, calls)
    app.threshold_box.value = typed
    assert app.threshold.value == pytest.approx(value)
    assert app.threshold_box.value == f"{value:.2f}"
    assert (said in app.notice_text) and (bool(said) == bool(app.notice_text))


def test_status_line_shows_this_rerank_and_the_sessions_median_and_p95(tiny, calls):
    app = make(tiny, calls)
    app.button.click()
    assert app.latency.n_warm == 0 and "this rerank" in app.status_text
    assert "cold" not in app.status_text  # a model handed in may have run before
    for query in ("Where is Berlin?", "What do pandas eat?", QUERY):
        app.query.value = query
        app.button.click()
    assert app.model_calls == 3 and app.cache_hits == 1  # the last click came from the cache
    assert app.latency.n_warm == 2 and len(app.latency.seconds) == app.model_calls
    median, p95 = app.latency.median_ms, app.latency.p95_ms
    assert 0 < median <= p95
    assert f"warm median {median:.0f} ms, p95 {p95:.0f} ms over 2 calls" in app.status_text
    assert app.status_text in app.status.value or "warm median" in app.status.value


def test_status_line_calls_the_first_rerank_after_its_own_load_cold():
    app = ScoringPlayground("tiny-random", query=QUERY, passages=PASSAGES)
    app.button.click()
    assert "first call after load: cold" in app.status_text


def test_no_card_is_coloured_until_a_cut_off_is_chosen(tiny, calls):
    # Before: cards came green and red at sigmoid 0.5 on the first click.
    app = make(tiny, calls)
    app.button.click()
    assert app.cutoff.value == "none" and n_cards(app, passes=True) == n_cards(app, passes=False) == 0
    assert "no cut-off chosen" in app.status_text
    assert app.threshold_row.layout.display == "none" and app.preset_row.layout.display == "none"
    app.cutoff.value = "top_k"
    app.top_k.value = "2"
    assert (n_cards(app, passes=True), n_cards(app, passes=False)) == (2, 3) and len(calls) == 1
    assert "top 2 of this query: 2 of 5 kept" in app.status_text
    app.cutoff.value = "gap"
    app.gap.value = "0"
    assert n_cards(app, passes=True) >= 1 and "within 0 logits of the top score" in app.status_text
    app.gap.value = "-1"
    assert "is not a number of logits >= 0" in app.notice_text and n_cards(app, passes=True) == 0
    app.gap.value = "1.5"
    assert app.notice_text == ""  # the note goes once the value is fine again
    app.cutoff.value = "none"
    assert n_cards(app, passes=True) == n_cards(app, passes=False) == 0


def test_presets_are_labelled_uncalibrated_where_they_are_shown(tiny, calls):
    app = make(tiny, calls, threshold="strict")
    assert app.cutoff.value == "threshold"
    labels = [label for label, _ in app.preset.options]
    assert labels == ["strict 0.8 (uncalibrated)", "balanced 0.5 (uncalibrated)", "permissive 0.1 (uncalibrated)"]
    app.button.click()
    assert "threshold 0.80 (strict preset, uncalibrated)" in app.cards.value
    app.preset.value = "balanced"
    assert "uncalibrated" in app.notice_text and "suggested starting point" in app.notice_text


def test_calibrate_replaces_the_preset_and_says_what_it_was_fitted_on(tiny, calls):
    import pandas as pd

    # Labels that tiny-random's order can reach precision 1 on: its two best passages are the relevant ones.
    best = set(tiny.score(QUERY, PASSAGES).argsort()[-2:].tolist())
    labelled = pd.DataFrame({"set": "mine", "query": [QUERY] * len(PASSAGES), "passage": PASSAGES,
                             "label": [int(i in best) for i in range(len(PASSAGES))]})
    app = make(tiny, calls, threshold="strict", calibration_pairs=labelled, precision_target=0.9)
    app.button.click()
    fit = app.calibrate()
    assert fit is not None and fit.n_pairs == 5 and fit.value is not None
    assert app.threshold.value == pytest.approx(fit.value) and app.preset.value is None
    assert app.cutoff.value == "threshold"
    assert "calibrated on 5 labelled pairs (mine)" in app.ranking.cutoff and fit.recall == 1.0
    assert "uncalibrated" not in app.ranking.cutoff
    assert f"Calibrated threshold {fit.value:.2f}" in app.calibration_note.value
    assert "random weights" in app.calibration_note.value
    app.threshold.value = 0.3  # moved by hand: no longer the calibrated threshold
    assert "uncalibrated" in app.ranking.cutoff and app.calibration_note.value == ""


def test_a_cache_hit_is_not_timed_as_this_rerank(tiny, calls):
    # Before: "Served ... in 0.0 ms" beside "this rerank 30 ms" (the last model call).
    app = make(tiny, calls)
    app.button.click()
    app.button.click()
    assert app.cache_hits == 1
    assert "0.0 ms" not in app.status_text and "this rerank" not in app.status_text
    assert "last model call" in app.status_text and "no model call" in app.status_text


@pytest.mark.parametrize("typed", ["nan", "inf", "-inf"])
def test_non_numbers_are_not_called_outside_the_range(tiny, calls, typed):
    app = make(tiny, calls)
    app.threshold_box.value = typed
    assert "is not a number in [0, 1]" in app.notice_text and "outside" not in app.notice_text
    assert app.threshold.value == pytest.approx(0.5)


def test_a_note_goes_when_it_is_no_longer_true(tiny, calls):
    app = make(tiny, calls)
    app.threshold_box.value = "1.7"
    assert "outside [0, 1]" in app.notice_text
    app.threshold.value = 0.4  # the slider moved on: the note about 1.7 is moot
    assert app.notice_text == ""
    app.max_length.value = "5"
    assert "below the smallest allowed" in app.notice_text
    app.threshold_box.value = "high"
    assert "below the smallest allowed" in app.notice_text and "'high'" in app.notice_text  # both still true
    app.max_length.value = "64"
    assert "below the smallest allowed" not in app.notice_text
