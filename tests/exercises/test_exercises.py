"""Every check accepts the answer computed from its inputs and rejects a typical wrong answer with a reason."""

from __future__ import annotations

import math

import numpy as np
import pytest

import rerankkit
from rerankkit.exercises import all_exercises, get, nb01, nb02, nb04, nb05, nb06, nb07, nb10
from rerankkit.exercises.nb02 import batch_cost

QUERY = "What is the capital of France?"
PASSAGE = "Paris is the capital and largest city of France."
LONG = "Paris is the capital of France. It lies on the Seine, in the north of the country. " * 4


@pytest.fixture(scope="module")
def rr():
    return rerankkit.load("tiny-random")


def _right(verdict):
    assert verdict.correct is True, str(verdict)
    assert "right" in str(verdict) and "right" in verdict._repr_html_()


def _wrong(verdict, *words):
    assert verdict.correct is False, str(verdict)
    assert not verdict
    text = str(verdict)
    for word in words:
        assert word in text, text
    assert "not yet" in verdict._repr_html_()


def test_every_notebook_has_two_exercises_with_hints_and_solution():
    for n in ("01", "02", "04", "05", "06", "07", "10"):
        assert len([e for e in all_exercises() if e.id.startswith(n)]) >= 2
    for e in all_exercises():
        assert e.hints and e.solution().code and e.solution().why
        assert e.task.text in str(e.task)


def test_hints_come_one_at_a_time_then_point_to_the_solution():
    ex = get("04.2")
    ex.reset_hints()
    shown = [str(ex.hint()) for _ in range(len(ex.hints) + 1)]
    assert [h.split(": ", 1)[1] for h in shown[:-1]] == list(ex.hints)
    assert shown[0].startswith(f"Hint 1 of {len(ex.hints)}")
    assert "solution()" in shown[-1]
    ex.reset_hints()


def test_missing_answer_and_wrong_type_are_explained():
    assert nb01.threshold_logit.check(None).correct is None
    assert "still None" in str(nb01.threshold_logit.check(None))
    _wrong(nb01.threshold_logit.check("1.4"), "should be a number")
    with pytest.raises(TypeError, match=r"unknown input\(s\) \['logit'\]; it takes \['logits', 'threshold'\]"):
        nb01.passing.check([0], logit=[1.0])
    with pytest.raises(KeyError, match="no exercise"):
        get("99.1")


def test_01_threshold_logit():
    _right(nb01.threshold_logit.check(math.log(0.8 / 0.2)))
    _right(nb01.threshold_logit.check(2.197, threshold=0.9))
    _wrong(nb01.threshold_logit.check(0.8), "sigmoid scale")
    _wrong(nb01.threshold_logit.check(float(rerankkit.sigmoid(0.8))), "inverse")


def test_01_passing():
    logits = [2.1, 0.3, 0.0, -0.4]
    _right(nb01.passing.check([2, 0, 1], logits=logits))
    _wrong(nb01.passing.check([0], logits=logits), "sigmoid scale")
    _wrong(nb01.passing.check([0, 1], logits=logits), "at or above")
    _wrong(nb01.passing.check([1, 2, 3], logits=logits), "counted from 1")
    _wrong(nb01.passing.check(["a"], logits=logits), "input indices")


def test_01_count_tokens_uses_the_tokenizer(rr):
    n = int(rr.encode([(QUERY, PASSAGE)]).n_tokens[0])
    _right(nb01.count_tokens.check(n, rr=rr, query=QUERY, passage=PASSAGE))
    special = rr.tokenizer.num_special_tokens_to_add(pair=True)
    _wrong(nb01.count_tokens.check(n - special, rr=rr, query=QUERY, passage=PASSAGE), "special tokens")
    words = len(QUERY.split()) + len(PASSAGE.split())
    if words not in (n, n - special):
        _wrong(nb01.count_tokens.check(words, rr=rr, query=QUERY, passage=PASSAGE), "counts words")


def test_02_padded_tokens():
    lengths = [10, 30, 12, 11, 9, 8, 31, 7, 5]
    right = batch_cost(lengths, 4)
    assert right == 4 * 30 + 4 * 31 + 5
    _right(nb02.padded_tokens.check(right, lengths=lengths, batch_size=4))
    _wrong(nb02.padded_tokens.check(sum(lengths), lengths=lengths, batch_size=4), "only the real tokens")
    _wrong(nb02.padded_tokens.check(batch_cost(lengths, 4, sort=True), lengths=lengths, batch_size=4), "sorting")
    with pytest.raises(ValueError, match="batch_size"):
        nb02.padded_tokens.check(1, lengths=lengths, batch_size=0)


