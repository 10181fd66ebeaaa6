"""seaborn figures. Each function takes plain data (arrays, DataFrames, library results) and
returns a matplotlib Figure; none of them shows or saves anything."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rerankkit.display.style import FAIL_COLOUR, PASS_COLOUR, ROLE_COLOURS, random_weights_note

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__: list[str] = []


# -- retrieve-then-rerank and cross-lingual figures -------------------------------------------
__all__ += ["plot_bump", "plot_stage_metrics", "plot_crosslingual_heatmap", "plot_score_distributions"]
_ROLE_COLOURS = {**ROLE_COLOURS, "other query": "#bdbdbd"}


def plot_bump(shift: pd.DataFrame, *, query_id: str | None = None, title: str | None = None,
              max_label: int = 40) -> Figure:
    """Lines from each candidate's first-stage rank (left) to its reranked rank (right), coloured by role.

    Args:
        shift: A rank-shift table (:func:`rerankkit.evaluation.metrics.rank_shift` or ``PipelineResult.shift``).
        query_id: Which query to draw when the table holds several (default: the first).
        title: Figure title (default: the query id and stage names).
        max_label: Characters of passage text shown next to the reranked rank.

    Example:
        >>> import pandas as pd
        >>> t = pd.DataFrame({"query_id": "q", "passage_id": ["a", "b"], "text": ["A", "B"], "role": ["relevant",
        ...     "distractor"], "relevance": [2, 0], "first_stage": "bm25", "first_rank": [2, 1], "rerank_rank": [1, 2]})
        >>> len(plot_bump(t).axes)
        1
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    if shift.empty:
        raise ValueError("the rank-shift table is empty: run the pipeline on at least one case")
    query_id = shift["query_id"].iloc[0] if query_id is None else query_id
    rows = shift[shift["query_id"] == query_id]
    if rows.empty:
        raise ValueError(f"query_id {query_id!r} is not in the table; it has {sorted(set(shift['query_id']))[:5]}...")
    stage = rows["first_stage"].iloc[0] if "first_stage" in rows else "first stage"
    long = rows.melt(id_vars=["passage_id", "role", "text"], value_vars=["first_rank", "rerank_rank"],
                     var_name="stage", value_name="rank")
    long["x"] = (long["stage"] == "rerank_rank").astype(int)
    sns.set_theme(style="whitegrid")
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(rows) + 1.8))
    sns.lineplot(data=long, x="x", y="rank", hue="role", units="passage_id", estimator=None, marker="o",
                 palette=_ROLE_COLOURS, linewidth=2, ax=ax)
    for _, r in rows.iterrows():
        text = r["text"] if len(r["text"]) <= max_label else r["text"][: max_label - 1] + "…"
        ax.annotate(text, (1, r["rerank_rank"]), xytext=(8, 0), textcoords="offset points", va="center", fontsize=8)
    ax.set_xticks([0, 1], [f"{stage} rank", "reranked rank"])
    ax.set_xlim(-0.1, 1.9)
    ax.invert_yaxis()
    ax.set_xlabel("")
    ax.set_ylabel("rank (1 = top)")
    ax.legend(title="label", loc="lower left", bbox_to_anchor=(0, 1.0), ncol=5, fontsize=8, frameon=False)
    ax.set_title(title or f"{query_id}: {stage} → rerank", pad=28)
    fig.tight_layout()
    return fig


