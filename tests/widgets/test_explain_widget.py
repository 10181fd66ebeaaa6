"""The explain explorer, driven by button clicks without a browser."""

from __future__ import annotations

import pytest

from rerankkit.testing import bag_of_words_reranker
from rerankkit.widgets import ExplainExplorer


@pytest.fixture
def app(tiny):
    return ExplainExplorer(tiny, n_steps=16)


def test_choosing_a_pair_fills_the_fields(app):
    app.pair.value = "panda"
    assert app.query.value == "what is panda?" and "giant panda" in app.passage.value


def test_run_renders_highlights_and_probes(app):
    app.method.value = "integrated_gradients"
    app.run_button.click()
    assert app.error is None
    ex = app.explanation
    assert ex.method == "integrated_gradients" and ex.n_steps == 16
    assert app.highlights.value.count('class="rk-w"') == len(ex.words)
    assert "Random weights" in app.badge.value and "Random weights" not in app.highlights.value  # one per widget
    assert "Random weights" not in app.probe_html.value
    assert app.probe_html.value.count("data-edit=") == len(app.probe_table) == 6
    assert "integrated gradients" in app.status.value
    assert not app.run_button.disabled  # the busy guard restored the controls


def test_typed_pair_with_occlusion_and_no_probes(tiny):
    app = ExplainExplorer(tiny)
    app.pair.value = "(type your own)"
    app.query.value, app.passage.value = "capital?", "Paris is the capital."
    app.method.value = "occlusion"
    app.with_probes.value = False
    app.run_button.click()
    assert [w.text for w in app.explanation.passage_words] == ["Paris", "is", "the", "capital."]
    assert app.probe_table is None and app.probe_html.value == ""


def test_errors_show_in_the_widget(app):
    app.passage.value = "   "
    app.run_button.click()
    assert app.explanation is None
    assert "passage is empty" in str(app.error)
    assert "Could not run" in app.highlights.value and "Traceback" not in app.highlights.value


def test_bag_of_words_values_reach_the_page():
    app = ExplainExplorer(bag_of_words_reranker({"Paris": 3.0}),
                          pairs=[("one", "capital?", "Paris is the capital.")])
    app.method.value = "occlusion"
    app.run_button.click()
    assert 'data-value="3"' in app.highlights.value


def test_bad_pair_list_is_refused(tiny):
    with pytest.raises(ValueError, match=r"pairs\[0\]"):
        ExplainExplorer(tiny, pairs=[("q", "p")])


def test_pairs_can_come_from_a_case_set(tiny):
    from types import SimpleNamespace as NS

    case = NS(id="kt-1", query="capital of France?",
              passages=[NS(id="a", text="Paris is the capital."), NS(id="b", text="Berlin is in Germany.")])
    app = ExplainExplorer(tiny, pairs=[case])
    assert list(app.pair.options) == ["(type your own)", "kt-1 / a", "kt-1 / b"]
    app.pair.value = "kt-1 / b"
    assert app.passage.value == "Berlin is in Germany." and app.query.value == "capital of France?"


def test_editing_the_text_makes_the_pair_typed(app):
    app.pair.value = "panda"
    app.passage.value = app.passage.value + " It eats bamboo."
    assert app.pair.value == "(type your own)"
    assert "bamboo" in app.passage.value  # the edit stays


@pytest.mark.parametrize(("typed", "used", "said"), [("1000", "256", "above the largest allowed, 256"),
                                                     ("2", "4", "below the smallest allowed, 4"), ("8", "8", "")])
def test_ig_steps_changes_are_said_in_the_widget(app, typed, used, said):
    app.n_steps.value = typed
    assert app.n_steps.value == used
    assert (said in app.notice_text) and (bool(said) == bool(app.notice_text))


def test_ig_steps_that_are_not_a_number_are_refused(app):
    app.n_steps.value = "many"
    assert "'many' is not a whole number" in app.notice_text
    app.run_button.click()
    assert app.explanation is None and "'many' is not a whole number" in str(app.error)


def test_the_estimate_shows_before_the_run_and_the_bar_moves(app):
    seen = []
    app.status.observe(lambda c: seen.append(c["new"]), names="value")
    app.progress.observe(lambda c: seen.append(("bar", c["new"])), names="value")
    app.method.value = "integrated_gradients"
    app.run_button.click()
    first_estimate = next(i for i, v in enumerate(seen) if isinstance(v, str) and "estimated about" in v)
    bars = [v[1] for v in seen if isinstance(v, tuple)]
    assert first_estimate < seen.index(("bar", bars[-1]))  # the estimate came before the work was done
    assert len(set(bars)) >= 3 and bars[-1] == app.progress.max  # the bar moved step by step to the end


def test_probes_say_not_run_instead_of_nan(tiny):
    app = ExplainExplorer(tiny)
    app.pair.value = "cross-lingual"
    app.method.value = "occlusion"
    app.run_button.click()
    assert "nan" not in app.probe_html.value.lower()
    assert "not run" in app.probe_html.value and "without spaces" in app.probe_html.value
    assert "中国的首都是哪里? x" not in app.probe_html.value  # no whole Chinese query repeated as a word


def test_a_stale_error_is_cleared_when_the_next_run_starts(app):
    app.passage.value = "   "
    app.run_button.click()
    assert "Could not run" in app.highlights.value
    seen: list[str] = []
    original = app._on_progress

    def watch(done, total, estimate, caught):
        seen.append(app.highlights.value)
        original(done, total, estimate, caught)

    app._on_progress = watch  # type: ignore[method-assign]
    app.passage.value = "Paris is the capital of France."
    app.run_button.click()
    assert seen and all("Could not run" not in value for value in seen)  # not shown during the new run
    assert app.error is None