def test_02_tokens_cut(rr):
    enc = rr.encode([(QUERY, LONG)], max_length=32)
    cut = int(enc.n_cut[0])
    assert cut > 0
    _right(nb02.tokens_cut.check(cut, rr=rr, query=QUERY, passage=LONG, max_length=32))
    _wrong(nb02.tokens_cut.check(cut + 32, rr=rr, query=QUERY, passage=LONG, max_length=32), "whole pair")
    _wrong(nb02.tokens_cut.check(32, rr=rr, query=QUERY, passage=LONG, max_length=32), "kept")


def test_10_shared_terms():
    xl = rerankkit.cases.load("cross_lingual")
    q, p = xl.fact("f22").queries["zh"], xl.fact("f22").passages["en"]
    from rerankkit.retrieval.base import tokenize

    right = len(set(tokenize(q)) & set(tokenize(p)))
    _right(nb10.shared_terms.check(right, query=q, passage=p))
    _wrong(nb10.shared_terms.check(right + 3, query=q, passage=p), "too high")


def test_10_ranking_share_is_the_auc():
    from sklearn.metrics import roc_auc_score

    m, o = [2.0, 1.0, 0.5, -0.2], [0.1, 1.5, -1.0]
    auc = roc_auc_score([1] * 4 + [0] * 3, m + o)  # an independent computation of the same share
    _right(nb10.ranking_share.check(auc, matching=m, other=o))
    _wrong(nb10.ranking_share.check(np.mean(np.array(m) >= 0), matching=m, other=o), "fixed cut")
    _wrong(nb10.ranking_share.check(1 - auc, matching=m, other=o), "flip")


def test_04_mrr_by_hand_matches_ir_measures():
    _right(nb04.mrr.check((1 / 3 + 1 / 1 + 0) / 3))  # first relevant at ranks 3, 1 and none
    _wrong(nb04.mrr.check((1 / 3 + 1 / 1) / 2), "counts as 0")
    _wrong(nb04.mrr.check((3 + 1) / 2), "mean rank")
    _wrong(nb04.mrr.check(1 / 3 + 1 / 1), "sum of reciprocal ranks")


def test_04_ndcg_by_hand():
    def dcg(g):
        return sum(x / math.log2(i + 2) for i, x in enumerate(g))

    top = [nb04.GRADES[d] for d in nb04.RANKING[:3]]
    right = dcg(top) / dcg(sorted(nb04.GRADES.values(), reverse=True)[:3])
    _right(nb04.ndcg.check(right))
    _wrong(nb04.ndcg.check(dcg(top)), "not normalised")
    _wrong(nb04.ndcg.check(dcg(top) / dcg(sorted(top, reverse=True))), "all judged passages")


def test_05_costs():
    _right(nb05.workload_seconds.check(50 * 100 / 40.0, pairs_per_s=40.0))
    _wrong(nb05.workload_seconds.check(100 / 40.0, pairs_per_s=40.0), "one query's time")
    _right(nb05.speedup.check(1.8, fast=90.0, slow=50.0))
    _wrong(nb05.speedup.check(50 / 90, fast=90.0, slow=50.0), "inverse")
    _wrong(nb05.speedup.check(80.0, fast=90.0, slow=50.0), "percent")


def test_06_methods(rr):
    ig = rerankkit.explain(rr, QUERY, PASSAGE, method="integrated_gradients", n_steps=32, show_progress=False)
    _right(nb06.completeness.check(ig.score - ig.baseline_score, explanation=ig))
    if abs(ig.baseline_score) > abs(ig.delta) + 0.01:
        _wrong(nb06.completeness.check(ig.score, explanation=ig), "baseline")
    occ = rerankkit.explain(rr, QUERY, PASSAGE, method="occlusion")
    word = next(w for w in occ.words if w.side == "passage")
    drop = occ.score - word.score_without
    assert drop == pytest.approx(word.attribution, abs=1e-4)  # the kit reports the same drop
    _right(nb06.occlusion_drop.check(drop, explanation=occ, word=word.text))
    if abs(drop) > 0.01:
        _wrong(nb06.occlusion_drop.check(-drop, explanation=occ, word=word.text), "sign")
    _wrong(nb06.occlusion_drop.check(1.0, explanation=occ, word="no-such-word"), "not a passage word")


def test_07_delta_and_precision(rr):
    from rerankkit.evaluation import evaluate, load_fixture

    data = load_fixture()
    report = evaluate(data, rr, top_n=10, show_progress=False)
    pq = report.per_query
    right = float(pq[pq.metric == "nDCG@10"].delta.mean())
    kw = dict(qrels=data.qrels, base=report.base, reranked=report.reranked)
    _right(nb07.ndcg_delta.check(right, **kw))
    if abs(right) > 0.01:
        _wrong(nb07.ndcg_delta.check(-right, **kw), "sign")
    s, y = [0.9, 0.8, 0.2, 0.6, 0.55], [1, 0, 1, 0, 1]
    _right(nb07.precision.check(2 / 4, scores=s, labels=y))
    _wrong(nb07.precision.check(2 / 3, scores=s, labels=y), "recall")
