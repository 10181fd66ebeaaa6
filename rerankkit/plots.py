"""seaborn figures. Each function takes plain data (arrays, DataFrames, library results) and
returns a matplotlib Figure; none of them shows or saves anything."""

from __future__ import annotations

__all__: list[str] = []


# -- timing ---------------------------------------------------------------------------------

__all__ += ["throughput_plot", "latency_plot", "padding_plot", "cold_start_plot"]

def _timed(table):
    """Rows of a :func:`rerankkit.timing.benchmark` table that ran, with a device/dtype label."""
    if "status" not in table.columns or "pairs_per_s" not in table.columns:
        raise ValueError("expected a table from rerankkit.timing.benchmark (columns status, pairs_per_s, ...)")
    ok = table[table["status"] == "ok"].copy()
    if ok.empty:
        raise ValueError("no row of the timing table ran (every row is unavailable): nothing to plot")
    ok["setting"] = ok["device"].astype(str) + " " + ok["dtype"].astype(str)
    ok["length"] = ok["length"].astype(str)
    return ok


def _timing_title(ax, table, text: str) -> None:
    only = "timing_only" in table.columns and bool(table["timing_only"].fillna(False).astype(bool).any())
    ax.set_title(text + ("\n(random weights: timing only)" if only else ""))


def throughput_plot(table):
    """Bar chart of pairs/s by device and dtype, one bar group per batch size (median, with min-max).

    Example:
        >>> import pandas as pd
        >>> t = pd.DataFrame({"device": ["cpu", "cpu"], "dtype": ["fp32", "int8"], "batch_size": [8, 8],
        ...                   "length": [64, 64], "pairs_per_s": [10.0, 25.0], "status": ["ok", "ok"]})
        >>> throughput_plot(t).axes[0].get_ylabel()
        'pairs/s (median of repeats)'
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    ok = _timed(table)
    fig, ax = plt.subplots(figsize=(7, 3.8))
    sns.barplot(data=ok, x="setting", y="pairs_per_s", hue="batch_size", ax=ax, errorbar=None, palette="crest")
    ax.set_xlabel("device and dtype")
    ax.set_ylabel("pairs/s (median of repeats)")
    ax.legend(title="batch size", fontsize=8)
    _timing_title(ax, ok, "Throughput by device and dtype (lengths pooled)" if ok["length"].nunique() > 1
                  else f"Throughput by device and dtype ({ok['length'].iloc[0]} tokens per pair)")
    fig.tight_layout()
    plt.close(fig)
    return fig


def latency_plot(table):
    """Median batch latency (p50, with p95 dashed) against batch size, one line per device/dtype and length.

    Example:
        >>> import pandas as pd
        >>> t = pd.DataFrame({"device": ["cpu"] * 2, "dtype": ["fp32"] * 2, "batch_size": [4, 8], "length": [64, 64],
        ...                   "pairs_per_s": [1.0, 2.0], "latency_p50_ms": [10.0, 18.0], "latency_p95_ms": [12.0, 20.0],
        ...                   "status": ["ok", "ok"]})
        >>> latency_plot(t).axes[0].get_xlabel()
        'batch size (pairs)'
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    ok = _timed(table)
    fig, ax = plt.subplots(figsize=(7, 3.8))
    sns.lineplot(data=ok, x="batch_size", y="latency_p50_ms", hue="setting", style="length", markers=True, ax=ax)
    for _, group in ok.groupby(["setting", "length"]):
        group = group.sort_values("batch_size")
        ax.plot(group["batch_size"], group["latency_p95_ms"], linestyle=":", color="grey", linewidth=1)
    ax.set_xlabel("batch size (pairs)")
    ax.set_ylabel("batch latency, ms (p50; dotted: p95)")
    _timing_title(ax, ok, "Latency per batch against batch size")
    fig.tight_layout()
    plt.close(fig)
    return fig


def padding_plot(lengths, batch_sizes=(1, 4, 8, 16, 32, 64)):
    """Share of padded compute that is real tokens, with and without sorting pairs by length.

    Args:
        lengths: Tokens per pair (e.g. ``rerankkit.timing.mixed_lengths(512)`` or ``rr.encode(pairs).n_tokens``).
        batch_sizes: Batch sizes to compare.

    Example:
        >>> from rerankkit.timing import mixed_lengths
        >>> len(padding_plot(mixed_lengths(64), batch_sizes=(4, 16)).axes)
        1
    """
    import matplotlib.pyplot as plt
    import pandas as pd
    import seaborn as sns

    from .timing import padding_efficiency

    rows = [{"batch size": b, "order": order, "real tokens / padded tokens": padding_efficiency(lengths, b, sort=sort)}
            for b in batch_sizes for order, sort in (("input order", False), ("sorted by length", True))]
    fig, ax = plt.subplots(figsize=(7, 3.6))
    sns.barplot(data=pd.DataFrame(rows), x="batch size", y="real tokens / padded tokens", hue="order", ax=ax,
                palette=["#bbbbbb", "#2e7d32"])
    ax.set_ylim(0, 1.05)
    ax.set_title(f"Padding: compute spent on real tokens ({len(lengths)} pairs)")
    fig.tight_layout()
    plt.close(fig)
    return fig


def cold_start_plot(table):
    """Load time and first-response time per device and dtype (from a benchmark table or cold_start rows).

    Example:
        >>> import pandas as pd
        >>> t = pd.DataFrame({"device": ["cpu"], "dtype": ["fp32"], "load_s": [1.5], "first_response_s": [0.2],
        ...                   "status": ["ok"], "pairs_per_s": [3.0], "length": [64]})
        >>> cold_start_plot(t).axes[0].get_ylabel()
        'seconds'
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    ok = _timed(table).drop_duplicates(["setting"])
    long = ok.melt(id_vars=["setting"], value_vars=["load_s", "first_response_s"], var_name="phase", value_name="seconds")
    long["phase"] = long["phase"].map({"load_s": "load", "first_response_s": "first response"})
    fig, ax = plt.subplots(figsize=(7, 3.4))
    sns.barplot(data=long, x="setting", y="seconds", hue="phase", ax=ax, palette="flare")
    ax.set_xlabel("device and dtype")
    ax.set_ylabel("seconds")
    _timing_title(ax, ok, "Cold start: loading, then the first forward pass")
    fig.tight_layout()
    plt.close(fig)
    return fig
