"""``rerank_dataset``: score many pairs with an actor pool on Ray Data, resumably, into parquet.

Output folder::

    OUTPUT/
      job.json       what is scored (model, dtype, max_length, input) and the counts of the last run
      scores/        parquet parts written by Ray Data; each row: row_id, [source, line], [qid, docid],
                     [query, passage], logit, n_cut, error
      errors.jsonl   one JSON line per pair that could not be scored: row_id, source, line, ids, reason

A re-run of the same job reads the ``row_id`` column of the parts already written and scores only the
rows that are missing (a part that is unreadable, e.g. cut short by a crash, is deleted and its rows
scored again). Read results back with :func:`read_scores` (input order) and :func:`read_errors`.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rerankkit._utils.checks import check_positive_int
from rerankkit.scale.inputs import TEXT_COLUMNS, list_input_files, pairs_frame, plan_files, read_shard
from rerankkit.scale.runtime import import_ray, ray_runtime
from rerankkit.scale.worker import PairScorer

__all__ = ["rerank_dataset", "RerankJob", "read_scores", "read_errors", "done_row_ids"]

# Rows per actor call = batch_size * this: the reranker sorts a call's pairs by length, so a wider
# window pads less; a call is also the unit that is retried.
CALL_BATCHES = 8
ERROR_FIELDS = ("row_id", "source", "line", "qid", "docid", "error")


@dataclass
class RerankJob:
    """What a :func:`rerank_dataset` run did.

    Attributes:
        output: The output folder.
        n_pairs: Pairs in the input.
        n_already_done: Pairs found scored (or failed) by an earlier run and skipped.
        n_processed: Pairs this run sent through the actors.
        n_errors: Pairs in ``errors.jsonl`` (all runs).
        seconds: Wall time of this run, Ray start-up included.
        stats: Ray Data's execution statistics for this run ("" when nothing was left to do).
        settings: Model, device, actors and batch sizes used.
    """

    output: Path
    n_pairs: int
    n_already_done: int
    n_processed: int
    n_errors: int
    seconds: float
    stats: str = ""
    settings: dict = field(default_factory=dict)

    def scores(self) -> pd.DataFrame:
        """Scored pairs in input order (see :func:`read_scores`)."""
        return read_scores(self.output)

    def errors(self) -> pd.DataFrame:
        """Pairs that could not be scored, with their reason (see :func:`read_errors`)."""
        return read_errors(self.output)

    def __str__(self) -> str:
        return (f"{self.n_pairs} pairs: {self.n_processed} processed now, {self.n_already_done} done before, "
                f"{self.n_errors} in errors.jsonl; {self.seconds:.1f} s; output {self.output}")


def _parts(output: Path) -> list[Path]:
    folder = output / "scores"
    return sorted(folder.glob("*.parquet")) if folder.is_dir() else []


def done_row_ids(output: str | os.PathLike, *, drop_broken: bool = False) -> np.ndarray:
    """Sorted ``row_id`` values already written under ``output/scores`` (scored or failed).

    Args:
        output: The job's output folder.
        drop_broken: Delete parts that cannot be read (a write cut short); their rows count as missing.
    """
    import pyarrow.parquet as pq

    ids = []
    for part in _parts(Path(output)):
        try:
            ids.append(pq.read_table(part, columns=["row_id"]).column("row_id").to_numpy())
        except Exception:  # noqa: BLE001 - any unreadable part is incomplete by definition
            if drop_broken:
                part.unlink()
    return np.unique(np.concatenate(ids)) if ids else np.empty(0, dtype=np.int64)


def read_scores(output: str | os.PathLike, *, include_errors: bool = False) -> pd.DataFrame:
    """All scored pairs of a job, sorted by ``row_id`` (the input order).

    Args:
        output: The job's output folder.
        include_errors: Keep the rows that failed (``logit`` is NaN, ``error`` says why).
    """
    parts = _parts(Path(output))
    if not parts:
        raise FileNotFoundError(f"{output} holds no scores: run rerank_dataset(..., output={str(output)!r}) first")
    frame = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    if not include_errors:
        frame = frame[frame["error"].isna()]
    return frame.sort_values("row_id", kind="stable").reset_index(drop=True)


def read_errors(output: str | os.PathLike) -> pd.DataFrame:
    """The pairs in ``output/errors.jsonl``: row_id, source, line, ids and the reason, in input order."""
    path = Path(output) / "errors.jsonl"
    if not path.exists() or path.stat().st_size == 0:
        return pd.DataFrame(columns=list(ERROR_FIELDS))
    return pd.read_json(path, lines=True, dtype=False)


def _write_errors(output: Path) -> int:
    """Rewrite errors.jsonl from every part, so that a resumed job keeps the errors of earlier runs."""
    import pyarrow.parquet as pq

    frames = []
    for part in _parts(output):
        table = pq.read_table(part)
        keep = [c for c in ERROR_FIELDS if c in table.column_names]
        frame = table.select(keep).to_pandas()
        frames.append(frame[frame["error"].notna()])
    errors = pd.concat(frames, ignore_index=True).sort_values("row_id") if frames else pd.DataFrame()
    path = output / "errors.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for row in errors.to_dict(orient="records"):
            clean = {k: v for k, v in row.items() if v is not None and not (isinstance(v, float) and math.isnan(v))}
            handle.write(json.dumps(clean, ensure_ascii=False, default=int) + "\n")
    return len(errors)


def _describe_input(source: Any, files: list[Path] | None, frame: pd.DataFrame | None, n_rows: int) -> dict:
    if files is not None:
        return {"files": [[str(p.resolve()), p.stat().st_size] for p in files], "rows": n_rows}
    if frame is not None:
        digest = int(pd.util.hash_pandas_object(frame[list(TEXT_COLUMNS)].astype(str), index=False).sum() % 2**61)
        return {"frame_rows": n_rows, "text_hash": digest}
    return {"dataset_rows": n_rows}


def _prepare_output(output: Path, manifest: dict, overwrite: bool) -> None:
    path = output / "job.json"
    if path.exists():
        old = json.loads(path.read_text())
        same = all(old.get(k) == manifest[k] for k in ("model", "dtype", "max_length", "input"))
        if not same and not overwrite:
            raise ValueError(
                f"{output} holds another job's scores (model {old.get('model')!r}, input {old.get('input')}); "
                "pick another output folder, or pass overwrite=True (--overwrite) to start again")
        if not same or overwrite:
            shutil.rmtree(output / "scores", ignore_errors=True)
            (output / "errors.jsonl").unlink(missing_ok=True)
    (output / "scores").mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest, indent=2))


def _read_shards(batch: pd.DataFrame, done: np.ndarray) -> pd.DataFrame:
    frames = [read_shard(row) for row in batch.to_dict(orient="records")]
    frame = pd.concat(frames, ignore_index=True)
    return frame[~np.isin(frame["row_id"].to_numpy(), done)] if len(done) else frame


def _drop_done(batch: pd.DataFrame, done: np.ndarray) -> pd.DataFrame:
    return batch[~np.isin(batch["row_id"].to_numpy(), done)]


def _pool_size(ray: Any, concurrency: int | None, gpus_per_actor: float) -> int:
    if concurrency is not None:
        return check_positive_int(concurrency, "concurrency")
    if gpus_per_actor:
        return max(1, int(ray.cluster_resources().get("GPU", 0) // gpus_per_actor))
    # One replica per machine on CPU: torch spreads a forward pass over the cores itself.
    return max(1, sum(1 for node in ray.nodes() if node.get("Alive")))


def rerank_dataset(
    source: Any,
    output: str | os.PathLike,
    *,
    model: str | None = None,
    device: str = "auto",
    dtype: str = "auto",
    max_length: int | None = None,
    batch_size: int = 32,
    concurrency: int | None = None,
    cpus_per_actor: float = 1.0,
    gpus_per_actor: float | None = None,
    threads_per_actor: int | None = None,
    keep_text: bool = True,
    shard_rows: int = 10_000,
    address: str | None = None,
    runtime_env: dict | None = None,
    overwrite: bool = False,
    show_progress: bool = True,
    quiet: bool = True,
) -> RerankJob:
    """Score (query, passage) pairs with an actor pool on Ray Data and write them to parquet.

    Args:
        source: JSONL/parquet file(s) or folder(s) with ``query`` and ``passage`` (optionally ``qid``,
            ``docid``); a DataFrame with those columns; a list of ``(query, passage)`` pairs; or a
            ``ray.data.Dataset`` with a unique integer ``row_id`` column (the input order and resume key).
        output: Folder for ``scores/``, ``errors.jsonl`` and ``job.json``; a re-run resumes there.
        model: Model spec for :func:`rerankkit.load` (default ``$RERANKKIT_MODEL`` or bge-reranker-v2-m3).
        device: Device of every actor (``auto`` picks the GPU an actor was given, else CPU).
        dtype: ``auto``, ``fp32``, ``fp16`` or ``bf16``.
        max_length: Tokens per pair (default: the model's default).
        batch_size: Pairs per forward pass in each actor.
        concurrency: Actors (model replicas). Default: one per GPU when actors get GPUs, else one per node.
        cpus_per_actor: Logical CPUs Ray reserves per actor (leave some for reading and writing).
        gpus_per_actor: GPUs per actor (default: 1 when the cluster has GPUs and device is not cpu; 0.5
            puts two replicas on one GPU).
        threads_per_actor: torch threads per CPU actor (default: the node's cores shared by its actors).
        keep_text: Keep ``query`` and ``passage`` in the output.
        shard_rows: Rows per read task for JSONL (parquet is read one row group per task), and at most
            per output part: the granularity at which a re-run resumes.
        address: Ray cluster to run on (default ``$RAY_ADDRESS``; with neither, Ray starts locally).
        runtime_env: Ray runtime environment for a cluster (e.g. ``{"pip": ["rerankkit[scale]"]}``).
        overwrite: Delete an earlier job's scores in ``output`` instead of resuming.
        show_progress: Ray Data's progress bars.
        quiet: Hide Ray's execution plans and set-up notes.

    Returns:
        A :class:`RerankJob` with counts and Ray Data's stats; ``.scores()`` reads the output in input order.

    Example:
        >>> import tempfile
        >>> job = rerank_dataset([("what is panda?", "hi")], tempfile.mkdtemp(), model="tiny-random",
        ...                      show_progress=False)  # doctest: +SKIP
    """
    started = time.perf_counter()
    check_positive_int(batch_size, "batch_size")
    check_positive_int(shard_rows, "shard_rows")
    check_positive_int(threads_per_actor, "threads_per_actor", allow_none=True)
    if not (isinstance(cpus_per_actor, (int, float)) and cpus_per_actor > 0):
        raise ValueError(f"cpus_per_actor must be a positive number, got {cpus_per_actor!r}")
    output = Path(output)

    # Plan the input on the driver: cheap (file sizes, line offsets, row-group counts), no text is scored.
    files = frame = None
    dataset: Any = None
    shards: list = []
    if _is_paths(source):
        files = list_input_files(source)
        shards = plan_files(files, shard_rows=shard_rows)
        n_pairs = sum(s.n_rows for s in shards)
    elif isinstance(source, (pd.DataFrame, list, tuple)):
        frame = pairs_frame(source)
        n_pairs = len(frame)
    elif isinstance(source, import_ray().data.Dataset):
        dataset = source
        n_pairs = -1  # counted once Ray is up
    else:
        raise TypeError("source must be file path(s), a DataFrame, a list of (query, passage) pairs or a "
                        f"ray.data.Dataset, got {type(source).__name__}")

    with ray_runtime(address, runtime_env=runtime_env, quiet=quiet) as ray:
        import ray.data as rd

        if dataset is not None:
            missing = [c for c in TEXT_COLUMNS if c not in dataset.columns()]
            if missing:
                raise ValueError(f"the Dataset has no column {missing[0]!r}: it needs 'query' and 'passage' "
                                 f"(optionally 'qid', 'docid', 'row_id'); it has {dataset.columns()}")
            if "row_id" not in dataset.columns():
                # Ray Data keeps no row order of its own (Dataset.zip is deprecated for that reason), so the
                # input order, the resume key and the error lines all come from a column the user owns.
                raise ValueError("the Dataset has no 'row_id' column: add a unique integer row_id per pair (e.g. "
                                 "build it from a DataFrame with one), or pass the files or DataFrame directly")
            n_pairs = dataset.count()
        manifest = {"model": model or os.environ.get("RERANKKIT_MODEL") or "default", "dtype": dtype,
                    "max_length": max_length, "input": _describe_input(source, files, frame, n_pairs)}
        _prepare_output(output, manifest, overwrite)
        done = done_row_ids(output, drop_broken=True)

        ctx = rd.DataContext.get_current()
        ctx.enable_progress_bars = show_progress
        # With the bars off, Ray's note that they are off is noise; with them on, its progress lines must pass.
        logging.getLogger("ray.data._internal.progress").setLevel(logging.NOTSET if show_progress else logging.ERROR)
        if gpus_per_actor is None:
            has_gpu = ray.cluster_resources().get("GPU", 0) > 0
            gpus_per_actor = 1.0 if has_gpu and not str(device).startswith("cpu") else 0.0
        actors = _pool_size(ray, concurrency, gpus_per_actor)
        total_cpus = ray.cluster_resources().get("CPU", 1)
        if not gpus_per_actor and total_cpus > 1 and actors * cpus_per_actor > total_cpus - 1:
            raise ValueError(
                f"{actors} actors x {cpus_per_actor} CPUs leave no CPU of {total_cpus:g} for reading and writing, "
                "and the job would wait forever; lower concurrency or cpus_per_actor (e.g. 0.5)")
        if threads_per_actor is None and not gpus_per_actor:
            nodes = max(1, sum(1 for node in ray.nodes() if node.get("Alive")))
            node_cpus = int(total_cpus // nodes)
            threads_per_actor = max(1, node_cpus // math.ceil(actors / nodes))

        ds: Any  # a Ray Dataset, or None when nothing is left to score
        if files is not None:
            todo = [s for s in shards if _missing_in(done, s.first_row, s.n_rows)]
            ds = rd.from_items([s.as_item() for s in todo], override_num_blocks=max(1, len(todo))) if todo else None
            if ds is not None:
                # Half a CPU per read task: reading is light, and different resources keep Ray Data from
                # fusing the read into the actors, where the actor's batch_size would count shards, not pairs.
                ds = ds.map_batches(_read_shards, batch_size=1, batch_format="pandas", fn_kwargs={"done": done},
                                    num_cpus=0.5)
            n_todo = sum(s.n_rows for s in todo) - int(np.isin(done, _row_ranges(todo)).sum()) if todo else 0
        elif frame is not None:
            left = frame[~np.isin(frame["row_id"].to_numpy(), done)] if len(done) else frame
            chunks = [left.iloc[i: i + shard_rows] for i in range(0, len(left), shard_rows)]
            ds = rd.from_pandas(chunks) if chunks else None
            n_todo = len(left)
        else:
            ds = dataset.map_batches(_drop_done, batch_format="pandas", fn_kwargs={"done": done}) if len(done) \
                else dataset
            n_todo = n_pairs - len(done)

        settings = {"model": manifest["model"], "device": device, "dtype": dtype, "batch_size": batch_size,
                    "actors": actors, "cpus_per_actor": cpus_per_actor, "gpus_per_actor": gpus_per_actor,
                    "threads_per_actor": threads_per_actor}
        stats = ""
        if ds is not None and n_todo > 0:
            scored = ds.map_batches(
                PairScorer,
                fn_constructor_kwargs={"model": model, "device": device, "dtype": dtype, "max_length": max_length,
                                       "batch_size": batch_size, "threads": threads_per_actor,
                                       "keep_text": keep_text},
                batch_size=batch_size * CALL_BATCHES,
                batch_format="pandas",
                compute=rd.ActorPoolStrategy(size=actors),
                num_cpus=cpus_per_actor,
                num_gpus=gpus_per_actor or None,
            )
            # Parts of at most shard_rows rows: the unit a resumed job skips or redoes.
            with _progress_on_stdout(show_progress) if quiet else nullcontext():
                scored.write_parquet(str(output / "scores"), max_rows_per_file=shard_rows)
            stats = scored.stats()
        n_errors = _write_errors(output)
    seconds = time.perf_counter() - started
    manifest["last_run"] = {"pairs": n_pairs, "already_done": int(len(done)), "processed": int(max(n_todo, 0)),
                            "errors": n_errors, "seconds": round(seconds, 3), **settings}
    (output / "job.json").write_text(json.dumps(manifest, indent=2))
    return RerankJob(output=output, n_pairs=n_pairs, n_already_done=int(len(done)), n_processed=int(max(n_todo, 0)),
                     n_errors=n_errors, seconds=seconds, stats=stats, settings=settings)


# Ray Data logs its progress as lines (not bars) when stdout is no terminal, as in a notebook's kernel, and notes
# where a sink wrote: output a reader should see, on stdout rather than mixed with errors on stderr. Its note that
# it logs progress because stdout is no terminal tells a reader nothing.
_PROGRESS_LINES = ("ray.data._internal.progress.logging_progress", "ray.data.dataset")
_PROGRESS_NOTE = "ray.data._internal.progress"


@contextmanager
def _progress_on_stdout(show_progress: bool) -> Iterator[None]:
    """Meanwhile, Ray Data's progress lines and sink notes go to stdout as plain messages (or nowhere)."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    loggers = [logging.getLogger(name) for name in (*_PROGRESS_LINES, _PROGRESS_NOTE)]
    saved = [(lg.level, lg.propagate, lg.handlers[:]) for lg in loggers]
    for lg in loggers[:-1]:
        lg.handlers[:] = [handler]
        lg.propagate = False
        lg.setLevel(logging.INFO if show_progress else logging.WARNING)
    loggers[-1].setLevel(logging.WARNING if show_progress else logging.ERROR)  # also: "bars disabled"
    try:
        yield
    finally:
        for lg, (level, propagate, handlers) in zip(loggers, saved, strict=True):
            lg.handlers[:] = handlers
            lg.propagate = propagate
            lg.setLevel(level)


def _is_paths(source: Any) -> bool:
    if isinstance(source, (str, os.PathLike)):
        return True
    return isinstance(source, (list, tuple)) and len(source) > 0 and all(
        isinstance(s, (str, os.PathLike)) for s in source)


def _missing_in(done: np.ndarray, first: int, n: int) -> bool:
    lo, hi = np.searchsorted(done, [first, first + n])
    return (hi - lo) < n


def _row_ranges(shards: Sequence) -> np.ndarray:
    return np.concatenate([np.arange(s.first_row, s.first_row + s.n_rows) for s in shards])