def plot_stage_metrics(summary: pd.DataFrame, *, title: str = "Mean over queries") -> Figure:
    """Grouped bars of mean metrics per stage (``PipelineResult.summary()`` or ``evaluate.mean_metrics``)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    long = summary.reset_index(names="stage").melt(id_vars="stage", var_name="metric", value_name="mean")
    sns.set_theme(style="whitegrid")
    fig, ax = plt.subplots(figsize=(max(6, 0.7 * long["metric"].nunique() + 2), 3.6))
    sns.barplot(data=long, x="metric", y="mean", hue="stage", ax=ax)
    ax.set_ylim(0, 1)
    ax.set_xlabel("")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_crosslingual_heatmap(matrix: pd.DataFrame, *, title: str = "", value_label: str = "raw logit",
                              fmt: str = ".1f") -> Figure:
    """Query language (rows) by passage language (columns), annotated (:func:`rerankkit.evaluation.crosslingual.score_matrix`).

    Example:
        >>> import pandas as pd
        >>> fig = plot_crosslingual_heatmap(pd.DataFrame([[1.0, 0.5], [0.4, 0.9]], index=["en", "zh"], columns=["en", "zh"]))
        >>> fig.axes[0].get_ylabel()
        'query language'
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="white")
    n_rows, n_cols = matrix.shape
    fig, ax = plt.subplots(figsize=(0.7 * n_cols + 2.5, 0.55 * n_rows + 1.5))
    sns.heatmap(matrix, annot=True, fmt=fmt, cmap="viridis", cbar_kws={"label": value_label}, ax=ax,
                annot_kws={"fontsize": 8})
    ax.set_xlabel("passage language")
    ax.set_ylabel("query language")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_score_distributions(frame: pd.DataFrame, *, pairs: list[tuple[str, str]] | None = None,
                             threshold: float | None = 0.5, value: str = "score", title: str = "") -> Figure:
    """Scores of matching and non-matching passages per language pair, with the threshold as a line.

    Args:
        frame: From :func:`rerankkit.evaluation.crosslingual.pair_scores`.
        pairs: ``(query language, passage language)`` pairs to show (default: every pair, up to 12).
        threshold: A normalized-score cut to draw (only when ``value="score"``); ``None`` for none.
        value: ``"score"`` (sigmoid, in [0, 1]) or ``"logit"``.
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    if value not in ("score", "logit"):
        raise ValueError(f"value must be 'score' or 'logit', got {value!r}")
    data = frame.assign(pair=frame["query_lang"] + "→" + frame["passage_lang"],
                        kind=frame["match"].map({True: "same fact", False: "other"}))
    if pairs is None:
        order = list(dict.fromkeys(data["pair"]))[:12]
    else:
        order = [f"{q}→{p}" for q, p in pairs]
        missing = [p for p in order if p not in set(data["pair"])]
        if missing:
            raise ValueError(f"pairs {missing} are not in the frame; score those languages first")
    data = data[data["pair"].isin(order)]
    sns.set_theme(style="whitegrid")
    fig, ax = plt.subplots(figsize=(max(6, 0.8 * len(order) + 2), 4))
    sns.boxplot(data=data, x="pair", y=value, hue="kind", order=order, hue_order=["same fact", "other"],
                palette={"same fact": PASS_COLOUR, "other": "#9e9e9e"}, fliersize=0, ax=ax)
    sns.stripplot(data=data, x="pair", y=value, hue="kind", order=order, hue_order=["same fact", "other"],
                  dodge=True, size=3, alpha=0.5, palette={"same fact": "#1b5e20", "other": "#616161"}, ax=ax,
                  legend=False)
    if threshold is not None and value == "score":
        ax.axhline(threshold, color=FAIL_COLOUR, linestyle="--", linewidth=1)
        ax.annotate(f"threshold {threshold:.2f}", (len(order) - 0.5, threshold), xytext=(0, 4),
                    textcoords="offset points", ha="right", color=FAIL_COLOUR, fontsize=8)
    ax.set_xlabel("query language → passage language")
    ax.set_ylabel("sigmoid score" if value == "score" else "raw logit")
    ax.set_title(title)
    ax.legend(title="")
    fig.tight_layout()
    return fig


# -- score scale, padding and threshold figures ------------------------------------------------
__all__ += ["plot_score_scale", "plot_padding", "plot_threshold_sweep"]


def _figure(width: float = 7, height: float = 4) -> tuple[Figure, Axes]:
    """A new figure and axes, closed in pyplot so that a notebook shows it once, as the cell's value.

    Creating it through pyplot loads the notebook's inline backend, which is what renders a
    returned Figure as an image.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width, height))
    plt.close(fig)
    return fig, ax


