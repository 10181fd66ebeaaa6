"""Fine-tune a cross-encoder on ``{"query", "pos", "neg"}`` examples with sentence-transformers' trainer.

The engine is sentence-transformers' ``CrossEncoderTrainer`` (Hugging Face ``Trainer`` underneath): it runs
in this process with a Python API, so a notebook can watch the loss, stop and resume; it has both losses the
kit offers and saves checkpoints with the optimizer, scheduler and random states. FlagEmbedding's reranker
fine-tuning (``FlagEmbedding.finetune.reranker.encoder_only``) is the recipe bge-reranker-v2-m3 was trained
with and the better choice for multi-GPU runs launched with ``torchrun``/DeepSpeed and for distillation from
teacher scores; it is a command-line runner with grouped cross-entropy only. See ``docs/finetune.md``.

Losses (``Recipe.loss``):

- ``"grouped"``: FlagEmbedding's listwise loss. Each query's group is its positive and ``group_size - 1``
  negatives; the loss is the cross-entropy of a softmax over the group's raw logits, with the positive as the
  target. It trains the order within a query, which is what a reranker is used for.
- ``"bce"``: binary cross-entropy on every (query, passage) pair of the same groups (label 1 or 0): scores
  that also mean something across queries, at the price of ignoring the order within a group.

Groups are drawn once, seeded (a positive, and negatives sampled without replacement, with repeats only when a
query has fewer than ``group_size - 1``), so a resumed run sees exactly the batches an uninterrupted one would.

Example:
    >>> Recipe(loss="grouped", group_size=4, batch_size=8).pairs_per_step
    32
"""

from __future__ import annotations

import json
import os
import random
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from rerankkit._utils.checks import check_positive_int
from rerankkit._utils.hf import quiet_transformers
from rerankkit._utils.optional import require
from rerankkit.training.data import TrainExample, TrainingDataError, check_examples, read_examples

__all__ = ["Recipe", "FinetuneResult", "train_reranker", "model_folder", "save_initial", "CHECKPOINTS"]

CHECKPOINTS = "checkpoints"  # sub-folder of the output folder holding resumable checkpoints


@dataclass(frozen=True)
class Recipe:
    """How to train.

    Attributes:
        loss: ``"grouped"`` (softmax cross-entropy over a positive and its negatives) or ``"bce"``.
        group_size: Passages per query and step: one positive and ``group_size - 1`` negatives.
        batch_size: Queries per step.
        epochs: Passes over the examples (each draws its own groups).
        max_steps: Stop after this many steps (None: all epochs).
        learning_rate: Peak learning rate (AdamW, linear decay after warm-up).
        warmup_ratio: Share of the steps spent warming up.
        weight_decay: AdamW weight decay.
        max_length: Tokens per (query, passage) pair.
        seed: Seeds the head's initialisation, the groups, the shuffle and dropout.
        save_steps: Write a resumable checkpoint every this many steps.
        freeze_embeddings: Keep the word embeddings fixed (most of a small multilingual model's
            parameters: faster steps, smaller checkpoints).
        gradient_checkpointing: Recompute activations in the backward pass (less memory, ~30 % slower).
        precision: ``"fp32"``, ``"bf16"`` or ``"fp16"`` (mixed precision; the last two on a GPU).
    """

    loss: Literal["grouped", "bce"] = "grouped"
    group_size: int = 8
    batch_size: int = 4
    epochs: int = 1
    max_steps: int | None = None
    learning_rate: float = 2e-5
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    max_length: int = 256
    seed: int = 0
    save_steps: int = 50
    freeze_embeddings: bool = False
    gradient_checkpointing: bool = False
    precision: Literal["fp32", "bf16", "fp16"] = "fp32"

    def __post_init__(self) -> None:
        if self.loss not in ("grouped", "bce"):
            raise ValueError(f"loss must be 'grouped' or 'bce', got {self.loss!r}")
        if self.precision not in ("fp32", "bf16", "fp16"):
            raise ValueError(f"precision must be 'fp32', 'bf16' or 'fp16', got {self.precision!r}")
        if isinstance(self.group_size, bool) or not isinstance(self.group_size, int) or self.group_size < 2:
            raise ValueError(f"group_size must be an int >= 2 (a positive and at least one negative), got "
                             f"{self.group_size!r}")
        for name in ("batch_size", "epochs", "max_length", "save_steps"):
            check_positive_int(getattr(self, name), name)
        check_positive_int(self.max_steps, "max_steps", allow_none=True)
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate!r}")
        if not 0 <= self.warmup_ratio < 1:
            raise ValueError(f"warmup_ratio must be in [0, 1), got {self.warmup_ratio!r}")

    @property
    def pairs_per_step(self) -> int:
        """(query, passage) pairs in one optimizer step."""
        return self.batch_size * self.group_size


