"""Rerank the top N of a run, resumably, keeping the model busy.

**Resumable.** Every scored pair is appended to a JSONL score file (``{"qid", "docid", "score"}``,
raw logits) and the file is flushed after each batch. A later run with the same file reads what is
there, skips those pairs and scores only the rest: nothing is scored twice and nothing scored is
lost. The first line records the model and ``max_length``; a file written by another model is refused.
A line cut short by a hard kill is dropped (and the file trimmed) before appending.

**Overlap.** A background thread looks up the texts, tokenizes (exactly as ``FlagReranker`` does,
via :meth:`rerankkit.Reranker.encode`), sorts each chunk by length and pads the batches, while the
main thread runs the forward pass and writes the scores; :class:`ScoringStats` reports the share of
wall time spent in the forward pass.

Example:
    >>> import rerankkit
    >>> from rerankkit.evaluation import load_fixture
    >>> data = load_fixture()
    >>> result = rerank_run(data, rerankkit.load("tiny-random"), top_n=3, show_progress=False)
    >>> result.stats.n_pairs == 3 * len(data.run), result.complete
    (True, True)
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import numpy as np

from rerankkit._utils.checks import check_positive_int
from rerankkit.evaluation.formats import FormatError

if TYPE_CHECKING:
    from rerankkit.evaluation.datasets import EvalData
    from rerankkit.evaluation.report import EvaluationReport
    from rerankkit.scoring.reranker import Reranker

__all__ = ["RerankResult", "ScoreLog", "ScoringStats", "evaluate", "rerank_run", "resolve_data", "score_pairs",
           "with_first_stage_tail"]

Key = tuple[str, str]
_FORMAT = "rerankkit-scores/1"


class ScoreLog:
    """An append-only JSONL file of scored (qid, docid) pairs, flushed per batch.

    Args:
        path: The file (created with a header line when absent).
        meta: What produced the scores (model, max_length); must match the header of an existing file.
    """

    def __init__(self, path: str | os.PathLike, meta: Mapping[str, object]) -> None:
        self.path = Path(path)
        self.meta = {"format": _FORMAT, **meta}
        self._file: TextIO | None = None

    def read(self) -> dict[Key, float]:
        """The scores already in the file (empty when it does not exist); trims a line cut short by a kill."""
        if not self.path.exists():
            return {}
        raw = self.path.read_bytes()
        if raw and not raw.endswith(b"\n"):  # the last write was interrupted mid-line
            raw = raw[: raw.rfind(b"\n") + 1]
            with open(self.path, "r+b") as f:
                f.truncate(len(raw))
        lines = raw.decode("utf-8").splitlines()
        if not lines:
            return {}
        try:
            header = json.loads(lines[0])
        except json.JSONDecodeError:
            header = None
        if not isinstance(header, dict) or header.get("format") != _FORMAT:
            raise FormatError(self.path, 1, f"a rerankkit score file header ({_FORMAT}); this file is something "
                              "else: pass another --scores path")
        for field in ("model", "max_length"):
            if header.get(field) != self.meta.get(field):
                raise ValueError(f"{self.path} holds scores of {field}={header.get(field)!r}, but this run uses "
                                 f"{field}={self.meta.get(field)!r}: pass another score file, or delete this one to "
                                 "start over")
        scores: dict[Key, float] = {}
        for n, line in enumerate(lines[1:], start=2):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                key, score = (str(item["qid"]), str(item["docid"])), float(item["score"])
            except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                raise FormatError(self.path, n, '{"qid": ..., "docid": ..., "score": <number>}', line[:80]) from None
            scores.setdefault(key, score)
        return scores

    def open(self) -> None:
        """Open for appending, writing the header first when the file is new or empty."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new = not self.path.exists() or self.path.stat().st_size == 0
        file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - kept open across batches, closed by close()
        if new:
            file.write(json.dumps(self.meta, ensure_ascii=False) + "\n")
            file.flush()
        self._file = file

    def append(self, keys: Sequence[Key], scores: Sequence[float]) -> None:
        """Append one batch and flush it to the operating system."""
        if self._file is None:
            raise RuntimeError("call open() before append()")
        self._file.write("".join(json.dumps({"qid": q, "docid": d, "score": float(s)}, ensure_ascii=False) + "\n"
                                 for (q, d), s in zip(keys, scores)))
        self._file.flush()

    def close(self) -> None:
        """Close the file (safe to call twice)."""
        if self._file is not None:
            self._file.close()
            self._file = None


