"""seaborn figures. Each function takes plain data (arrays, DataFrames, library results) and
returns a matplotlib Figure; none of them shows or saves anything."""

from __future__ import annotations

__all__: list[str] = []


__all__ += ["plot_score_scale", "plot_padding", "plot_threshold_sweep"]


def _figure(width: float = 7, height: float = 4):
    """A new figure and axes, closed in pyplot so that a notebook shows it once, as the cell's value.

    Creating it through pyplot loads the notebook's inline backend, which is what renders a
    returned Figure as an image.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width, height))
    plt.close(fig)
    return fig, ax


def plot_score_scale(logits=None, *, threshold: float | None = 0.5, title: str | None = None):
    """The sigmoid curve from raw logit to normalized score, with scored pairs marked on it.

    Args:
        logits: Raw logits to mark on the curve (optional).
        threshold: A normalized-score cut-off to draw, with the logit it corresponds to.
        title: Figure title.

    Example:
        >>> fig = plot_score_scale([-3.0, 0.5, 4.0])
        >>> [ax.get_xlabel() for ax in fig.axes]
        ['raw logit (model output)']
    """
    import numpy as np
    import pandas as pd
    import seaborn as sns

    from .reranker import sigmoid

    marked = np.asarray([] if logits is None else logits, dtype=np.float64).reshape(-1)
    reach = max(10.0, float(np.abs(marked).max()) + 1.0) if marked.size else 10.0
    grid = np.linspace(-reach, reach, 401)
    fig, ax = _figure()
    sns.lineplot(x=grid, y=sigmoid(grid), ax=ax, color="#555", label="sigmoid(logit)")
    if marked.size:
        points = pd.DataFrame({"logit": marked, "score": sigmoid(marked)})
        sns.scatterplot(data=points, x="logit", y="score", ax=ax, s=60, color="#1f77b4", zorder=3,
                        label="scored pairs")
    if threshold is not None:
        cut = float(np.log(threshold / (1 - threshold))) if 0 < threshold < 1 else None
        ax.axhline(threshold, color="#c62828", ls="--", lw=1)
        if cut is not None:
            ax.axvline(cut, color="#c62828", ls=":", lw=1)
            ax.annotate(f"threshold {threshold:.2f} = logit {cut:+.2f}", (cut, threshold),
                        xytext=(8, -14), textcoords="offset points", color="#c62828")
    ax.set(xlabel="raw logit (model output)", ylabel="normalized score in [0, 1]", title=title or
           "Raw logit against normalized score")
    ax.set_ylim(-0.03, 1.03)
    fig.tight_layout()
    return fig


def plot_padding(frame, *, title: str | None = None):
    """Share of processed tokens that are padding, per batch size, unsorted against length-sorted.

    Args:
        frame: The DataFrame from :func:`rerankkit.batching.padding_report`.
        title: Figure title.

    Example:
        >>> import pandas as pd
        >>> frame = pd.DataFrame({"batch_size": [4, 4], "order": ["input order", "length-sorted"],
        ...                       "padding_share": [0.4, 0.1]})
        >>> fig = plot_padding(frame)
        >>> fig.axes[0].get_ylabel()
        'padding share of processed tokens'
    """
    import seaborn as sns

    fig, ax = _figure()
    sns.barplot(data=frame, x="batch_size", y="padding_share", hue="order", ax=ax)
    ax.set(xlabel="batch size (pairs per forward pass)", ylabel="padding share of processed tokens",
           title=title or "Padding: input order against length-sorted batches")
    ax.set_ylim(0, 1)
    fig.tight_layout()
    return fig


def plot_threshold_sweep(frame, *, presets: dict[str, float] | None = None, title: str | None = None):
    """Precision, recall and F1 against the threshold, with the named presets marked.

    Args:
        frame: The DataFrame from :func:`rerankkit.thresholds.sweep_thresholds`.
        presets: Name -> threshold to mark (default: the library's presets).
        title: Figure title.

    Example:
        >>> from rerankkit.thresholds import sweep_thresholds
        >>> fig = plot_threshold_sweep(sweep_thresholds([1, 0, 1, 0], [0.9, 0.6, 0.4, 0.1]))
        >>> fig.axes[0].get_xlabel()
        'threshold on the normalized score'
    """
    import seaborn as sns

    from .results import THRESHOLD_PRESETS

    if presets is None:
        presets = {name: p.value for name, p in THRESHOLD_PRESETS.items()}
    tidy = frame.melt(id_vars="threshold", value_vars=["precision", "recall", "f1"], var_name="metric")
    fig, ax = _figure()
    sns.lineplot(data=tidy, x="threshold", y="value", hue="metric", ax=ax)
    for name, value in presets.items():
        ax.axvline(value, color="#999", ls=":", lw=1)
        ax.text(value, 1.02, name, rotation=0, ha="center", va="bottom", fontsize=8, color="#555")
    ax.set(xlabel="threshold on the normalized score", ylabel="value", title=title or
           "Precision and recall as the threshold moves")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.1)
    fig.tight_layout()
    return fig
