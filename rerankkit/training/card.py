"""The model card written beside a fine-tuned model: data, split, recipe, and what was measured before and after."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from rerankkit.training.mining import MiningReport
    from rerankkit.training.split import QuerySplit
    from rerankkit.training.trainer import FinetuneResult, Recipe

__all__ = ["model_card", "write_model_card"]


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _markdown(frame: pd.DataFrame, digits: int = 4) -> str:
    cols = [str(c) for c in frame.columns]
    lines = ["| | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for index, row in frame.iterrows():
        cells = [f"{v:.{digits}f}" if isinstance(v, float) else str(v) for v in row.tolist()]
        lines.append(f"| {index} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def model_card(*, base: str, data: str, data_notes: tuple[str, ...] = (), split: QuerySplit | None = None,
               recipe: Recipe, training: FinetuneResult, mining: MiningReport | None = None,
               table: pd.DataFrame | None = None, tests: Mapping[str, pd.DataFrame] | None = None,
               random_weights: bool = False) -> str:
    """The README.md text of a fine-tuned model folder.

    Example:
        >>> from rerankkit.training.trainer import FinetuneResult, Recipe
        >>> from pathlib import Path
        >>> text = model_card(base="tiny-random", data="train.jsonl", recipe=Recipe(),
        ...                   training=FinetuneResult(Path("out"), True, 3, 3, n_examples=5))
        >>> text.splitlines()[0]
        '# A cross-encoder fine-tuned from tiny-random'
    """
    lines = [f"# A cross-encoder fine-tuned from {base}", ""]
    if random_weights:
        lines += ["**Random weights:** the base model was random, so this model's scores mean nothing; it shows the "
                  "code path only.", ""]
    lines += ["Load it with `rerankkit.load(folder)` or FlagEmbedding's `FlagReranker(folder)`; both return raw "
              "logits (order within a query is what it learned; calibrate before using a threshold).", "",
              "## Data", "", f"- Training data: {data} ({training.n_examples} queries)."]
    lines += [f"- {note}" for note in data_notes]
    if mining is not None:
        lines.append(f"- Hard negatives: {mining.summary()}")
    if split is not None:
        lines += ["", "## Split", "",
                  f"- By query, seeded ({split.seed}), saved in `split.json`: {len(split.train)} training queries, "
                  f"{len(split.test)} held out ({split.test_fraction:.0%}).",
                  "- Checked: no held-out query is among the training examples (by id and by text), and no passage "
                  "judged relevant for a held-out query was offered to training."]
    engine = f"sentence-transformers {_version('sentence-transformers')} CrossEncoderTrainer"
    lines += ["", "## Recipe", "", f"- Engine: {engine}, transformers {_version('transformers')}, "
              f"torch {_version('torch')}.",
              f"- Steps: {training.step} of {training.total_steps} ({training.seconds:.0f} s in the last run"
              + (f", resumed from step {training.resumed_from}" if training.resumed_from else "") + ")."]
    lines += [f"- `{k}`: {v}" for k, v in asdict(recipe).items()]
    if table is not None:
        lines += ["", "## Measured on the held-out queries", "", _markdown(table), ""]
        for name, frame in (tests or {}).items():
            lines += [f"Paired tests, {name} (over queries; scipy):", "",
                      _markdown(frame[["n_queries", "mean_delta", "better", "worse", "p_t_test", "p_wilcoxon"]]), ""]
    else:
        lines += ["", "## Measured", "", "Not measured at training time: run `rerankkit evaluate` on held-out data."]
    return "\n".join(lines).rstrip() + "\n"


def write_model_card(folder: str | Path, **kwargs: Any) -> Path:
    """Write :func:`model_card` as ``README.md`` in ``folder``."""
    path = Path(folder) / "README.md"
    path.write_text(model_card(**kwargs), encoding="utf-8")
    return path