@dataclass(frozen=True)
class FinetuneResult:
    """What a training run did.

    Attributes:
        output: The output folder (the model is there when ``complete``).
        complete: Whether training reached its last step (False: stopped; resume to continue).
        step: Steps done (counting those of a resumed checkpoint).
        total_steps: Steps the recipe asks for.
        losses: ``(step, loss)`` for every logged step of this run (a resumed run logs from where it resumed).
        resumed_from: The step of the checkpoint this run resumed from (None: a fresh start).
        seconds: Wall time of this run (training only).
        n_examples: Training examples (queries).
    """

    output: Path
    complete: bool
    step: int
    total_steps: int
    losses: list[tuple[int, float]] = field(default_factory=list)
    resumed_from: int | None = None
    seconds: float = 0.0
    n_examples: int = 0


def model_folder(spec: str | os.PathLike) -> Path:
    """A folder for a model spec: the kit's built ones (``multilingual-e5-small-q4``, ``tiny-random``...), a folder,
    or a hub id (from the Hugging Face cache, or downloaded when allowed)."""
    from rerankkit.models.e5_small import E5_SMALL, e5_small_path
    from rerankkit.models.families import TINY_PREFIX, tiny_family_path
    from rerankkit.models.hub import fetch_model, local_model_folder
    from rerankkit.models.synthetic import TINY_RANDOM, tiny_random_path

    name = os.fspath(spec).strip()
    if name == E5_SMALL:
        return e5_small_path()
    if name == TINY_RANDOM:
        return tiny_random_path()
    if name.startswith(TINY_PREFIX):
        return tiny_family_path(name)
    return local_model_folder(name, fetch_model)


def _groups(examples: Sequence[TrainExample], recipe: Recipe, source: str) -> list[tuple[str, str, list[str]]]:
    for n, ex in enumerate(examples, start=1):
        if not ex.neg:
            raise TrainingDataError(
                f"{source}, example {n} ({ex.query[:60]!r}): no negatives; every query needs at least one. Mine "
                "them with mine_hard_negatives() (or `rerankkit finetune --data ...`), or drop the query")
    rng = random.Random(recipe.seed)
    k = recipe.group_size - 1
    groups = []
    for _ in range(recipe.epochs):
        for ex in examples:
            negs = list(ex.neg)
            picked = rng.sample(negs, k) if len(negs) >= k else [negs[i % len(negs)] for i in range(k)]
            if len(negs) < k:
                rng.shuffle(picked)
            groups.append((ex.query, rng.choice(ex.pos), picked))
    return groups


def _dataset(groups: list[tuple[str, str, list[str]]], recipe: Recipe) -> Any:
    datasets = require("datasets", feature="Fine-tuning")
    if recipe.loss == "grouped":
        columns: dict[str, list[str]] = {"query": [g[0] for g in groups], "positive": [g[1] for g in groups]}
        for i in range(recipe.group_size - 1):
            columns[f"negative_{i + 1}"] = [g[2][i] for g in groups]
        return datasets.Dataset.from_dict(columns)
    queries, passages, labels = [], [], []
    for query, pos, negs in groups:
        for text, label in [(pos, 1.0), *[(n, 0.0) for n in negs]]:
            queries.append(query)
            passages.append(text)
            labels.append(label)
    return datasets.Dataset.from_dict({"query": queries, "passage": passages, "label": labels})


def _grouped_loss(model: Any) -> Any:
    import torch
    from torch import nn

    class GroupedCrossEntropyLoss(nn.Module):
        """Softmax cross-entropy over (positive, negative_1, ...) raw logits, positive as target (FlagEmbedding's)."""

        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, inputs: list[list[str]], labels: Any, prompt: str | None = None,
                    task: str | None = None) -> Any:
            from sentence_transformers.util import batch_to_device

            queries, columns = inputs[0], inputs[1:]
            pairs = [[q, text] for column in columns for q, text in zip(queries, column)]
            features = batch_to_device(self.model.preprocess(pairs, prompt=prompt, task=task), self.model.device)
            logits = self.model(features)["scores"].view(len(columns), len(queries)).T  # (queries, group)
            target = torch.zeros(len(queries), dtype=torch.long, device=logits.device)
            return nn.functional.cross_entropy(logits.float(), target)

        def get_config_dict(self) -> dict[str, Any]:
            return {"loss": "softmax cross-entropy over each group, positive first"}

    return GroupedCrossEntropyLoss(model)


