"""Cross-lingual scoring: the same fact asked and answered in many languages.

:func:`pair_scores` scores queries in some languages against passages in others (the same
fact's passages are matches; other facts' passages and unrelated negatives are not) into a
tidy frame. From it, :func:`score_matrix` gives a query-language by passage-language table
and :func:`threshold_transfer` shows, per language pair, how a single threshold on the
normalized score separates matches from non-matches.

Example:
    >>> import rerankkit
    >>> from rerankkit import cases
    >>> rr = rerankkit.load("tiny-random")
    >>> xl = cases.load("cross_lingual")
    >>> frame = pair_scores(rr, xl, query_languages=["en", "zh"], passage_languages=["en", "ja"],
    ...                     facts=["f01", "f02"], n_other=1, with_negatives=False)
    >>> len(frame), int(frame["match"].sum())
    (16, 8)
    >>> score_matrix(frame).shape
    (2, 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from rerankkit.cases import CaseSet
    from rerankkit.scoring.reranker import Reranker

__all__ = ["pair_scores", "score_matrix", "threshold_transfer", "global_cut", "fact_candidates"]


def pair_scores(
    reranker: Reranker,
    fact_set: CaseSet,
    *,
    query_languages: Sequence[str] | None = None,
    passage_languages: Sequence[str] | None = None,
    facts: Sequence[str] | None = None,
    n_other: int = 2,
    with_negatives: bool = True,
    seed: int = 0,
) -> pd.DataFrame:
    """Score every chosen fact's query against matching and non-matching passages, per language pair.

    For each fact and query language: the fact's own passage in every passage language
    (``match=True``), ``n_other`` other facts' passages in every passage language and, with
    ``with_negatives``, the unrelated negatives written in the passage languages (``match=False``).
    All pairs are scored in one batched call.

    Args:
        reranker: The cross-encoder.
        fact_set: ``cases.load("cross_lingual")``.
        query_languages: Languages to ask in (default: all).
        passage_languages: Languages of the passages (default: all).
        facts: Fact ids (default: all).
        n_other: Other facts drawn as non-matching passages per fact (the same draw for every language).
        with_negatives: Add the unrelated negatives.
        seed: Seed of the draw.

    Returns:
        A frame with ``fact_id, query_lang, passage_lang, passage_id, match, query, passage, logit, score``.
    """
    import pandas as pd

    if not getattr(fact_set, "facts", None):
        raise ValueError("fact_set has no facts: pass rerankkit.cases.load('cross_lingual')")
    q_langs = fact_set._check_languages(query_languages, "query_languages")
    p_langs = fact_set._check_languages(passage_languages, "passage_languages")
    chosen = list(fact_set.facts) if facts is None else [fact_set.fact(f) for f in facts]
    if isinstance(n_other, bool) or not isinstance(n_other, int) or not 0 <= n_other < len(fact_set.facts):
        raise ValueError(f"n_other must be an int from 0 to {len(fact_set.facts) - 1}, got {n_other!r}")
    rng = np.random.default_rng(seed)
    rows = []
    for fact in chosen:
        others = [f for f in fact_set.facts if f.id != fact.id]
        drawn = [others[i] for i in sorted(rng.choice(len(others), size=n_other, replace=False))] if n_other else []
        for q_lang in q_langs:
            query = fact.queries[q_lang]
            for p_lang in p_langs:
                for g in [fact, *drawn]:
                    rows.append((fact.id, q_lang, p_lang, f"{g.id}:{p_lang}", g is fact, query, g.passages[p_lang]))
                if with_negatives:
                    rows += [(fact.id, q_lang, p_lang, n.id, False, query, n.text)
                             for n in fact_set.negatives if n.language == p_lang]
    frame = pd.DataFrame(rows, columns=["fact_id", "query_lang", "passage_lang", "passage_id", "match", "query",
                                        "passage"])
    from rerankkit.score_scale import sigmoid

    logits = reranker.score(list(zip(frame["query"], frame["passage"])))
    frame["logit"] = logits
    frame["score"] = sigmoid(logits)
    frame.attrs["model_label"] = reranker.info.label
    frame.attrs["random_weights"] = reranker.info.random_weights
    frame.attrs["languages"] = (q_langs, p_langs)
    return frame


def score_matrix(frame: pd.DataFrame, *, fact: str | None = None, value: str = "logit",
                 match: bool = True) -> pd.DataFrame:
    """Query language (rows) by passage language (columns): the mean ``value`` over facts.

    Args:
        frame: From :func:`pair_scores`.
        fact: One fact id, or ``None`` to average over every fact in ``frame``.
        value: ``"logit"`` (raw) or ``"score"`` (sigmoid, in [0, 1]).
        match: Matching passages (default) or, with ``False``, the non-matching ones.
    """
    if value not in ("logit", "score"):
        raise ValueError(f"value must be 'logit' or 'score', got {value!r}")
    rows = frame[frame["match"] == match]
    if fact is not None:
        if fact not in set(rows["fact_id"]):
            raise ValueError(f"fact {fact!r} is not in the frame; it has {sorted(set(frame['fact_id']))}")
        rows = rows[rows["fact_id"] == fact]
    default = (sorted(set(frame["query_lang"])), sorted(set(frame["passage_lang"])))
    q_langs, p_langs = frame.attrs.get("languages", default)
    table = rows.pivot_table(index="query_lang", columns="passage_lang", values=value, aggfunc="mean")
    table = table.reindex(index=list(q_langs), columns=list(p_langs))
    table.index.name, table.columns.name = "query language", "passage language"
    return table


def _auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """Probability that a random match outscores a random non-match (ties count half)."""
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).mean()
    ties = (pos[:, None] == neg[None, :]).mean()
    return float(greater + 0.5 * ties)


def _separation(pos: np.ndarray, neg: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """match_pass - other_pass at each cut (a passage passes at or above it)."""
    return (pos[None, :] >= cuts[:, None]).mean(axis=1) - (neg[None, :] >= cuts[:, None]).mean(axis=1)


def _optimal_cuts(pos: np.ndarray, neg: np.ndarray) -> tuple[float, float]:
    """``(low, high]``: the hull of the cuts that separate as well as any cut can.

    A cut at a score ``c`` passes the same passages as any cut between the next lower score and ``c``, so the
    optimal cuts of one group are intervals ending at scores; this is the hull from the lowest to the highest
    (``low`` is the score just below the lowest optimal one, or 0: the scores are sigmoid scores).
    """
    values = np.unique(np.concatenate([pos, neg]))
    gains = _separation(pos, neg, values)
    best = np.flatnonzero(np.isclose(gains, gains.max()))
    low = float(values[best[0] - 1]) if best[0] > 0 else 0.0  # scores are sigmoid scores, in [0, 1]
    return low, float(values[best[-1]])


def threshold_transfer(frame: pd.DataFrame, threshold: float | str = 0.5) -> pd.DataFrame:
    """Per language pair: how one threshold on the normalized score sorts matches from non-matches.

    Columns: ``query_lang, passage_lang, n_match, n_other, match_pass`` (share of matches at or
    above the threshold), ``other_pass`` (share of non-matches at or above it), ``auc`` (chance
    that a match outscores a non-match, pooled over the queries of the pair: how well *any* single
    cut could work), and ``best_low``/``best_high``: the cuts that maximise match_pass - other_pass for
    this pair lie above ``best_low`` and up to ``best_high`` (the hull of the optimal cuts: where two
    separate cuts tie, some cuts between them are not optimal). With few facts these intervals are
    wide; where they overlap for all pairs, one global cut may serve every pair (:func:`global_cut`
    says so, with its uncertainty). Comparing only the first best cut of each pair would be misleading.

    Example:
        >>> import pandas as pd
        >>> f = pd.DataFrame({"query_lang": ["en"] * 4, "passage_lang": ["zh"] * 4,
        ...                   "match": [True, True, False, False], "score": [0.9, 0.6, 0.7, 0.1]})
        >>> row = threshold_transfer(f, 0.5).iloc[0]
        >>> float(row.match_pass), float(row.other_pass), float(row.auc)
        (1.0, 0.5, 0.75)
        >>> float(row.best_low), float(row.best_high)  # cuts at 0.6 and at 0.9 separate equally well
        (0.1, 0.9)
    """
    import pandas as pd

    from rerankkit.score_scale import resolve_threshold

    cut = resolve_threshold(threshold)
    rows = []
    for (q, p), group in frame.groupby(["query_lang", "passage_lang"], sort=False):
        pos = group.loc[group["match"], "score"].to_numpy()
        neg = group.loc[~group["match"], "score"].to_numpy()
        low, high = _optimal_cuts(pos, neg) if len(pos) and len(neg) else (float("nan"), float("nan"))
        rows.append({
            "query_lang": q, "passage_lang": p, "n_match": len(pos), "n_other": len(neg),
            "match_pass": float((pos >= cut).mean()) if len(pos) else float("nan"),
            "other_pass": float((neg >= cut).mean()) if len(neg) else float("nan"),
            "auc": _auc(pos, neg), "best_low": low, "best_high": high,
        })
    return pd.DataFrame(rows)


def global_cut(frame: pd.DataFrame, *, n_boot: int = 1000, seed: int = 0) -> dict:
    """One cut on the normalized score for every language pair, with its uncertainty.

    The cut maximises match_pass - other_pass over all pairs pooled. Its uncertainty comes from a bootstrap
    over facts (``fact_id``; rows when there is none): the facts are resampled, the cut is chosen again, and the
    2.5th and 97.5th percentiles of the cut and of its match_pass and other_pass are reported.

    Returns:
        ``cut``, ``cut_interval``, ``match_pass``, ``match_pass_interval``, ``other_pass``,
        ``other_pass_interval`` (pooled, at ``cut``), ``worst_pair_separation`` (the lowest match_pass -
        other_pass of any pair at ``cut``), ``common_optimum`` (the cuts that are optimal for every pair at
        once, as ``(low, high]``, or ``None`` when the pairs' optimal intervals do not overlap), ``n_units``.

    Example:
        >>> import pandas as pd
        >>> f = pd.DataFrame({"fact_id": ["a", "a", "b", "b"] * 2, "query_lang": ["en"] * 4 + ["zh"] * 4,
        ...                   "passage_lang": ["en"] * 4 + ["ar"] * 4, "match": [True, False] * 4,
        ...                   "score": [0.9, 0.2, 0.8, 0.1, 0.6, 0.3, 0.7, 0.25]})
        >>> g = global_cut(f, n_boot=50)
        >>> g["cut"], g["match_pass"], g["other_pass"], g["common_optimum"]
        (0.6, 1.0, 0.0, (0.3, 0.6))
    """
    from rerankkit._utils.checks import check_positive_int

    check_positive_int(n_boot, "n_boot")
    if not {"match", "score", "query_lang", "passage_lang"} <= set(frame.columns):
        raise ValueError("frame must be the output of pair_scores (match, score, query_lang, passage_lang)")

    def fit(f: pd.DataFrame) -> tuple[float, float, float]:
        pos, neg = f.loc[f["match"], "score"].to_numpy(), f.loc[~f["match"], "score"].to_numpy()
        if not len(pos) or not len(neg):
            return float("nan"), float("nan"), float("nan")
        cut = _optimal_cuts(pos, neg)[1]
        return cut, float((pos >= cut).mean()), float((neg >= cut).mean())

    cut, match_pass, other_pass = fit(frame)
    per_pair = threshold_transfer(frame, min(max(cut, 0.0), 1.0))
    lows, highs = per_pair["best_low"].max(), per_pair["best_high"].min()
    unit = "fact_id" if "fact_id" in frame.columns else None
    groups = [g for _, g in frame.groupby(unit, sort=False)] if unit else [frame.iloc[[i]] for i in range(len(frame))]
    rng = np.random.default_rng(seed)
    boots = np.array([fit(_concat([groups[i] for i in rng.integers(0, len(groups), len(groups))]))
                      for _ in range(n_boot)])
    boots = boots[np.isfinite(boots).all(axis=1)]

    def interval(column: int) -> tuple[float, float]:
        lo, hi = np.percentile(boots[:, column], [2.5, 97.5]) if len(boots) else (float("nan"), float("nan"))
        return float(lo), float(hi)

    return {"cut": cut, "cut_interval": interval(0), "match_pass": match_pass, "match_pass_interval": interval(1),
            "other_pass": other_pass, "other_pass_interval": interval(2),
            "worst_pair_separation": float((per_pair["match_pass"] - per_pair["other_pass"]).min()),
            "common_optimum": (float(lows), float(highs)) if lows < highs else None,
            "n_units": len(groups), "unit": unit or "row"}


def _concat(frames: list) -> pd.DataFrame:
    import pandas as pd

    return pd.concat(frames, ignore_index=True)


def fact_candidates(fact_set: CaseSet, fact_id: str, passage_languages: Sequence[str] | None = None, *,
                    n_other: int = 2, with_negatives: bool = True, seed: int = 0) -> list:
    """Labelled candidates for one fact: its passages (relevance 2), ``n_other`` other facts' and the negatives (0).

    Example:
        >>> from rerankkit import cases
        >>> xl = cases.load("cross_lingual")
        >>> [(p.id, p.relevance) for p in fact_candidates(xl, "f01", ["en", "de"], n_other=1, with_negatives=False)]
        [('f01:en', 2), ('f01:de', 2), ('f24:en', 0), ('f24:de', 0)]
    """
    from dataclasses import replace

    fact = fact_set.fact(fact_id)
    others = [f for f in fact_set.facts if f.id != fact.id]
    if isinstance(n_other, bool) or not isinstance(n_other, int) or not 0 <= n_other <= len(others):
        raise ValueError(f"n_other must be an int from 0 to {len(others)}, got {n_other!r}")
    rng = np.random.default_rng(seed)
    drawn = [others[i].id for i in sorted(rng.choice(len(others), size=n_other, replace=False))]
    own = [replace(p, relevance=2, role="relevant") for p in fact_set.fact_passages([fact.id], passage_languages)]
    rest = fact_set.fact_passages(drawn, passage_languages) if drawn else []
    p_langs = fact_set._check_languages(passage_languages, "passage_languages")
    negatives = [n for n in fact_set.negatives if n.language in p_langs] if with_negatives else []
    return own + rest + negatives
