"""First-stage retrieval baselines: BM25 (words), a dense bi-encoder (BAAI/bge-m3) and their hybrid (RRF).

Both rank a fixed corpus for a query and return :class:`Candidate` rows with scores, the
input to retrieve-then-rerank (:mod:`rerankkit.evaluation.pipeline`).

**BM25 tokenization.** Text is NFKC-normalised and case-folded. Runs of Han, kana and hangul
become overlapping character bigrams (a lone character stays a unigram), as Lucene's
``CJKAnalyzer`` does; every other script splits into words (letters, marks and digits). This
needs no dictionary, treats Chinese, Japanese and Korean alike, and lets ``首都`` in a query
match ``首都`` inside a longer run. No stemming and no stop words: BM25's IDF already
discounts words found in every passage. Scoring is ``bm25s`` (Lucene's BM25 variant).

Example:
    >>> tokenize("中国的首都是哪里")
    ['中国', '国的', '的首', '首都', '都是', '是哪', '哪里']
    >>> bm25 = BM25Retriever(["Paris is the capital of France.", "Berlin is in Germany."])
    >>> top = bm25.retrieve("capital of France", k=1)[0]
    >>> top.index, top.rank
    (0, 1)
"""


from rerankkit.retrieval.base import Candidate, tokenize
from rerankkit.retrieval.bm25 import BM25Retriever
from rerankkit.retrieval.dense import DEFAULT_ENCODER, DenseEncoder, DenseRetriever, EncoderInfo, load_encoder
from rerankkit.retrieval.hybrid import HybridRetriever, reciprocal_rank_fusion

__all__ = ["tokenize", "Candidate", "BM25Retriever", "DenseEncoder", "DenseRetriever", "EncoderInfo", "load_encoder",
           "DEFAULT_ENCODER", "HybridRetriever", "reciprocal_rank_fusion"]