def _callbacks(total: int, show_progress: bool, stop: threading.Event | None,
               on_log: Callable[[dict], None] | None, losses: list[tuple[int, float]],
               deadline: float | None, timed_out: list[bool]) -> list[Any]:
    from transformers import TrainerCallback

    class Watch(TrainerCallback):
        bar: Any = None

        def on_train_begin(self, args, state, control, **kwargs):
            if show_progress:
                from tqdm.auto import tqdm

                self.bar = tqdm(total=total, initial=state.global_step, desc="Fine-tuning", unit="step")

        def on_step_end(self, args, state, control, **kwargs):
            if self.bar is not None:
                self.bar.update(state.global_step - self.bar.n)
            if stop is not None and stop.is_set() and state.global_step < total:
                control.should_save = True  # a checkpoint to resume from, at this very step
                control.should_training_stop = True
            elif deadline is not None and time.monotonic() > deadline and state.global_step < total:
                timed_out.append(True)  # the time budget is spent: this step's model is the result
                control.should_training_stop = True

        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "loss" in logs:
                loss = float(logs["loss"])
                losses.append((state.global_step, loss))
                if self.bar is not None:
                    self.bar.set_postfix(loss=f"{loss:.4f}")
                if on_log is not None:
                    on_log({"step": state.global_step, "total": total, "loss": loss,
                            "learning_rate": float(logs.get("learning_rate", 0.0))})
            # A stop asked for while logging still counts for this step (its checkpoint is saved right after).
            if stop is not None and stop.is_set() and state.global_step < total:
                control.should_save = True
                control.should_training_stop = True

        def on_train_end(self, args, state, control, **kwargs):
            if self.bar is not None:
                self.bar.close()

    return [Watch()]


def _last_checkpoint(folder: Path) -> Path | None:
    found = [p for p in folder.glob("checkpoint-*") if p.name.split("-")[-1].isdigit()
             and (p / "trainer_state.json").is_file()]
    return max(found, key=lambda p: int(p.name.split("-")[-1])) if found else None


def _cross_encoder(base: Path, recipe: Recipe) -> Any:
    from transformers import set_seed

    ce_module = require("sentence_transformers.cross_encoder", feature="Fine-tuning")
    set_seed(recipe.seed)  # the new head's initial weights
    with quiet_transformers():
        model = ce_module.CrossEncoder(os.fspath(base), num_labels=1, max_length=recipe.max_length,
                                       local_files_only=True)
    if recipe.freeze_embeddings:
        for p in model[0].auto_model.base_model.embeddings.word_embeddings.parameters():
            p.requires_grad = False
    return model


def save_initial(base: str | os.PathLike, target: str | os.PathLike, *, seed: int = 0) -> Path:
    """The model as training starts (a new one-logit head where the base has none, seeded): the "before" model."""
    recipe = Recipe(seed=seed)
    model = _cross_encoder(model_folder(base), recipe)
    return _save_model(model, Path(target), model_folder(base), {"stage": "before fine-tuning", "seed": seed})


def _save_model(model: Any, target: Path, base: Path, marker: dict) -> Path:
    from rerankkit._utils.cache import MARKER_FILE
    from rerankkit.models.synthetic import read_marker

    target.mkdir(parents=True, exist_ok=True)
    hf = model[0].auto_model
    with quiet_transformers():
        hf.save_pretrained(target, safe_serialization=True)
        model.tokenizer.save_pretrained(target)
    base_marker = read_marker(base)
    record = {"random_weights": bool(base_marker.get("random_weights", False)), "base_model": os.fspath(base),
              **({"base_source": base_marker["source"]} if "source" in base_marker else {}), **marker}
    (target / MARKER_FILE).write_text(json.dumps(record, indent=2), encoding="utf-8")
    return target


