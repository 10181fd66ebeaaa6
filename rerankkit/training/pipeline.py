"""``finetune``: from evaluation data to a fine-tuned reranker, measured on queries it never saw.

Split by query (saved) -> hard negatives for the training queries (a first stage, a rank window, a false-negative
filter) -> training -> the held-out queries' first-stage top ``top_n`` reranked by the model before training and
after -> a model card with both, and paired tests over queries.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rerankkit.training.card import write_model_card
from rerankkit.training.mining import MiningReport, mine_hard_negatives
from rerankkit.training.split import QuerySplit, check_no_leakage, held_out_part, split_queries, train_part
from rerankkit.training.trainer import FinetuneResult, Recipe, save_initial, train_reranker

if TYPE_CHECKING:
    import pandas as pd

    from rerankkit.evaluation.datasets import EvalData
    from rerankkit.evaluation.report import EvaluationReport

__all__ = ["FinetuneReport", "finetune", "resolve_eval_data", "before_after"]


@dataclass(frozen=True)
class FinetuneReport:
    """Everything :func:`finetune` did.

    Attributes:
        output: The model folder.
        split: The split by query (also in ``output/split.json``).
        mining: The hard-negative report (also in ``output/mining.json``).
        training: The training run.
        table: nDCG@10 and MRR@10 of the first stage, before and after (None when not measured or stopped).
        tests: Paired tests over the held-out queries: after vs the first stage, after vs before.
        before: The evaluation report of the untrained model (per-query metrics, runs).
        after: The evaluation report of the trained model.
    """

    output: Path
    split: QuerySplit
    mining: MiningReport
    training: FinetuneResult
    table: pd.DataFrame | None = None
    tests: dict[str, pd.DataFrame] = field(default_factory=dict)
    before: EvaluationReport | None = None
    after: EvaluationReport | None = None

    @property
    def complete(self) -> bool:
        """Whether training finished (False: stopped; call again with the same output to resume)."""
        return self.training.complete


def resolve_eval_data(data: EvalData | str | os.PathLike) -> EvalData:
    """Evaluation data as given, or by name: ``fixture``, ``cases:<set>``, ``docstrings``, a folder, a benchmark."""
    from rerankkit.evaluation.datasets import EvalData, from_cases, load_benchmark, load_fixture, load_folder

    if isinstance(data, EvalData):
        return data
    name = os.fspath(data).strip()
    if name == "fixture":
        return load_fixture()
    if name.startswith("cases:"):
        return from_cases(name.split(":", 1)[1])
    if name == "docstrings":
        from rerankkit.training.docstrings import docstring_data

        return docstring_data()
    if Path(name).is_dir():
        return load_folder(name)
    return load_benchmark(name)


def _retrievers(first_stage: str, corpus: list[str], encoder: Any) -> tuple[Any, Any]:
    """The first stage over ``corpus`` and the dense retriever inside it (None for BM25)."""
    from rerankkit.retrieval import BM25Retriever, DenseRetriever, HybridRetriever

    if first_stage == "bm25":
        return BM25Retriever(corpus), None
    dense = DenseRetriever(corpus, encoder)
    if first_stage == "dense":
        return dense, dense
    if first_stage == "hybrid":
        return HybridRetriever([BM25Retriever(corpus), dense]), dense
    raise ValueError(f"first_stage must be 'bm25', 'dense' or 'hybrid', got {first_stage!r}")


def before_after(held_out: EvalData, before: Any, after: Any, *, top_n: int = 20, show_progress: bool = True
                 ) -> tuple[pd.DataFrame, dict[str, pd.DataFrame], EvaluationReport, EvaluationReport]:
    """Rerank the held-out first-stage run with two models: the metrics table, paired tests and both reports."""
    import pandas as pd

    from rerankkit.evaluation import evaluate
    from rerankkit.evaluation.report import compare_runs, significance

    reports = {name: evaluate(held_out, model, top_n=top_n, show_progress=show_progress)
               for name, model in (("before", before), ("after", after))}
    columns = ["nDCG@10", "MRR@10"]
    table = pd.DataFrame([reports["after"].table.iloc[0][columns], reports["before"].table.loc["Reranked"][columns],
                          reports["after"].table.loc["Reranked"][columns]],
                         index=[f"First stage ({held_out.run_name})", "Before fine-tuning", "After fine-tuning"])
    qrels = held_out.qrels
    tests = {"after vs first stage": reports["after"].tests,
             "after vs before": significance(compare_runs(qrels, reports["before"].reranked,
                                                          reports["after"].reranked, top_n=top_n))}
    return table, tests, reports["before"], reports["after"]


def finetune(
    data: EvalData | str | os.PathLike,
    output: str | os.PathLike,
    *,
    model: str | os.PathLike = "multilingual-e5-small-q4",
    split: QuerySplit | str | os.PathLike | None = None,
    test_fraction: float = 0.2,
    first_stage: str = "hybrid",
    rank_window: tuple[int, int] = (3, 50),
    n_negatives: int = 7,
    false_negative_margin: float | None = 0.0,
    encoder: Any = None,
    recipe: Recipe | None = None,
    top_n: int = 20,
    measure: bool = True,
    resume: bool = True,
    stop: threading.Event | None = None,
    on_log: Callable[[dict], None] | None = None,
    show_progress: bool = True,
    max_seconds: float | None = None,
) -> FinetuneReport:
    """Fine-tune ``model`` on ``data``'s training queries and measure it on the held-out ones.

    Args:
        data: Queries, corpus and judgements: an :class:`~rerankkit.evaluation.EvalData` or a name
            (``fixture``, ``cases:<set>``, ``docstrings``, a folder written by ``evaluation.save``, a benchmark).
        output: The model folder; it also receives ``split.json``, ``train.jsonl``, ``mining.json`` and the card.
        model: What to start from (see :func:`~rerankkit.training.train_reranker`).
        split: A split, or its JSON file; default: ``output/split.json`` if present, else a new seeded one.
        test_fraction: Share of queries held out for a new split.
        first_stage: ``bm25``, ``dense`` or ``hybrid``: mines the negatives and feeds the held-out reranking.
        rank_window: First-stage ranks (inclusive) negatives are taken from.
        n_negatives: Negatives per training query.
        false_negative_margin: Drop candidates whose dense cosine is above the positive's minus this margin
            (``dense``/``hybrid`` only; None: no filter).
        encoder: Dense encoder for ``dense``/``hybrid`` (default: the kit's, see ``load_encoder``).
        recipe: How to train (default: :class:`~rerankkit.training.Recipe`'s defaults).
        top_n: Held-out first-stage candidates reranked per query.
        measure: Measure before and after on the held-out queries (costs two reranking runs).
        resume: Continue a stopped run from its last checkpoint.
        stop: An event that stops training after the current step (call again to resume).
        on_log: Called after every step with ``{"step", "total", "loss", "learning_rate"}``.
        show_progress: Progress bars.
        max_seconds: A training time budget (see ``train_reranker``).
    """
    from rerankkit.scoring.loading import load
    from rerankkit.training.data import write_examples
    from rerankkit.training.trainer import model_folder

    recipe = recipe or Recipe()
    data = resolve_eval_data(data)
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    split_file = output / "split.json"
    if split is None and split_file.is_file():
        split = split_file
    if isinstance(split, (str, os.PathLike)):
        split = QuerySplit.load(split)
    if split is None:
        split = split_queries(data, test_fraction=test_fraction, seed=recipe.seed)
    unknown = [q for q in (*split.train, *split.test) if q not in data.queries]
    if unknown:
        raise ValueError(f"the split names {len(unknown)} queries that {data.name} lacks (e.g. {unknown[:3]}): it "
                         "was made for other data; pass split=None to make a new one")
    split.save(split_file)
    train = train_part(data, split)
    train_ids = list(train.docs)
    stage, dense = _retrievers(first_stage, [train.docs[d] for d in train_ids], encoder)
    use_filter = dense is not None and false_negative_margin is not None
    examples, mining = mine_hard_negatives(train, stage, rank_window=rank_window, n_negatives=n_negatives,
                                           scorer=dense if use_filter else None,
                                           margin=false_negative_margin if false_negative_margin is not None else 0.0,
                                           show_progress=show_progress)
    check_no_leakage(examples, split, data.queries)
    examples = [ex for ex in examples if ex.neg]
    if not examples:
        raise ValueError(f"no training query got a negative from {first_stage} ranks {rank_window}: widen the "
                         "window, or lower false_negative_margin")
    write_examples(examples, output / "train.jsonl")
    (output / "mining.json").write_text(json.dumps(
        {"summary": mining.summary(), "dropped_examples": mining.dropped.to_dict(orient="records")},
        indent=1, ensure_ascii=False), encoding="utf-8")
    training = train_reranker(output / "train.jsonl", model, output, recipe=recipe, resume=resume, stop=stop,
                              on_log=on_log, show_progress=show_progress, max_seconds=max_seconds)
    report = FinetuneReport(output=output, split=split, mining=mining, training=training)
    if not training.complete:
        return report
    table = tests = before = after = None
    if measure:
        held = held_out_part(data, split)
        ids = list(held.docs)
        full, _ = _retrievers(first_stage, [held.docs[d] for d in ids],
                              dense.encoder if dense is not None else encoder)
        run = {q: {ids[c.index]: c.score for c in full.retrieve(text, k=top_n)} for q, text in held.queries.items()}
        held = held.with_run(run, first_stage)
        initial = save_initial(model, output / ".before", seed=recipe.seed)
        try:
            table, tests, before, after = before_after(held, load(initial), load(output), top_n=top_n,
                                                       show_progress=show_progress)
        finally:
            shutil.rmtree(initial, ignore_errors=True)
    from rerankkit.models.synthetic import read_marker

    write_model_card(output, base=os.fspath(model), data=data.name, data_notes=tuple(data.notes), split=split,
                     recipe=recipe, training=training, mining=mining, table=table, tests=tests,
                     random_weights=bool(read_marker(model_folder(model)).get("random_weights", False)))
    return FinetuneReport(output=output, split=split, mining=mining, training=training, table=table,
                          tests=tests or {}, before=before, after=after)
