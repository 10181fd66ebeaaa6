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
    assert "Random weights" in app.highlights.value
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