@dataclass(frozen=True)
class ScoringStats:
    """How a scoring run went.

    Attributes:
        n_pairs: Pairs wanted in all.
        n_resumed: Pairs found already scored in the score file.
        n_scored: Pairs scored by this run.
        n_truncated: Pairs scored by this run that were cut to max_length.
        wall_s: Wall time of this run's scoring loop (seconds, model loading excluded).
        forward_s: Time inside the model's forward pass (logits on the CPU included).
        complete: Whether every pair has a score (False after a stop).
    """

    n_pairs: int
    n_resumed: int
    n_scored: int
    n_truncated: int
    wall_s: float
    forward_s: float
    complete: bool

    @property
    def pairs_per_s(self) -> float:
        """Pairs scored per second of wall time by this run."""
        return self.n_scored / self.wall_s if self.wall_s > 0 else float("nan")

    @property
    def forward_share(self) -> float:
        """Share of wall time spent in the forward pass (1.0 would mean the model never waited)."""
        return self.forward_s / self.wall_s if self.wall_s > 0 else float("nan")


_DONE = object()


def _producer(reranker: Reranker, keys: Sequence[Key], text: Callable[[Key], tuple[str, str]], batch_size: int,
              chunk: int, out: queue.Queue, stop: threading.Event) -> None:
    import torch

    pad_id = reranker.tokenizer.pad_token_id
    tokenize = reranker.info.kind == "encoder"
    try:
        for start in range(0, len(keys), chunk):
            part = list(keys[start : start + chunk])
            pairs = [text(k) for k in part]
            if not tokenize:  # models scored through FlagEmbedding's own path take text
                for b in range(0, len(part), batch_size):
                    out.put((part[b : b + batch_size], pairs[b : b + batch_size], None, 0))
                continue
            encoded = reranker.encode(pairs)
            order = np.argsort(-encoded.n_tokens, kind="stable")  # similar lengths share a batch: less padding
            for b in range(0, len(order), batch_size):
                if stop.is_set():
                    return
                idx = order[b : b + batch_size]
                width = int(encoded.n_tokens[idx[0]])
                ids = torch.full((len(idx), width), pad_id, dtype=torch.long)
                mask = torch.zeros((len(idx), width), dtype=torch.long)
                for row, i in enumerate(idx):
                    n = int(encoded.n_tokens[i])
                    ids[row, :n] = torch.as_tensor(encoded.input_ids[i])
                    mask[row, :n] = 1
                truncated = int((encoded.n_cut[idx] > 0).sum())
                out.put(([part[i] for i in idx], (ids, mask), truncated, 1))
    except BaseException as exc:  # noqa: BLE001 - handed to the scoring thread, which raises it
        out.put(exc)
    finally:
        out.put(_DONE)


def score_pairs(
    reranker: Reranker,
    keys: Sequence[Key],
    text: Callable[[Key], tuple[str, str]],
    *,
    log: ScoreLog | None = None,
    batch_size: int | None = None,
    show_progress: bool = True,
    stop: threading.Event | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> tuple[dict[Key, float], ScoringStats]:
    """Raw logits for (qid, docid) pairs, resuming from and appending to ``log``.

    Args:
        reranker: A loaded :class:`rerankkit.Reranker`.
        keys: The pairs wanted, as (qid, docid).
        text: Maps a key to its (query text, document text).
        log: The score file; ``None`` keeps scores in memory only.
        batch_size: Pairs per forward pass (default: the reranker's).
        show_progress: A tqdm bar with pairs/s and the time left.
        stop: Set it (from another thread, e.g. a Stop button) to end after the current batch.
        on_progress: Called as ``on_progress(done, total)`` after every batch.

    Returns:
        ``{key: logit}`` for every pair scored so far (resumed ones included), and the run's statistics.
    """
    import torch

    batch_size = check_positive_int(batch_size or reranker.batch_size, "batch_size")
    keys = list(dict.fromkeys(keys))
    scores = log.read() if log is not None else {}
    wanted = set(keys)
    n_resumed = sum(1 for k in scores if k in wanted)
    pending = [k for k in keys if k not in scores]
    stop = stop or threading.Event()
    bar = None
    if show_progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(keys), initial=n_resumed, desc="Reranking", unit="pair", smoothing=0.1)
    handoff: queue.Queue = queue.Queue(maxsize=8)
    halt = threading.Event()
    worker = threading.Thread(target=_producer, args=(reranker, pending, text, batch_size, batch_size * 16,
                                                      handoff, halt), daemon=True, name="rerankkit-tokenize")
    n_scored = n_truncated = 0
    forward_s = 0.0
    model, device = reranker.model, reranker.model.device
    if log is not None:
        log.open()
    started = time.perf_counter()
    worker.start()
    try:
        with torch.inference_mode():
            while not stop.is_set():
                item = handoff.get()
                if item is _DONE:
                    break
                if isinstance(item, BaseException):
                    raise item
                batch_keys, payload, truncated, kind = item
                t0 = time.perf_counter()
                if kind:
                    ids, mask = payload
                    out = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits
                    logits = out.view(-1).float().cpu().numpy()
                else:
                    logits = reranker.score(payload, batch_size=batch_size, show_progress=False)
                forward_s += time.perf_counter() - t0
                if not np.isfinite(logits).all():
                    raise ValueError(f"the model returned non-finite scores for {batch_keys[:3]}; check the model's "
                                     "weights and dtype (fp16 can overflow: try dtype='fp32' or 'bf16')")
                if log is not None:
                    log.append(batch_keys, logits)
                scores.update(zip(batch_keys, logits.tolist()))
                n_scored += len(batch_keys)
                n_truncated += truncated or 0
                if bar is not None:
                    bar.update(len(batch_keys))
                if on_progress is not None:
                    on_progress(n_resumed + n_scored, len(keys))
    finally:
        wall = time.perf_counter() - started
        halt.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            try:
                handoff.get(timeout=0.05)
            except queue.Empty:
                pass
        if log is not None:
            log.close()
        if bar is not None:
            bar.close()
    stats = ScoringStats(n_pairs=len(keys), n_resumed=n_resumed, n_scored=n_scored, n_truncated=n_truncated,
                         wall_s=wall, forward_s=forward_s, complete=all(k in scores for k in keys))
    return scores, stats