def plot_score_scale(logits: Sequence[float] | np.ndarray | None = None, *,
                     labels: Sequence[int] | np.ndarray | None = None, threshold: float | None = 0.5,
                     title: str | None = None) -> Figure:
    """The sigmoid curve from raw logit to sigmoid score, with scored pairs marked on it.

    Args:
        logits: Raw logits to mark on the curve (optional).
        labels: One 0/1 label per logit (optional): relevant pairs are drawn green, irrelevant red.
        threshold: A normalized-score cut-off to draw, with the logit it corresponds to.
        title: Figure title.

    Example:
        >>> fig = plot_score_scale([-3.0, 0.5, 4.0], labels=[0, 0, 1])
        >>> [ax.get_xlabel() for ax in fig.axes]
        ['raw logit (model output)']
        >>> sorted(t.get_text() for t in fig.axes[0].get_legend().get_texts())
        ['irrelevant pairs', 'relevant pairs', 'sigmoid(logit)']
    """
    import numpy as np
    import pandas as pd
    import seaborn as sns

    from rerankkit.score_scale import sigmoid

    marked = np.asarray([] if logits is None else logits, dtype=np.float64).reshape(-1)
    reach = max(10.0, float(np.abs(marked).max()) + 1.0) if marked.size else 10.0
    grid = np.linspace(-reach, reach, 401)
    fig, ax = _figure()
    sns.lineplot(x=grid, y=sigmoid(grid), ax=ax, color="#555", label="sigmoid(logit)")
    if marked.size and labels is not None:
        flags = np.asarray(labels).reshape(-1)
        if flags.shape != marked.shape:
            raise ValueError(f"labels has {flags.size} values for {marked.size} logits: give one label per logit")
        for value, name, colour, shape in ((1, "relevant pairs", PASS_COLOUR, "o"),
                                           (0, "irrelevant pairs", FAIL_COLOUR, "X")):
            chosen = marked[flags == value]
            if chosen.size:
                ax.scatter(chosen, sigmoid(chosen), s=60, color=colour, marker=shape, zorder=3, label=name)
        ax.legend(loc="upper left")
    elif marked.size:
        points = pd.DataFrame({"logit": marked, "score": sigmoid(marked)})
        sns.scatterplot(data=points, x="logit", y="score", ax=ax, s=60, color="#1f77b4", zorder=3,
                        label="scored pairs")
    if threshold is not None:
        cut = float(np.log(threshold / (1 - threshold))) if 0 < threshold < 1 else None
        ax.axhline(threshold, color=FAIL_COLOUR, ls="--", lw=1)
        if cut is not None:
            ax.axvline(cut, color=FAIL_COLOUR, ls=":", lw=1)
            ax.annotate(f"threshold {threshold:.2f} = logit {cut:+.2f}", (cut, threshold),
                        xytext=(8, -14), textcoords="offset points", color=FAIL_COLOUR)
    ax.set(xlabel="raw logit (model output)", ylabel="sigmoid score in [0, 1]", title=title or
           "Raw logit against sigmoid score")
    ax.set_ylim(-0.03, 1.03)
    fig.tight_layout()
    return fig


