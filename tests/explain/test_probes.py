"""What-if probes: known changes on the bag-of-words model, direct scores on the tiny model."""

from __future__ import annotations

import math

import pytest

from rerankkit.explain import probes

# Cost notes and the deliberate non-convergence below are asserted where they matter.
pytestmark = pytest.mark.filterwarnings(
    "ignore::rerankkit.explain.SlowExplanationWarning", "ignore::rerankkit.explain.ConvergenceWarning"
)

QUERY = "What is the capital of France?"


# -- probes ------------------------------------------------------------------------------------
def test_probes_on_the_bow_model_have_known_changes(bow):
    table = probes(bow, "Is the panda a bear?", "The panda is a bear.", off_topic="We sell shoes.")
    assert table.score == pytest.approx(0.5 + 2 * (2.0 - 0.75), abs=1e-6)
    assert table["repeat a query term"].change == pytest.approx(3 * 2.0, abs=1e-5)  # key term: "panda"
    assert table["drop a query term"].change == pytest.approx(-2.0, abs=1e-5)
    assert table["shuffle the passage words"].change == pytest.approx(0.0, abs=1e-5)  # order does not matter
    assert table["swap query and passage"].change == pytest.approx(0.0, abs=1e-5)
    assert table["append off-topic text"].change == pytest.approx(0.0, abs=1e-5)
    assert table["negate the key sentence"].passage == "The panda is not a bear."
    frame = table.to_frame()
    assert list(frame.columns) == ["edit", "side", "edited text", "score", "change", "note"]
    assert len(frame) == 6


def test_probes_mark_edits_that_do_not_apply(tiny):
    table = probes(tiny, "capital of France?", "Bonjour")
    row = table["drop a query term"]
    assert math.isnan(row.score) and "no query word" in row.note
    assert math.isnan(table["shuffle the passage words"].score)
    assert "data-edit" in table._repr_html_()


def test_probe_scores_match_direct_scoring(tiny):
    table = probes(tiny, QUERY, "Paris is the capital of France.")
    swap = table["swap query and passage"]
    assert swap.score == pytest.approx(tiny.score("Paris is the capital of France.", QUERY), abs=1e-4)


def test_hindi_probes_keep_words_whole_and_are_not_wrapped_in_english(bow):
    # Before: \w+ cut "राजधानी" at its vowel signs, so "drop a query term" removed a piece of a word, and the
    # negation probe wrapped the Hindi sentence in "It is not true that ...".
    table = probes(bow, "भारत की राजधानी क्या है?", "नई दिल्ली भारत की राजधानी है।")
    drop = table["drop a query term"]
    assert drop.note == "removed every 'राजधानी'" and drop.passage == "नई दिल्ली भारत की है।"
    negation = table["negate the key sentence"]
    assert math.isnan(negation.score) and "English only" in negation.note
    assert "It is not true" not in negation.passage
    assert table["repeat a query term"].passage.endswith("राजधानी राजधानी राजधानी")


def test_an_edit_beyond_the_token_cut_says_it_was_never_read(tiny):
    # Before: appending to a passage longer than max_length reported a change of 0.000 for text the model never saw.
    passage = "Paris is the capital of France. " + "The weather was mild that spring and the markets were busy. " * 80
    with pytest.warns(Warning):  # the long pair is truncated (and said so)
        table = probes(tiny, QUERY, passage)
    for edit in ("append off-topic text", "repeat a query term"):
        row = table[edit]
        assert math.isnan(row.change) and row.note.startswith("never read: the edit lies beyond the")
    assert not math.isnan(table["swap query and passage"].score)  # an edit inside the cut is scored
    assert "never read" in table.to_html() and "never read" in repr(table)