def train_reranker(
    train: str | os.PathLike | Sequence[TrainExample | dict],
    model: str | os.PathLike,
    output: str | os.PathLike,
    *,
    recipe: Recipe | None = None,
    resume: bool = True,
    stop: threading.Event | None = None,
    on_log: Callable[[dict], None] | None = None,
    show_progress: bool = True,
    keep_checkpoints: bool = False,
    device: str | None = None,
    max_seconds: float | None = None,
) -> FinetuneResult:
    """Train ``model`` on ``train`` and save it in ``output`` (checkpoints in ``output/checkpoints`` meanwhile).

    Args:
        train: A JSONL file of ``{"query", "pos", "neg"}`` lines, or the examples.
        model: The model to start from: ``multilingual-e5-small-q4`` (the kit's real encoder; a new one-logit
            head), ``tiny-random``, a folder, or a hub id (a reranker continues its training).
        output: The folder to write; both :func:`rerankkit.load` and FlagEmbedding's ``FlagReranker`` load it.
        recipe: Loss, group size, steps, learning rate, seed... (:class:`Recipe`).
        resume: Continue from the last checkpoint in ``output/checkpoints`` if there is one.
        stop: An event that ends training after the current step, with a checkpoint to resume from.
        on_log: Called with ``{"step", "total", "loss", "learning_rate"}`` after every step.
        show_progress: A progress bar with the loss.
        keep_checkpoints: Keep ``output/checkpoints`` after a complete run (they are as large as the model).
        device: Torch device (default: CUDA when there is one, else CPU).
        max_seconds: A time budget: training ends after the step that spends it, and the model of that step
            is saved as the result (the learning-rate schedule is still planned for ``total_steps``).

    Raises:
        TrainingDataError: A malformed example (its line or number is named), or a query without negatives.
    """
    import torch

    recipe = recipe or Recipe()
    if isinstance(train, (str, os.PathLike)):
        source, examples = os.fspath(train), read_examples(train)
    else:
        source, examples = "examples", check_examples(train)
    groups = _groups(examples, recipe, source)
    # Bad data is reported before the heavy imports below.
    for module in ("datasets", "accelerate", "sentence_transformers"):
        require(module, feature="Fine-tuning")
    from sentence_transformers.cross_encoder import CrossEncoderTrainer, CrossEncoderTrainingArguments
    from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss
    from transformers import PrinterCallback

    output = Path(output)
    base = model_folder(model)
    ce = _cross_encoder(base, recipe)
    if device is not None:
        ce.to(device)
    on_gpu = torch.cuda.is_available() and (device is None or device.startswith("cuda"))
    if recipe.precision != "fp32" and not on_gpu:
        raise ValueError(f"precision={recipe.precision!r} is mixed precision for a GPU; on CPU use 'fp32'")
    dataset = _dataset(groups, recipe)
    rows_per_step = recipe.batch_size * (1 if recipe.loss == "grouped" else recipe.group_size)
    total = -(-len(dataset) // rows_per_step)
    if recipe.max_steps is not None:
        total = min(total, recipe.max_steps)
    loss = _grouped_loss(ce) if recipe.loss == "grouped" else BinaryCrossEntropyLoss(ce)
    checkpoints = output / CHECKPOINTS
    args = CrossEncoderTrainingArguments(
        output_dir=os.fspath(checkpoints), per_device_train_batch_size=rows_per_step, num_train_epochs=1,
        max_steps=total, learning_rate=recipe.learning_rate, warmup_steps=recipe.warmup_ratio,
        weight_decay=recipe.weight_decay, lr_scheduler_type="linear", seed=recipe.seed, data_seed=recipe.seed,
        save_strategy="steps", save_steps=recipe.save_steps, save_total_limit=2, logging_steps=1,
        report_to="none", disable_tqdm=True, dataloader_num_workers=0, use_cpu=not on_gpu,
        bf16=recipe.precision == "bf16", fp16=recipe.precision == "fp16",
    )
    if recipe.gradient_checkpointing:
        args.activation_checkpointing = True
    losses: list[tuple[int, float]] = []
    timed_out: list[bool] = []
    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    with quiet_transformers():
        trainer = CrossEncoderTrainer(model=ce, args=args, train_dataset=dataset, loss=loss,
                                      callbacks=_callbacks(total, show_progress, stop, on_log, losses, deadline,
                                                           timed_out))
    trainer.remove_callback(PrinterCallback)  # it prints every log dict; the bar shows the loss instead
    last = _last_checkpoint(checkpoints) if resume else None
    if not resume and checkpoints.exists():
        shutil.rmtree(checkpoints)
    started = time.perf_counter()
    with quiet_transformers():
        trainer.train(resume_from_checkpoint=os.fspath(last) if last else None)
    seconds = time.perf_counter() - started
    step = int(trainer.state.global_step)
    result = FinetuneResult(output=output, complete=step >= total or bool(timed_out), step=step, total_steps=total, losses=losses,
                            resumed_from=int(last.name.split("-")[-1]) if last else None, seconds=seconds,
                            n_examples=len(examples))
    if result.complete:
        _save_model(ce, output, base, {"stage": "fine-tuned", "recipe": asdict(recipe), "steps": step,
                                       "time_limited": bool(timed_out),
                                       "n_examples": len(examples), "train": source})
        if not keep_checkpoints:
            shutil.rmtree(checkpoints, ignore_errors=True)
    return result