def plot_padding(frame: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Share of processed tokens that are padding, per batch size, unsorted against length-sorted.

    Args:
        frame: The DataFrame from :func:`rerankkit.measure.padding.padding_report` or
            :func:`rerankkit.measure.padding.padding_table`.
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


def plot_threshold_sweep(frame: pd.DataFrame, *, presets: dict[str, float] | None = None,
                         title: str | None = None) -> Figure:
    """Precision, recall and F1 against the threshold, with the named presets marked.

    Args:
        frame: The DataFrame from :func:`rerankkit.evaluation.thresholds.sweep_thresholds`.
        presets: Name -> threshold to mark (default: the library's presets).
        title: Figure title.

    Example:
        >>> from rerankkit.evaluation.thresholds import sweep_thresholds
        >>> fig = plot_threshold_sweep(sweep_thresholds([1, 0, 1, 0], [0.9, 0.6, 0.4, 0.1]))
        >>> fig.axes[0].get_xlabel()
        'threshold on the normalized score'
    """
    import seaborn as sns

    from rerankkit.score_scale import THRESHOLD_PRESETS

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


# -- timing ---------------------------------------------------------------------------------

__all__ += ["plot_throughput", "plot_latency", "plot_cold_start"]

def _timed(table: pd.DataFrame) -> pd.DataFrame:
    """Rows of a :func:`rerankkit.measure.timing.benchmark` table that ran, with a device/dtype label."""
    if "status" not in table.columns or "pairs_per_s" not in table.columns:
        raise ValueError("expected a table from rerankkit.measure.timing.benchmark (columns status, pairs_per_s, ...)")
    ok = table[table["status"] == "ok"].copy()
    if ok.empty:
        raise ValueError("no row of the timing table ran (every row is unavailable): nothing to plot")
    ok["setting"] = ok["device"].astype(str) + " " + ok["dtype"].astype(str)
    ok["length"] = ok["length"].astype(str)
    return ok


def _timing_title(ax: Axes, table: pd.DataFrame, text: str) -> None:
    only = "timing_only" in table.columns and bool(table["timing_only"].fillna(False).astype(bool).any())
    ax.set_title(text + (f"\n({random_weights_note(timing_only=True).split(':')[0]})" if only else ""))


def _timing_done(fig: Figure, ax: Axes, table: pd.DataFrame, title: str) -> Figure:
    """Title a timing figure (saying when the weights were random) and lay it out."""
    _timing_title(ax, table, title)
    fig.tight_layout()
    return fig


def plot_throughput(table: pd.DataFrame) -> Figure:
    """Bar chart of pairs/s by device and dtype, one bar group per batch size (median, with min-max).

    Example:
        >>> import pandas as pd
        >>> t = pd.DataFrame({"device": ["cpu", "cpu"], "dtype": ["fp32", "int8"], "batch_size": [8, 8],
        ...                   "length": [64, 64], "pairs_per_s": [10.0, 25.0], "status": ["ok", "ok"]})
        >>> plot_throughput(t).axes[0].get_ylabel()
        'pairs/s (median of repeats)'
    """
    import seaborn as sns

    ok = _timed(table)
    fig, ax = _figure(7, 3.8)
    sns.barplot(data=ok, x="setting", y="pairs_per_s", hue="batch_size", ax=ax, errorbar=None, palette="crest")
    ax.set_xlabel("device and dtype")
    ax.set_ylabel("pairs/s (median of repeats)")
    ax.legend(title="batch size", fontsize=8)
    return _timing_done(fig, ax, ok, "Throughput by device and dtype (lengths pooled)" if ok["length"].nunique() > 1
                        else f"Throughput by device and dtype ({ok['length'].iloc[0]} tokens per pair)")


def plot_latency(table: pd.DataFrame) -> Figure:
    """Median batch latency (p50, with p95 dashed) against batch size, one line per device/dtype and length.

    Example:
        >>> import pandas as pd
        >>> t = pd.DataFrame({"device": ["cpu"] * 2, "dtype": ["fp32"] * 2, "batch_size": [4, 8], "length": [64, 64],
        ...                   "pairs_per_s": [1.0, 2.0], "latency_p50_ms": [10.0, 18.0], "latency_p95_ms": [12.0, 20.0],
        ...                   "status": ["ok", "ok"]})
        >>> plot_latency(t).axes[0].get_xlabel()
        'batch size (pairs)'
    """
    import seaborn as sns

    ok = _timed(table)
    fig, ax = _figure(7.5, 4.2)
    sns.lineplot(data=ok, x="batch_size", y="latency_p50_ms", hue="setting", style="length", markers=True, ax=ax)
    for _, group in ok.groupby(["setting", "length"]):
        group = group.sort_values("batch_size")
        ax.plot(group["batch_size"], group["latency_p95_ms"], linestyle=":", color="grey", linewidth=1)
    ax.set_xlabel("batch size (pairs)")
    ax.set_ylabel("batch latency, ms")
    return _timing_done(fig, ax, ok, "Latency per batch (p50 solid, p95 dotted)")


def plot_cold_start(table: pd.DataFrame) -> Figure:
    """Load time and first-response time per device and dtype (from a benchmark table or cold_start rows).

    Example:
        >>> import pandas as pd
        >>> t = pd.DataFrame({"device": ["cpu"], "dtype": ["fp32"], "load_s": [1.5], "first_response_s": [0.2],
        ...                   "status": ["ok"], "pairs_per_s": [3.0], "length": [64]})
        >>> plot_cold_start(t).axes[0].get_ylabel()
        'seconds'
    """
    import seaborn as sns

    ok = _timed(table).drop_duplicates(["setting"])
    long = ok.melt(id_vars=["setting"], value_vars=["load_s", "first_response_s"], var_name="phase", value_name="seconds")
    long["phase"] = long["phase"].map({"load_s": "load", "first_response_s": "first response"})
    fig, ax = _figure(7, 3.4)
    sns.barplot(data=long, x="setting", y="seconds", hue="phase", ax=ax, palette="flare")
    ax.set_xlabel("device and dtype")
    ax.set_ylabel("seconds")
    return _timing_done(fig, ax, ok, "Cold start: loading, then the first forward pass")


__all__ += ["plot_length_scaling"]


def plot_length_scaling(table: pd.DataFrame, *, title: str = "Time per pair against length") -> Figure:
    """Two panels from a length grid of :func:`rerankkit.measure.timing.benchmark`: seconds per pair against
    tokens per pair (log-log, one line per device/dtype and batch size), and the measured growth per doubling
    of length beside the analytic share of attention's L^2 FLOPs.

    Example:
        >>> import pandas as pd
        >>> t = pd.DataFrame({"device": "cpu", "dtype": "fp32", "batch_size": 1, "length": [128, 256, 512],
        ...     "pairs_per_s": [8.0, 3.9, 1.8], "growth_per_doubling": [None, 2.05, 2.2],
        ...     "attention_flop_share": [0.02, 0.04, 0.08], "status": "ok"})
        >>> [ax.get_xlabel() for ax in plot_length_scaling(t).axes[:2]]
        ['tokens per pair (log scale)', 'tokens per pair (log scale)']
    """
    import matplotlib.pyplot as plt

    ok = table[(table["status"] == "ok") & table["length"].map(lambda n: str(n).isdigit())].copy()
    if ok.empty:
        raise ValueError("no row of the table has a measured integer length: run benchmark() with lengths=[...]")
    ok["tokens"] = ok["length"].astype(int)
    ok["seconds_per_pair"] = 1.0 / ok["pairs_per_s"].astype(float)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    share_drawn = False
    for (device, dtype, batch), group in ok.sort_values("tokens").groupby(["device", "dtype", "batch_size"], sort=False):
        label = f"{device} {dtype}, batch {batch}"
        left.plot(group["tokens"], group["seconds_per_pair"], marker="o", label=label)
        if "growth_per_doubling" in group:
            right.plot(group["tokens"], group["growth_per_doubling"], marker="o", label=f"growth, {label}")
        if not share_drawn and "attention_flop_share" in group:
            share = right.twinx()
            share.plot(group["tokens"], group["attention_flop_share"], color="grey", linestyle="--",
                       label="attention share of FLOPs (analytic)")
            share.set_ylim(0, 1)
            share.set_ylabel("attention share of FLOPs (dashed)")
            share_drawn = True
    for ax in (left, right):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("tokens per pair (log scale)")
    left.set_yscale("log")
    left.set_ylabel("seconds per pair (median)")
    left.legend(fontsize=8)
    right.axhline(2, color="lightgrey", linewidth=0.8)
    right.axhline(4, color="lightgrey", linewidth=0.8)
    right.set_ylabel("time growth per doubling (2 linear, 4 quadratic)")
    right.legend(fontsize=7, loc="upper left")
    _timing_title(left, ok, title)
    right.set_title("Growth per doubling of length")
    fig.tight_layout()
    plt.close(fig)
    return fig
