"""compare_rerankers: one row per model, measured; unloadable models keep a row that says why."""

from __future__ import annotations

import pytest

from rerankkit.evaluation.compare import architecture_of, compare_rerankers


def test_rows_are_measured_and_labelled(tiny):
    frame = compare_rerankers(["tiny-random", "tiny-random", "no/such-model"], sets=["keyword_traps"],
                              n_candidates=7, repeats=2, loaded=[tiny])
    assert list(frame.model) == ["tiny-random", "no/such-model"]  # repeats dropped, order kept
    ok, missing = frame.iloc[0], frame.iloc[1]
    assert ok.status == "ok" and bool(ok.random_weights)
    assert 0 < ok["nDCG@10"] <= 1 and 0 <= ok["MRR@10"] <= 1 and ok.ms_per_7 > 0
    assert ok.param_mb == pytest.approx(tiny.info.n_parameters * 4 / 2**20)  # fp32
    assert ok.architecture_of == "BAAI/bge-reranker-v2-m3" and ok.licence == "Apache-2.0"
    assert missing.status.startswith("not run:") and "catalogue" in missing.licence


def test_a_perfect_ranking_scores_one(tiny_copy):
    import numpy as np

    from rerankkit.evaluation.calibration import labelled_pairs

    frame = labelled_pairs(["workplace_qa"])
    grades = {(q, p): float(g) for q, p, g in zip(frame["query"], frame["passage"], frame["grade"])}

    def score_by_grade(query_or_pairs, passages=None, **_):  # reads the labels: nDCG and MRR must be 1
        if passages is None:
            return np.array([grades[tuple(pair)] for pair in query_or_pairs])
        return np.zeros(len(passages))

    tiny_copy.score = score_by_grade
    out = compare_rerankers(["tiny-random"], sets=["workplace_qa"], repeats=1, loaded=[tiny_copy]).iloc[0]
    assert out.status == "ok", out.status
    assert out["nDCG@10"] == pytest.approx(1.0) and out["MRR@10"] == pytest.approx(1.0)


def test_architecture_of_and_bad_input():
    assert architecture_of("BAAI/bge-reranker-base") == "BAAI/bge-reranker-base"
    with pytest.raises(ValueError, match="models"):
        compare_rerankers([])
    with pytest.raises(ValueError, match="models"):
        compare_rerankers("tiny-random")
    with pytest.raises(ValueError, match="n_candidates"):
        compare_rerankers(["tiny-random"], n_candidates=0)
