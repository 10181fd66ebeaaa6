"""The score-scale, padding and threshold figures draw what they are given."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from rerankkit.display.plots import plot_padding, plot_score_scale, plot_threshold_sweep
from rerankkit.evaluation.thresholds import sweep_thresholds


def test_score_scale_marks_each_logit_on_the_sigmoid():
    logits = np.array([-12.0, -1.0, 0.0, 3.5])
    fig = plot_score_scale(logits, threshold=0.8)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    points = ax.collections[-1].get_offsets()
    np.testing.assert_allclose(points[:, 0], logits)
    np.testing.assert_allclose(points[:, 1], 1 / (1 + np.exp(-logits)))
    assert ax.get_xlim()[0] <= -12.0  # the axis widens to show every point
    assert any("logit +1.39" in t.get_text() for t in ax.texts)  # sigmoid(1.386) = 0.8


def test_padding_draws_one_bar_per_batch_size_and_order():
    import pandas as pd

    frame = pd.DataFrame({"batch_size": [1, 1, 8, 8], "order": ["input order", "length-sorted"] * 2,
                          "padding_share": [0.0, 0.0, 0.5, 0.1]})
    heights = sorted(round(p.get_height(), 3) for p in plot_padding(frame).axes[0].patches if p.get_height() > 0)
    assert heights == [0.1, 0.5]


def test_threshold_sweep_draws_three_curves_and_the_presets():
    fig = plot_threshold_sweep(sweep_thresholds([1, 0, 1, 0], [0.9, 0.6, 0.4, 0.1]))
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["precision", "recall", "f1"]
    assert {t.get_text() for t in ax.texts} == {"strict", "balanced", "permissive"}
