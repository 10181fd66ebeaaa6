"""Worked solutions, one per exercise, shown only by ``Exercise.solution()``.

Each solution computes the answer from the notebook's own variables (named in the code), so it holds for any
model, tiny-random included. ``notebooks/solutions/exercises_solutions.ipynb`` runs every one of them.
"""

from __future__ import annotations

from rerankkit.exercises.core import Solution

__all__ = ["SOLUTIONS"]

SOLUTIONS: dict[str, Solution] = {
    "01.1": Solution(
        "import math\n"
        "answer = math.log(0.8 / (1 - 0.8))  # the logit function, inverse of the sigmoid\n"
        "nb01.threshold_logit.check(answer)",
        "The sigmoid is 1 / (1 + exp(-x)); solving for x gives x = log(p / (1 - p)), about 1.386 for p = 0.8. "
        "A pair passes a 0.8 threshold when its raw logit is at least that."),
    "01.2": Solution(
        "import numpy as np\n"
        "logits = rr.score(query, facts)\n"
        "cut_score = float(rerankkit.sigmoid(np.sort(logits)[-4:-2].mean()))\n"
        "answer = [i for i, x in enumerate(logits) if rerankkit.sigmoid(x) >= cut_score]\n"
        "nb01.passing.check(answer, logits=logits, threshold=cut_score)",
        "Compare on one scale: the sigmoid of each raw logit against the cut (or, the same, each logit against "
        "log(cut / (1 - cut))). Comparing raw logits with a sigmoid-scale cut mixes two scales. Passing includes "
        "scores exactly at the cut."),
    "01.3": Solution(
        "answer = int(rr.encode([(query, passage)]).n_tokens[0])\n"
        "nb01.count_tokens.check(answer, rr=rr, query=query, passage=passage)",
        "The model reads one sequence, <s> query </s></s> passage </s>: the query's and passage's subword tokens "
        "plus the special tokens. The tokenizer counts them; words are not tokens."),
    "02.1": Solution(
        "lengths = rr.encode([(query, p) for p in passages]).n_tokens\n"
        "answer = sum(max(lengths[i:i + 4]) * len(lengths[i:i + 4]) for i in range(0, len(lengths), 4))\n"
        "nb02.padded_tokens.check(answer, lengths=lengths, batch_size=4)",
        "Each batch is padded to its longest pair, so a batch costs (pairs) × (longest length). Summed over the "
        "batches in input order, the difference to sum(lengths) is the padding; sorting by length shrinks it."),
    "02.2": Solution(
        "long_passage = max(passages, key=len)\n"
        "answer = int(rr.encode([(query, long_passage)], max_length=32).n_cut[0])\n"
        "nb02.tokens_cut.check(answer, rr=rr, query=query, passage=long_passage, max_length=32)",
        "The whole pair, special tokens included, must fit max_length. As in FlagEmbedding, the query keeps at most "
        "3/4 of max_length and the passage is cut from its end to fill the rest, so tokens cut = full pair length "
        "- tokens kept. That is full length - max_length only when the query fits its 3/4 and the passage is long "
        "enough to fill what is left; with a longer query fewer than max_length tokens may be kept."),
    "10.1": Solution(
        "from rerankkit.retrieval import tokenize\n"
        "zh_query, en_passage = xl.fact('f22').queries['zh'], xl.fact('f22').passages['en']\n"
        "answer = len(set(tokenize(zh_query)) & set(tokenize(en_passage)))\n"
        "nb10.shared_terms.check(answer, query=zh_query, passage=en_passage)",
        "BM25 can only score terms that occur in both texts. A Chinese query and an English passage share at most "
        "what is written alike (here the number 29); the meaning is invisible to it. That is why a cross-lingual "
        "first stage needs a multilingual encoder, and why the reranker reads the pair itself."),
    "10.2": Solution(
        "import numpy as np\n"
        "one = frame[(frame.query_lang == 'zh') & (frame.passage_lang == 'en')]\n"
        "matching, other = one[one.match].logit.to_numpy(), one[~one.match].logit.to_numpy()\n"
        "answer = float(np.mean([(m > o) + 0.5 * (m == o) for m in matching for o in other]))\n"
        "nb10.ranking_share.check(answer, matching=matching, other=other)",
        "Compare every matching score with every non-matching one and count the wins (ties half): that is the "
        "pooled AUC; 0.5 is chance. Pooled across queries it asks whether one global cut could separate matches "
        "from non-matches, which needs scores comparable across queries (calibration) as well as a good order. "
        "Whether each query ranks its own match first is the per-query question: per-query AUC or MRR."),
    "04.1": Solution(
        "reciprocal = []\n"
        "for qid, docs in nb04.RUN.items():\n"
        "    ranks = [i + 1 for i, d in enumerate(docs[:10]) if nb04.QRELS[qid].get(d, 0) > 0]\n"
        "    reciprocal.append(1 / ranks[0] if ranks else 0.0)\n"
        "answer = sum(reciprocal) / len(reciprocal)\n"
        "nb04.mrr.check(answer)",
        "Per query, 1/rank of the first relevant passage within the top 10, and 0 when there is none; then the "
        "mean over all judged queries. Leaving out the queries with no hit would flatter the first stage."),
    "04.2": Solution(
        "import math\n"
        "def dcg(gains):\n"
        "    return sum(g / math.log2(rank + 1) for rank, g in enumerate(gains, start=1))\n"
        "gains = [nb04.GRADES.get(d, 0) for d in nb04.RANKING[:3]]\n"
        "ideal = sorted(nb04.GRADES.values(), reverse=True)[:3]\n"
        "answer = dcg(gains) / dcg(ideal)\n"
        "nb04.ndcg.check(answer)",
        "DCG rewards relevant passages near the top (gain / log2(rank + 1)); dividing by the DCG of the best "
        "possible order of all judged passages puts it on [0, 1]. trec_eval, and so ir-measures, use the grade as "
        "the gain."),
    "05.1": Solution(
        "row = table[(table.status == 'ok') & (table.device == 'cpu') & (table.dtype == 'fp32')].iloc[0]\n"
        "answer = 50 * 100 / row.pairs_per_s\n"
        "nb05.workload_seconds.check(answer, pairs_per_s=row.pairs_per_s, queries=50, top_n=100)",
        "A reranker scores one pair per (query, candidate): 50 queries × 100 candidates = 5,000 pairs, divided by "
        "the measured pairs per second. The same arithmetic on the reference figures gives the real model's cost."),
    "05.2": Solution(
        "ok = table[(table.status == 'ok') & (table.device == 'cpu')]\n"
        "both = ok[ok.dtype == 'int8'].merge(ok[ok.dtype == 'fp32'], on=['batch_size', 'length'],\n"
        "                                    suffixes=('_int8', '_fp32')).iloc[0]\n"
        "fast, slow = both.pairs_per_s_int8, both.pairs_per_s_fp32\n"
        "answer = fast / slow\n"
        "nb05.speedup.check(answer, fast=fast, slow=slow,\n"
        "                   fast_range=(both.pairs_per_s_min_int8, both.pairs_per_s_max_int8),\n"
        "                   slow_range=(both.pairs_per_s_min_fp32, both.pairs_per_s_max_fp32))",
        "A speed-up is a ratio of throughputs at the same batch size and length: new pairs/s over baseline pairs/s. "
        "Above 1 the new path is faster, but only when the repeats agree: if the fastest repeat of a row is far "
        "above its slowest, the ratio of medians is noise and the honest answer is 'not measured yet'."),
    "06.1": Solution(
        "answer = ig.score - ig.baseline_score\n"
        "nb06.completeness.check(answer, explanation=ig)",
        "Completeness: integrated-gradient attributions add up to f(input) - f(baseline), up to the reported delta. "
        "This holds for any differentiable model, so it checks the method whatever the weights."),
    "06.2": Solution(
        "word = next(w for w in occ.words if w.side == 'passage' and w.text == 'capital')\n"
        "answer = occ.score - word.score_without\n"
        "nb06.occlusion_drop.check(answer, explanation=occ, word=word)",
        "Occlusion deletes a word and scores again; its attribution is score with the word minus score without "
        "it, so a word that helps gets a positive value. A word that occurs twice (here in the query and in the "
        "passage) is deleted once per occurrence, and each occurrence has its own attribution."),
    "07.1": Solution(
        "pq = report.per_query\n"
        "answer = float(pq[pq.metric == 'nDCG@10'].delta.mean())\n"
        "nb07.ndcg_delta.check(answer, qrels=data.qrels, base=report.base, reranked=report.reranked)",
        "The change is the mean over judged queries of (reranked - base) nDCG@10, in absolute points; queries with "
        "no judgements are left out of both means."),
    "07.2": Solution(
        "import numpy as np\n"
        "pairs = [(q, d, s) for q, docs in report.reranked.items() if q in data.qrels for d, s in docs.items()]\n"
        "scores = rerankkit.sigmoid(np.array([s for _, _, s in pairs]))\n"
        "labels = [int(data.qrels[q].get(d, 0) > 0) for q, d, _ in pairs]\n"
        "cut = float(np.median(scores))\n"
        "passing = scores >= cut\n"
        "answer = float(np.sum(passing & (np.array(labels) == 1)) / np.sum(passing))\n"
        "nb07.precision.check(answer, scores=scores, labels=labels, threshold=cut)",
        "Precision looks only at the pairs that pass: relevant among them over all of them. Unjudged documents "
        "count as not relevant, as in the notebook's precision-target section."),
}
