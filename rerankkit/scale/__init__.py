"""Batch reranking on Ray Data: an actor pool of rerankers, local by default, the same call on a cluster.

Example:
    >>> from rerankkit.scale import rerank_dataset, read_scores   # needs: pip install "rerankkit[scale]"
    >>> job = rerank_dataset("pairs.jsonl", "scored/", model="tiny-random")  # doctest: +SKIP
    >>> read_scores("scored/").head()                                          # doctest: +SKIP
"""

from __future__ import annotations

from rerankkit.scale.job import RerankJob, done_row_ids, read_errors, read_scores, rerank_dataset
from rerankkit.scale.runtime import cluster_address, ray_runtime, start_local

__all__ = ["rerank_dataset", "RerankJob", "read_scores", "read_errors", "done_row_ids", "ray_runtime",
           "cluster_address", "start_local"]
