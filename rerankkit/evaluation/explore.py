"""Looking into an evaluation: uploaded files as data, passages side by side, a precision target's threshold, a plot.

Example:
    >>> from rerankkit.evaluation import evaluate, load_fixture
    >>> data = load_fixture()
    >>> report = evaluate(data, "tiny-random", top_n=5, show_progress=False)
    >>> side = side_by_side(report, data, report.per_query.qid[0], k=2)
    >>> list(side.columns)
    ['rank', 'base_docid', 'base_grade', 'base_text', 'reranked_docid', 'reranked_grade', 'reranked_text']
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rerankkit.display.style import FAIL_COLOUR, NEUTRAL_COLOUR, PASS_COLOUR
from rerankkit.evaluation.datasets import CORPUS, QRELS, QUERIES, RUN, EvalData, from_files

if TYPE_CHECKING:
    import pandas as pd

    from rerankkit.evaluation.report import EvaluationReport

__all__ = ["data_from_uploads", "plot_query_deltas", "precision_threshold", "side_by_side"]

# Which file is which, by words in its name (first match wins).
_ROLES = (("qrels", ("qrel", "judg")), ("run", ("run", "trec_run", "bm25", "top")),
          ("queries", ("quer", "topic")), ("corpus", ("corpus", "collection", "doc", "passage")))


def data_from_uploads(files: Mapping[str, bytes], *, folder: str | Path | None = None) -> EvalData:
    """Evaluation data from uploaded files, told apart by name (``queries``, ``corpus``, ``qrels``, ``run``).

    Args:
        files: ``{file name: content}``, e.g. from an ipywidgets ``FileUpload``.
        folder: Where to write them before reading (default: a new temporary folder).

    Example:
        >>> from rerankkit.evaluation.datasets import FIXTURE_DIR
        >>> files = {p.name: p.read_bytes() for p in FIXTURE_DIR.iterdir()}
        >>> data_from_uploads(files).run_name
        'run'
    """
    folder = Path(folder or tempfile.mkdtemp(prefix="rerankkit-upload-"))
    found: dict[str, Path] = {}
    for name, content in files.items():
        lower = Path(name).name.lower()
        role = next((r for r, words in _ROLES if any(w in lower for w in words)), None)
        if role is None:
            raise ValueError(f"cannot tell what {name!r} holds: name files like queries.tsv, corpus.jsonl, "
                             "qrels.trec and run.trec")
        if role in found:
            raise ValueError(f"two {role} files ({found[role].name!r} and {name!r}): upload one of each")
        path = folder / Path(name).name
        path.write_bytes(bytes(content))
        found[role] = path
    missing = [r for r in ("queries", "corpus", "qrels") if r not in found]
    if missing:
        raise ValueError(f"missing {', '.join(missing)} file(s): upload queries ({QUERIES} or .tsv), corpus "
                         f"({CORPUS}, .tsv or .parquet) and qrels ({QRELS}); a run ({RUN}) is optional")
    return from_files(found["queries"], found["corpus"], found["qrels"], found.get("run"), name="uploaded files")


def side_by_side(report: EvaluationReport, data: EvalData, qid: str, *, k: int = 5) -> pd.DataFrame:
    """A query's top ``k`` before and after reranking, with grades and texts, one row per rank."""
    import pandas as pd

    if qid not in report.reranked:
        raise KeyError(f"query {qid!r} was not reranked; choose one of report.per_query.qid")
    labels = data.qrels.get(qid, {})
    base = list(report.base[qid])[:k]
    rer = list(report.reranked[qid])[:k]
    rows = []
    for i in range(max(len(base), len(rer))):
        row: dict[str, object] = {"rank": i + 1}
        for stage, ids in (("base", base), ("reranked", rer)):
            d = ids[i] if i < len(ids) else None
            row.update({f"{stage}_docid": d, f"{stage}_grade": labels.get(d, 0) if d else None,
                        f"{stage}_text": data.docs[d] if d else ""})
        rows.append(row)
    return pd.DataFrame(rows)


def precision_threshold(report: EvaluationReport, data: EvalData, target: float = 0.8) -> dict:
    """The lowest sigmoid-score threshold whose passing reranked pairs reach ``target`` precision.

    Pairs are the reranked top N of judged queries; a document the qrels do not grade counts as not
    relevant (the usual reading of sparse judgements, which makes precision a lower bound).

    Returns:
        ``threshold`` (None when no threshold reaches the target), ``precision``, ``recall``, ``n_pass``,
        ``n_pairs`` and the full ``sweep`` frame.
    """
    from rerankkit.evaluation.thresholds import sweep_thresholds
    from rerankkit.score_scale import sigmoid

    if not 0 < target <= 1:
        raise ValueError(f"target must be a precision in (0, 1], got {target!r}")
    labels, scores = [], []
    for qid, docs in report.reranked.items():
        if not data.qrels.get(qid):
            continue
        for d, logit in docs.items():
            labels.append(int(data.qrels[qid].get(d, 0) >= 1))
            scores.append(logit)
    sweep = sweep_thresholds(labels, np.asarray(sigmoid(np.asarray(scores))))
    ok = sweep[sweep["precision"] >= target]
    if ok.empty:
        return {"threshold": None, "precision": float(sweep["precision"].max()), "recall": None, "n_pass": 0,
                "n_pairs": len(labels), "sweep": sweep}
    row = ok.iloc[0]
    return {"threshold": float(row.threshold), "precision": float(row.precision), "recall": float(row.recall),
            "n_pass": int(row.n_pass), "n_pairs": len(labels), "sweep": sweep}


def plot_query_deltas(report: EvaluationReport, *, metric: str = "nDCG@10", title: str | None = None):
    """Per-query change of ``metric`` (Reranked − Base), sorted, worse in red; returns the matplotlib figure."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    frame = report.per_query[report.per_query.metric == metric].sort_values("delta").reset_index(drop=True)
    if frame.empty:
        raise ValueError(f"no per-query values for {metric!r}; choose one of {sorted(set(report.per_query.metric))}")
    colours = [FAIL_COLOUR if d < 0 else PASS_COLOUR if d > 0 else NEUTRAL_COLOUR for d in frame.delta]
    fig, ax = plt.subplots(figsize=(8, 3.6))
    sns.barplot(x=frame.index, y=frame.delta, hue=frame.index, palette=colours, legend=False, ax=ax, width=1.0)
    ax.axhline(0, color="#333", lw=0.8)
    ax.set_xticks([])
    ax.set_xlabel(f"{len(frame)} judged queries, sorted by change")
    ax.set_ylabel(f"Δ {metric}")
    worse, better = int((frame.delta < 0).sum()), int((frame.delta > 0).sum())
    label = title or f"{metric}: {better} queries better, {worse} worse"
    if report.random_weights:
        label += " (random weights: means nothing)"
    ax.set_title(label)
    fig.tight_layout()
    return fig
