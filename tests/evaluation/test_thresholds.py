"""Threshold sweeps: precision and recall of "score >= t", cross-checked by counting."""

from __future__ import annotations

import numpy as np
import pytest

from rerankkit.evaluation.thresholds import sweep_thresholds


def counted(labels, scores, t):
    """Precision and recall counted by hand."""
    labels, passed = np.asarray(labels), np.asarray(scores) >= t
    tp = int((passed & (labels == 1)).sum())
    precision = tp / passed.sum() if passed.sum() else np.nan
    return precision, tp / (labels == 1).sum()


def test_matches_counting_on_random_data():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, size=60)
    labels[:2] = [0, 1]
    scores = np.clip(rng.normal(0.35 + 0.3 * labels, 0.2), 0, 1)
    frame = sweep_thresholds(labels, scores)
    assert len(frame) == 101 and frame.threshold.iloc[0] == 0.0 and frame.threshold.iloc[-1] == 1.0
    for row in frame.itertuples():
        precision, recall = counted(labels, scores, row.threshold)
        assert row.recall == pytest.approx(recall)
        assert (np.isnan(row.precision) and np.isnan(precision)) or row.precision == pytest.approx(precision)
        assert row.n_pass == int((scores >= row.threshold).sum())
    assert (np.diff(frame.recall) <= 1e-12).all()  # raising the bar never finds more


def test_perfectly_separated_scores():
    frame = sweep_thresholds([True, True, False, False], [0.9, 0.8, 0.2, 0.1], thresholds=[0.0, 0.5, 0.95])
    assert frame.precision.tolist()[:2] == [0.5, 1.0] and np.isnan(frame.precision.iloc[2])
    assert frame.recall.tolist() == [1.0, 1.0, 0.0]
    assert frame.f1.iloc[1] == 1.0


@pytest.mark.parametrize(
    ("labels", "scores", "words"),
    [
        ([1, 0], [2.3, -1.0], r"normalized scores in \[0, 1\].*normalize=True"),
        ([1, 0, 1], [0.2, 0.3], "scores has 2 values but labels has 3"),
        ([1, 2], [0.2, 0.3], r"labels\[1\] is 2"),
        ([1, 1], [0.2, 0.3], r"no irrelevant \(0\) pair"),
        ([], [], "non-empty"),
    ],
)
def test_bad_input_names_the_problem(labels, scores, words):
    with pytest.raises(ValueError, match=words):
        sweep_thresholds(labels, scores)
