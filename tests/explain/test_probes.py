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
