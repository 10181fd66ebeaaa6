"""Evaluation on standard data: file formats, one data protocol, benchmark sets and a resumable reranking run.

Example:
    >>> from rerankkit.evaluation import evaluate
    >>> report = evaluate("fixture", "tiny-random", top_n=3, show_progress=False)
    >>> list(report.table.index)
    ['Base (bm25)', 'Reranked', 'Δ (Reranked − Base)']
"""

from rerankkit.evaluation.datasets import (
    CorpusTooLargeError,
    DatasetUnavailableError,
    DataStats,
    EvalData,
    benchmark_names,
    first_stage_run,
    from_cases,
    from_files,
    load_benchmark,
    load_fixture,
    load_folder,
    prepare,
    save,
)
from rerankkit.evaluation.formats import (
    FormatError,
    read_corpus,
    read_qrels,
    read_queries,
    read_run,
    write_corpus,
    write_qrels,
    write_queries,
    write_run,
)
from rerankkit.evaluation.metrics import judged_at_k
from rerankkit.evaluation.report import EvaluationReport, compare_runs
from rerankkit.evaluation.runner import (
    RerankResult,
    ScoreLog,
    ScoringStats,
    evaluate,
    rerank_run,
    resolve_data,
    score_pairs,
)

__all__ = [
    "CorpusTooLargeError",
    "DataStats",
    "DatasetUnavailableError",
    "EvalData",
    "EvaluationReport",
    "FormatError",
    "RerankResult",
    "ScoreLog",
    "ScoringStats",
    "benchmark_names",
    "compare_runs",
    "evaluate",
    "first_stage_run",
    "from_cases",
    "from_files",
    "judged_at_k",
    "load_benchmark",
    "load_fixture",
    "load_folder",
    "prepare",
    "read_corpus",
    "read_qrels",
    "read_queries",
    "read_run",
    "rerank_run",
    "resolve_data",
    "save",
    "score_pairs",
    "write_corpus",
    "write_qrels",
    "write_queries",
    "write_run",
]
