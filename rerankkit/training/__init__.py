"""Fine-tuning a reranker on your own data: training examples, a split by query, hard-negative mining, training.

The steps, each usable on its own:

1. :func:`split_queries` holds out queries (saved, checked: no evaluation query is trained on);
2. :func:`mine_hard_negatives` turns the training queries into ``{"query", "pos", "neg"}`` examples with
   negatives from a first stage (BM25, dense, hybrid), dropping likely false negatives;
3. :func:`train_reranker` trains (grouped listwise loss or binary cross-entropy), with checkpoints and resume;
4. :func:`finetune` does all three from evaluation data, measures the held-out queries before and after
   and writes the model with its card.

Example:
    >>> from rerankkit.training import Recipe, TrainExample
    >>> Recipe(group_size=4, batch_size=2).pairs_per_step
    8
"""

from rerankkit.training.data import TrainExample, TrainingDataError, check_examples, read_examples, write_examples
from rerankkit.training.mining import MiningReport, make_first_stage, mine_hard_negatives
from rerankkit.training.split import (
    LeakageError,
    QuerySplit,
    check_no_leakage,
    held_out_part,
    leaked_queries,
    split_queries,
    train_part,
)
from rerankkit.training.trainer import FinetuneResult, Recipe, model_folder, save_initial, train_reranker

__all__ = [
    "TrainExample", "TrainingDataError", "read_examples", "write_examples", "check_examples",
    "MiningReport", "mine_hard_negatives", "make_first_stage",
    "QuerySplit", "LeakageError", "split_queries", "leaked_queries", "check_no_leakage", "train_part", "held_out_part",
    "Recipe", "FinetuneResult", "train_reranker", "model_folder", "save_initial",
]