@dataclass(frozen=True)
class RerankResult:
    """A reranked run and how it was scored.

    Attributes:
        base: The first-stage run cut to the top N (``{qid: {docid: score}}``).
        reranked: Reranked run of the queries whose every pair is scored (``{qid: {docid: logit}}``).
        stats: Scoring statistics.
        model_label: The reranker (with the random-weights warning when it applies).
        random_weights: Whether the scores mean nothing.
    """

    base: dict[str, dict[str, float]]
    reranked: dict[str, dict[str, float]]
    stats: ScoringStats
    model_label: str
    random_weights: bool

    @property
    def complete(self) -> bool:
        """Whether every query was reranked."""
        return self.stats.complete


def rerank_run(
    data: EvalData,
    reranker: Reranker,
    *,
    top_n: int = 100,
    scores_path: str | os.PathLike | None = None,
    batch_size: int | None = None,
    show_progress: bool = True,
    stop: threading.Event | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> RerankResult:
    """Rerank each query's top ``top_n`` documents of ``data.run`` (see :func:`score_pairs` for the arguments)."""
    if data.run is None:
        raise ValueError(f"{data.name} has no first-stage run to rerank: pass a run file, or build one with "
                         "first_stage_run(data)")
    run = data.run
    top = data.top(top_n)
    keys = [(q, d) for q, docs in top.items() for d in docs]
    log = None
    if scores_path is not None:
        log = ScoreLog(scores_path, {"model": reranker.info.model_id, "max_length": reranker.info.max_length,
                                     "dtype": reranker.info.dtype})
    queries, docs = data.queries, data.docs
    scores, stats = score_pairs(reranker, keys, lambda k: (queries[k[0]], docs[k[1]]), log=log,
                                batch_size=batch_size, show_progress=show_progress, stop=stop,
                                on_progress=on_progress)
    base = {q: {d: float(run[q][d]) for d in ids} for q, ids in top.items()}
    reranked = {}
    for q, ids in top.items():
        if all((q, d) in scores for d in ids):
            reranked[q] = dict(sorted(((d, scores[(q, d)]) for d in ids), key=lambda kv: -kv[1]))
    return RerankResult(base=base, reranked=reranked, stats=stats, model_label=reranker.info.label,
                        random_weights=reranker.info.random_weights)


def with_first_stage_tail(
    reranked: Mapping[str, Mapping[str, float]], run: Mapping[str, Mapping[str, float]]
) -> dict[str, dict[str, float]]:
    """The reranked top N of each query followed by the rest of its first-stage run, in first-stage order.

    The usual convention for a reranked run file: a reader who compares runs deeper than N keeps the first
    stage's recall there. The appended documents get scores below the reranked block (the lowest reranked
    logit minus 1, 2, 3, ...), so trec_eval, which sorts by score, keeps this order. Queries not reranked
    (scoring stopped) are left out, as in ``reranked``.

    Example:
        >>> out = with_first_stage_tail({"q": {"b": 2.0, "a": -1.0}}, {"q": {"a": 9.0, "b": 8.0, "c": 7.0, "d": 6.0}})
        >>> out["q"]
        {'b': 2.0, 'a': -1.0, 'c': -2.0, 'd': -3.0}
    """
    out: dict[str, dict[str, float]] = {}
    for q, top in reranked.items():
        block = dict(top)
        floor = min(block.values(), default=0.0)
        rest = [d for d, _ in sorted(run.get(q, {}).items(), key=lambda kv: -kv[1]) if d not in block]
        block.update({d: floor - i for i, d in enumerate(rest, start=1)})
        out[q] = block
    return out


def resolve_data(data: EvalData | str, *, first_stage: str = "bm25", k: int = 100, download: bool = True
                 ) -> EvalData:
    """``EvalData`` as given, or by name: ``fixture``, ``cases:<set>`` or a benchmark (see ``benchmark_names``).

    Data without a run gets the kit's ``first_stage`` retriever's top ``k``.
    """
    from rerankkit.evaluation.datasets import first_stage_run, from_cases, load_benchmark, load_fixture

    if isinstance(data, str):
        name = data.strip()
        if name == "fixture":
            data = load_fixture()
        elif name.startswith("cases:"):
            data = from_cases(name.split(":", 1)[1])
        else:
            data = load_benchmark(name, k=k, download=download)
    if data.run is None:
        data = data.with_run(first_stage_run(data, kind=first_stage, k=k), first_stage)  # type: ignore[arg-type]
    return data


def evaluate(
    data: EvalData | str,
    model: Reranker | str | None = None,
    *,
    top_n: int = 100,
    scores_path: str | os.PathLike | None = None,
    output: str | os.PathLike | None = None,
    first_stage: str = "bm25",
    batch_size: int | None = None,
    show_progress: bool = True,
    stop: threading.Event | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> EvaluationReport:
    """Rerank the top ``top_n`` of a run and report Base -> Reranked nDCG@10, MRR@10, Recall@N and MAP.

    Args:
        data: An :class:`~rerankkit.evaluation.EvalData`, or a name (``fixture``, ``cases:<set>``, a benchmark).
        model: A loaded reranker or a spec for :func:`rerankkit.load` (default: ``$RERANKKIT_MODEL``...).
        top_n: Documents per query to rerank.
        scores_path: JSONL score file to resume from and append to (``None``: in memory only).
        output: Where to write the reranked run as a TREC run file (tag ``rerankkit``): each query's reranked top
            ``top_n``, then the rest of its first-stage run in first-stage order, scored below the reranked block
            (see :func:`with_first_stage_tail`).
        first_stage: Retriever (``bm25`` or ``dense``) for data without a run.
        batch_size: Pairs per forward pass.
        show_progress: A progress bar with pairs/s and the time left.
        stop: An event that ends scoring after the current batch (what was scored is kept).
        on_progress: ``on_progress(done, total)`` after every batch.

    Example:
        >>> report = evaluate("fixture", "tiny-random", top_n=5, show_progress=False)
        >>> list(report.table.columns)
        ['nDCG@10', 'MRR@10', 'Recall@5', 'MAP']
        >>> report.data_stats.n_unjudged, report.random_weights
        (2, True)
    """
    from rerankkit.evaluation.report import EvaluationReport, compare_runs, significance, summary_table, worse_queries
    from rerankkit.scoring.loading import load
    from rerankkit.scoring.reranker import Reranker

    check_positive_int(top_n, "top_n")
    data = resolve_data(data, first_stage=first_stage, k=top_n)
    stats = data.check(top_n)
    reranker = model if isinstance(model, Reranker) else load(model)
    result = rerank_run(data, reranker, top_n=top_n, scores_path=scores_path, batch_size=batch_size,
                        show_progress=show_progress, stop=stop, on_progress=on_progress)
    output_note = ""
    if output is not None:
        from rerankkit.evaluation.formats import write_run

        full = with_first_stage_tail(result.reranked, data.run or {})
        write_run(full, output, tag="rerankkit")
        deepest = max((len(v) for v in full.values()), default=0)
        output_note = (f"Run file {os.fspath(output)}: per query the reranked top {top_n}, then the rest of the "
                       f"first-stage run ({data.run_name}) in its own order, scored below the reranked block "
                       f"(up to {deepest} documents per query), so metrics deeper than {top_n} keep the first "
                       "stage's recall.")
    # A stopped run is compared on the queries it finished, in both stages (a paired comparison).
    judged = [q for q in dict.fromkeys([*result.base, *data.qrels]) if data.qrels.get(q)]
    done = judged if result.complete else [q for q in judged if q in result.reranked]
    if not done:
        raise ValueError("scoring stopped before any judged query was fully reranked: nothing to compare yet; "
                         "run again with the same score file to continue")
    per_query = compare_runs(data.qrels, result.base, result.reranked, top_n=top_n, queries=done)
    return EvaluationReport(
        name=data.name, base_name=data.run_name, model_label=result.model_label,
        random_weights=result.random_weights, top_n=top_n, data_stats=stats, scoring=result.stats,
        table=summary_table(per_query, base_name=f"Base ({data.run_name})"), per_query=per_query,
        tests=significance(per_query), worse=worse_queries(per_query, data.queries), base=result.base,
        reranked=result.reranked, output_note=output_note)
