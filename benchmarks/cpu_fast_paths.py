"""CPU fast paths against FlagReranker and sentence-transformers (its own int8 backends included), in one run.

Times, on the same model folder and the same pairs (queries of 5-20 tokens; each pair's total length in
tokens of the model's tokenizer spread from ``--lengths`` MIN:MEDIAN:MAX, default 89:232:373), every path at
every batch size of ``--batch-sizes`` (default 1, 4 and 16), so each is compared at its own best:

- ``FlagReranker.compute_score`` in fp32 (also at its default batch size, 128);
- ``sentence-transformers`` ``CrossEncoder.predict`` in fp32 (PyTorch), in this process;
- sentence-transformers' own int8 paths, each in its peer environment as a worker process
  (``benchmarks/peers/``; create them once with ``--setup-peers``): ONNX Runtime dynamic int8 with the
  quantization config that fits this CPU (``avx512_vnni``, ``avx512`` or ``avx2``), OpenVINO static int8
  calibrated on the same pairs as rerankkit's static int8 (its 96 calibration pairs, never the timed pairs),
  and OpenVINO at its defaults;
- rerankkit ``score`` in fp32, bf16 (by default when the CPU has AVX512-BF16 or AMX) and int8 with every backend
  in ``rerankkit.backends.INT8_BACKENDS``. ``dtype="fastest"`` is not a row of its own: the row of the path it
  chooses is marked. That path also runs once more at the largest batch size with the token budget off
  (``max_batch_tokens=None``), which measures what the budget is worth to a caller who passes a large batch size.

Each timed pass scores every pair end to end (tokenization included; a worker times its own
``predict`` call, so the pipe between processes is not counted). Models are built and warmed up
untimed first. Rounds are interleaved, and the order rotates each round, so a noisy neighbour on a
shared machine slows all alike and none always runs first. The 1-minute load average before each round is
recorded, and a round that starts above the benchmark's threads + 1 is marked busy. Prints pairs/s per
path and batch size (median over rounds; min and max in the JSON), the largest |logit difference| and
Kendall's tau against FlagReranker fp32, two views of rerankkit against the peers (each path at its best
batch size, the headline; and the fastest of each side at every nominal batch size), rerankkit fp32 against
FlagReranker at its default and at its best batch size, the token budget's effect, the CPU's model and ISA
flags, and the versions in every environment.

    python benchmarks/cpu_fast_paths.py --setup-peers                      # once: .venv-peer-onnx, .venv-peer-openvino
    python benchmarks/cpu_fast_paths.py --json results.json                # bge-reranker-v2-m3 shape, 2 threads
    python benchmarks/cpu_fast_paths.py --model tiny-random --pairs 8 --repeats 1   # quick smoke run

``random:BAAI/bge-reranker-v2-m3`` has the real architecture and size with random weights:
timings are honest for that model; the agreement figures on random weights only show that
each path computes the same function, not how the real model's rankings move (run with
``--model BAAI/bge-reranker-v2-m3`` for that).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import time
import venv
import warnings
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")  # FlagEmbedding's own progress bars would flood the table

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers.protocol import (  # noqa: E402
    best_batches,
    cpu_flags,
    cpu_model,
    decode,
    encode,
    headline,
    isa_summary,
    kendall_tau,
    rotated,
)

ROOT = Path(__file__).resolve().parents[1]
PEERS_DIR = Path(__file__).resolve().parent / "peers"
FLAG_DEFAULT_BATCH = 128  # FlagReranker's default batch_size
TORCH_PIN = "torch==2.13.0"  # installed first, alone: the CPU wheel, so no CUDA packages come along
# Peer environment -> (folder under the repository root, worker contenders it hosts).
PEER_ENVS = {
    "onnx": (".venv-peer-onnx", ("st-onnx-int8",)),
    "openvino": (".venv-peer-openvino", ("st-openvino-int8-static", "st-openvino")),
}
PEER_LABELS = {
    "st-onnx-int8": "sentence-transformers ONNX int8 dynamic",
    "st-openvino-int8-static": "sentence-transformers OpenVINO int8 static",
    "st-openvino": "sentence-transformers OpenVINO default",
}


def setup_peers(names: list[str]) -> None:
    """Create each peer environment under the repository root and install its pinned requirements."""
    for name in names:
        folder = ROOT / PEER_ENVS[name][0]
        requirements = PEERS_DIR / f"requirements-{name}.txt"
        print(f"peer environment {name}: {folder} from {requirements.relative_to(ROOT)}", flush=True)
        if not (folder / "bin" / "python").exists():
            venv.EnvBuilder(with_pip=True).create(folder)
        python = str(folder / "bin" / "python")
        subprocess.run([python, "-m", "pip", "install", "-q", TORCH_PIN], check=True)
        # Every package is pinned in the file, so no resolver runs (it would pull a CUDA torch for torchvision).
        subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", "-r", str(requirements)], check=True)
        subprocess.run([python, str(PEERS_DIR / "worker.py"), "--check"], check=True)


def length_controlled_pairs(tokenizer, n: int, lengths: tuple[int, int, int], seed: int = 0) -> list[tuple[str, str]]:
    """Pairs whose total tokens (specials included) spread evenly from MIN to MEDIAN and MEDIAN to MAX.

    Queries have 5-20 tokens; passages fill each pair up to its target length. The order is shuffled.
    """
    lo, median, hi = lengths
    rng = np.random.default_rng(seed)
    words = ("paris france capital city river museum tower history people language food wine art bridge train "
             "station north south old new large small famous centre park street market panda bear china water "
             "learning model data quantum computer energy light music school garden winter summer").split()
    word_tokens = {w: len(tokenizer(" " + w, add_special_tokens=False)["input_ids"]) for w in words}
    fillers = [w for w in words if word_tokens[w] == 1] or [min(words, key=word_tokens.__getitem__)]
    if n == 1:
        targets = [median]
    else:
        low = np.linspace(lo, median, (n + 1) // 2)
        high = np.linspace(median, hi, n // 2 + 1)[1:] if n % 2 else np.linspace(median, hi, n // 2)
        targets = [int(round(t)) for t in np.concatenate([low, high])]
    rng.shuffle(targets)

    def count(query: str, passage: str) -> int:
        return len(tokenizer(query, passage)["input_ids"])

    pairs = []
    for target in targets:
        query_words, query_tokens = [], int(rng.integers(5, 21))
        while sum(word_tokens[w] for w in query_words) < query_tokens:
            query_words.append(str(rng.choice(words)))
        query = " ".join(query_words)
        passage = []
        while count(query, " ".join(passage)) < target:
            passage.append(str(rng.choice(words)))
        for _ in range(50):  # trim to the target exactly where one-token words allow
            total = count(query, " ".join(passage))
            if total > target and len(passage) > 1:
                passage.pop()
            elif total < target:
                passage.append(str(rng.choice(fillers)))
            else:
                break
        pairs.append((query, " ".join(passage)))
    return pairs


def token_controlled_pairs(tokenizer, n: int, seed: int = 0) -> list[tuple[str, str]]:
    """The earlier spread (``--lengths triangular``): passages of 30-400 tokens, triangular with mode 80."""
    rng = np.random.default_rng(seed)
    words = ("paris france capital city river museum tower history people language food wine art bridge train "
             "station north south old new large small famous centre park street market panda bear china water "
             "learning model data quantum computer energy light music school garden winter summer").split()
    word_tokens = {w: len(tokenizer(" " + w, add_special_tokens=False)["input_ids"]) for w in words}

    def text(target: int) -> str:
        out, count = [], 0
        while count < target:
            w = str(rng.choice(words))
            out.append(w)
            count += word_tokens[w]
        return " ".join(out)

    return [(text(int(rng.integers(5, 21))), text(int(round(rng.triangular(30, 80, 400))))) for _ in range(n)]


def calibration_texts(tokenizer, n: int | None = None) -> tuple[list[str], int]:
    """rerankkit's own static-int8 calibration pairs, each written as one text for the peer's exporter.

    sentence-transformers' ``export_static_quantized_openvino_model`` tokenizes one text column, so each
    (query, passage) pair becomes the text that the tokenizer turns into the pair's own ids (separators
    included). Returns the texts and how many tokenize to exactly their pair's ids (all, for XLM-R), so both
    static int8 paths are calibrated on the same data and size. ``n`` defaults to the kit's
    ``CALIBRATION_SIZE``; none of the pairs is a timed pair.
    """
    from rerankkit.backends.calibration import CALIBRATION_SIZE, calibration_pairs

    texts, identical = [], 0
    for query, passage in calibration_pairs(n or CALIBRATION_SIZE):
        ids = tokenizer(query, passage, truncation="only_second", max_length=512)["input_ids"]
        text = tokenizer.decode(ids[1:-1])  # without the outer specials, which the tokenizer adds again
        identical += tokenizer(text)["input_ids"] == ids
        texts.append(text)
    return texts, identical


class PeerWorker:
    """A worker process in one peer environment, driven by JSON lines (see ``peers/protocol.py``)."""

    def __init__(self, env_name: str, python: Path, log_path: Path, threads: int) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads), TQDM_DISABLE="1",
                   HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_DATASETS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
        self.name = env_name
        self.log_path = log_path
        self._log = open(log_path, "w", encoding="utf-8")  # closed in close()
        self._proc = subprocess.Popen([str(python), str(PEERS_DIR / "worker.py")], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=self._log, text=True, env=env)

    def request(self, message: dict) -> dict:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(encode(message))
        self._proc.stdin.flush()
        reply = decode(self._proc.stdout.readline())
        if reply["type"] == "error":
            raise RuntimeError(f"peer worker {self.name}: {reply['error']} (log: {self.log_path})")
        return reply

    def close(self) -> None:
        try:
            if self._proc.poll() is None and self._proc.stdin is not None:
                self._proc.stdin.write(encode({"type": "quit"}))
                self._proc.stdin.flush()
            self._proc.wait(timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            self._proc.kill()
        self._log.close()


def _batch_sizes(text: str) -> tuple[int, ...]:
    sizes = tuple(sorted({int(x) for x in text.split(",") if x.strip()}))
    if not sizes or sizes[0] < 1:
        raise ValueError
    return sizes


def _path_of(info) -> str:
    """The row name of the path a loaded reranker runs (``rerankkit int8 openvino-static``, ``rerankkit bf16``)."""
    return f"rerankkit int8 {info.backend}" if info.dtype == "int8" else f"rerankkit {info.dtype}"


def _label(path: str, batch_size: int, variant: str = "") -> str:
    batch = f"default batch {batch_size}" if path.startswith("FlagReranker") and batch_size == FLAG_DEFAULT_BATCH \
        else f"batch {batch_size}"
    return f"{path}{', ' + variant if variant else ''} ({batch})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="random:BAAI/bge-reranker-v2-m3")
    parser.add_argument("--pairs", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=3, help="timed rounds (order rotated each round)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-sizes", default="1,4,16",
                        help="comma-separated batch sizes every contender runs at (each is reported at its best)")
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--lengths", default="89:232:373",
                        help="MIN:MEDIAN:MAX tokens per pair, or 'triangular' for the earlier 30-400-token passages")
    parser.add_argument("--int8-backends", default="all", help="comma-separated, or 'all' (rerankkit.backends.INT8_BACKENDS)")
    parser.add_argument("--bf16", choices=("auto", "yes", "no"), default="auto",
                        help="time rerankkit bf16; auto: when the CPU has AVX512-BF16 or AMX-BF16")
    parser.add_argument("--no-flag-default", action="store_true",
                        help=f"skip FlagReranker at its default batch {FLAG_DEFAULT_BATCH} (slow on CPU)")
    parser.add_argument("--no-st", action="store_true", help="skip sentence-transformers fp32 in this process")
    parser.add_argument("--peers", default="onnx,openvino", help="peer environments to run workers in, or 'none'")
    parser.add_argument("--setup-peers", action="store_true", help="create the peer environments, then exit")
    parser.add_argument("--json", default=None, help="also write the figures to this JSON file")
    args = parser.parse_args()
    peer_names = [] if args.peers.strip() == "none" else [p.strip() for p in args.peers.split(",") if p.strip()]
    unknown = sorted(set(peer_names) - set(PEER_ENVS))
    if unknown:
        parser.error(f"--peers: unknown {unknown}; use a comma-separated subset of {sorted(PEER_ENVS)} or 'none'")
    try:
        batch_sizes = _batch_sizes(args.batch_sizes)
    except ValueError:
        parser.error(f"--batch-sizes {args.batch_sizes!r}: give whole numbers of 1 or more, comma-separated (1,4,16)")
    if args.setup_peers:
        setup_peers(peer_names or list(PEER_ENVS))
        return
    if args.lengths == "triangular":
        lengths = None
    else:
        try:
            lengths = tuple(int(x) for x in args.lengths.split(":"))
            if len(lengths) != 3 or not 0 < lengths[0] <= lengths[1] <= lengths[2]:
                raise ValueError
        except ValueError:
            parser.error(f"--lengths {args.lengths!r}: give MIN:MEDIAN:MAX with MIN <= MEDIAN <= MAX, or 'triangular'")

    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore")
    import rerankkit
    from rerankkit.backends import INT8_BACKENDS
    from rerankkit.measure.timing import environment

    flags = cpu_flags()
    largest = batch_sizes[-1]
    base = rerankkit.load(args.model, device="cpu", dtype="fp32", batch_size=largest, max_length=args.max_length)
    path = base.info.path
    if lengths is None:
        pairs = token_controlled_pairs(base.tokenizer, args.pairs)
    else:
        pairs = length_controlled_pairs(base.tokenizer, args.pairs, lengths)
    n_tokens = np.asarray(base.encode(pairs).n_tokens)
    flag_pairs = [list(p) for p in pairs]
    warm = pairs[: min(8, len(pairs))]
    notes: list[str] = []
    calibration, identical = calibration_texts(base.tokenizer)
    calibration_note = (f"both static int8 paths are calibrated on rerankkit's {len(calibration)} calibration pairs "
                        f"(rerankkit.backends.calibration); the peer gets each pair as one text, and {identical} of "
                        f"{len(calibration)} tokenize to exactly the pair's ids")

    # Peer workers first: their exports are the heaviest step, done before this process holds more models.
    cache = Path(os.environ.get("RERANKKIT_CACHE", Path.home() / ".cache" / "rerankkit")) / "peers"
    cache.mkdir(parents=True, exist_ok=True)
    workers: list[PeerWorker] = []
    peer_versions: dict[str, dict] = {}
    remote: dict[str, tuple[PeerWorker, str]] = {}  # path -> (worker, worker contender)
    for env_name in peer_names:
        folder, hosted = PEER_ENVS[env_name]
        python = ROOT / folder / "bin" / "python"
        if not python.exists():
            notes.append(f"peer environment {env_name} skipped: {folder} does not exist; "
                         "run `python benchmarks/cpu_fast_paths.py --setup-peers` once")
            print(notes[-1])
            continue
        started = time.perf_counter()
        worker = PeerWorker(env_name, python, cache / f"worker-{env_name}.log", args.threads)
        workers.append(worker)
        ready = worker.request({"type": "setup", "contenders": list(hosted), "model": str(path),
                                "pairs": flag_pairs, "warm": [list(p) for p in warm],
                                "threads": args.threads, "max_length": args.max_length,
                                "calibration": calibration, "cache": str(cache)})
        peer_versions[env_name] = ready["versions"]
        for contender, error in ready["errors"].items():
            notes.append(f"{contender} ({env_name}) unavailable: {error}")
            print(notes[-1])
        for contender, built in ready["built"].items():
            remote[PEER_LABELS[contender]] = (worker, contender)
            notes.append(f"{PEER_LABELS[contender]}: {built['detail']}")
        print(f"peer environment {env_name}: {sorted(ready['built'])} ready in {time.perf_counter() - started:.1f} s "
              f"(exports are cached in {cache}; log {worker.log_path})", flush=True)

    # Every local path as a function of the batch size: (timed pass, warm-up pass).
    local: dict[str, tuple] = {}
    flag = base.flag  # the real FlagReranker on the same folder (fp32 on CPU)
    local["FlagReranker fp32"] = (
        lambda b: flag.compute_score(flag_pairs, batch_size=b, max_length=args.max_length, normalize=False),
        lambda b: flag.compute_score([list(p) for p in warm], batch_size=b, max_length=args.max_length,
                                     normalize=False),
    )
    if not args.no_st:
        from sentence_transformers import CrossEncoder

        ce = CrossEncoder(path, device="cpu", max_length=args.max_length)
        local["sentence-transformers CrossEncoder fp32"] = (
            lambda b: ce.predict(pairs, batch_size=b, activation_fn=torch.nn.Identity(), show_progress_bar=False),
            lambda b: ce.predict(warm, batch_size=b, show_progress_bar=False),
        )
    rerankers = {_path_of(base.info): base}
    bf16_cpu = bool({"avx512_bf16", "amx_bf16"} & flags)
    if args.bf16 == "yes" or (args.bf16 == "auto" and bf16_cpu):
        rr = rerankkit.load(path, device="cpu", dtype="bf16", batch_size=largest, max_length=args.max_length)
        rerankers[_path_of(rr.info)] = rr
    backends = list(INT8_BACKENDS) if args.int8_backends == "all" else [
        b.strip() for b in args.int8_backends.split(",") if b.strip()]
    for backend in backends:
        os.environ["RERANKKIT_INT8_BACKEND"] = backend
        started = time.perf_counter()
        try:
            rr = rerankkit.load(path, device="cpu", dtype="int8", batch_size=largest, max_length=args.max_length)
        except Exception as exc:  # report a backend that cannot run here, keep measuring the rest
            notes.append(f"rerankkit int8 backend {backend} unavailable: {type(exc).__name__}: {exc}")
            print(notes[-1])
            continue
        finally:
            os.environ.pop("RERANKKIT_INT8_BACKEND", None)
        print(f"int8 backend {backend}: ready in {time.perf_counter() - started:.1f} s "
              "(exports are cached after the first run)", flush=True)
        rerankers[_path_of(rr.info)] = rr
    # dtype="fastest" is one of the paths above, not a contender of its own: the row of the path it chooses
    # says so (timed here only when that path was left out above).
    fastest_path = None
    try:
        fastest = rerankkit.load(path, device="cpu", dtype="fastest", batch_size=largest, max_length=args.max_length)
        fastest_path = _path_of(fastest.info)
        rerankers.setdefault(fastest_path, fastest)
        del fastest
    except (ValueError, TypeError) as exc:
        notes.append(f"rerankkit dtype='fastest' skipped: load() rejects it here ({exc})")
        print(notes[-1])
    for name, rr in rerankers.items():
        local[name] = ((lambda b, rr=rr: rr.score(pairs, batch_size=b, show_progress=False)),
                       (lambda b, rr=rr: rr.score(warm, batch_size=b, show_progress=False)))
    # What the token budget is worth to a user who passes a large batch size: the default fast path at the
    # largest batch size with the budget off (same path, so never in the headline).
    budget_path = fastest_path or _path_of(base.info)
    budget = rerankers[budget_path].max_batch_tokens
    budget_off = (budget_path, largest, "token budget off")
    variants: dict[tuple[str, int, str], tuple] = {}  # (path, batch size, variant) -> (timed pass, warm-up pass)
    if budget is not None:
        unbudgeted = copy.copy(rerankers[budget_path])  # shares the model; only the batching differs
        unbudgeted.max_batch_tokens = None
        variants[budget_off] = (lambda b: unbudgeted.score(pairs, batch_size=b, show_progress=False),
                                lambda b: unbudgeted.score(warm, batch_size=b, show_progress=False))

    # The timed items: every path at every batch size (FlagReranker at its default too), then the variants.
    items: list[tuple[str, int, str]] = []  # (path, batch size, variant)
    for name in list(local) + list(remote):
        sizes = batch_sizes
        if name == "FlagReranker fp32" and not args.no_flag_default:
            sizes = tuple(sorted({*batch_sizes, FLAG_DEFAULT_BATCH}))
        items.extend((name, b, "") for b in sizes)
    items.extend(variants)

    env = environment()
    print(f"\nmodel {base.info.label}, {base.info.n_parameters / 1e6:.1f}M parameters, max_length {args.max_length}")
    print(f"{len(pairs)} pairs, tokens per pair: min {n_tokens.min()}, median {float(np.median(n_tokens)):g}, "
          f"max {n_tokens.max()}; batch sizes {', '.join(map(str, batch_sizes))}; {args.repeats} interleaved rounds "
          f"(rotated), {args.threads} threads; {len(items)} timed items per round")
    isa = isa_summary(flags)
    print(f"cpu: {cpu_model()}; ISA: " + ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in isa.items()))
    print("environment: " + ", ".join(f"{k} {v}" for k, v in env.items()))
    for env_name, versions in peer_versions.items():
        print(f"peer environment {env_name}: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    print(f"calibration: {calibration_note}")

    def run(item: tuple[str, int, str], warmup: bool = False) -> tuple[float, np.ndarray | None]:
        name, batch, variant = item
        if name in remote:
            worker, contender = remote[name]
            if warmup:
                worker.request({"type": "warmup", "contender": contender, "batch_size": batch})
                return 0.0, None
            reply = worker.request({"type": "go", "contender": contender, "batch_size": batch})
            return float(reply["seconds"]), np.asarray(reply["scores"], dtype=np.float64)
        timed, warm_run = variants[item] if variant else local[name]
        if warmup:
            warm_run(batch)
            return 0.0, None
        start = time.perf_counter()
        out = timed(batch)
        return time.perf_counter() - start, np.asarray(out, dtype=np.float64).reshape(-1)

    busy_above = args.threads + 1  # the benchmark alone adds about --threads to the load average
    try:
        for item in items:
            run(item, warmup=True)
        seconds: dict[tuple, list[float]] = {item: [] for item in items}
        scores: dict[tuple, np.ndarray] = {}
        # The 1-minute load average before each round records how busy the machine was; a round that starts
        # above the benchmark's own threads + 1 is marked busy (other work was running).
        load_averages: list[float] = []
        busy_rounds: list[int] = []
        for round_index in range(args.repeats):
            load_averages.append(round(os.getloadavg()[0], 2))
            if load_averages[-1] > busy_above:
                busy_rounds.append(round_index + 1)
                print(f"  round {round_index + 1} starts busy: load average {load_averages[-1]} > {busy_above}")
            for item in rotated(items, round_index):
                secs, out = run(item)
                seconds[item].append(secs)
                assert out is not None
                scores[item] = out
                print(f"  round {round_index + 1}: {_label(*item)}: {len(pairs) / secs:.3f} pairs/s", flush=True)
    finally:
        for worker in workers:
            worker.close()
    load_averages.append(round(os.getloadavg()[0], 2))

    try:
        from scipy.stats import kendalltau

        def tau(a, b) -> float:
            return float(kendalltau(a, b).statistic)
    except ImportError:
        tau = kendall_tau

    rate = {item: statistics.median(len(pairs) / s for s in secs) for item, secs in seconds.items()}
    flag_items = {item[1]: item for item in items if item[0] == "FlagReranker fp32"}
    flag_best = max(flag_items.values(), key=rate.__getitem__)
    flag_default = flag_items.get(FLAG_DEFAULT_BATCH)
    reference = flag_items[largest]  # agreement against FlagReranker fp32 at the largest swept batch
    results = []
    for item in items:
        name, batch, variant = item
        rates = [len(pairs) / s for s in seconds[item]]
        results.append(dict(
            contender=_label(*item), path=name, batch_size=batch, variant=variant,
            where="worker" if name in remote else "in-process", pairs_per_s=rate[item], min=min(rates),
            max=max(rates), ratio_vs_flag_default=rate[item] / rate[flag_default] if flag_default else None,
            ratio_vs_flag_best=rate[item] / rate[flag_best],
            max_abs_diff_vs_flag=float(np.abs(scores[item] - scores[reference]).max()),
            kendall_tau_vs_flag=tau(scores[item], scores[reference]),
            fastest_chooses=name == fastest_path and not variant,
            repeats=len(rates), pairs_per_s_each_repeat=rates))
    head = headline(results)
    best = best_batches(results)

    width = max(len(r["path"]) for r in results) + len(" <- fastest") + 2
    print(f"\npairs/s, median of {args.repeats} rounds, per batch size (* = the path's best batch size)")
    columns = sorted({r["batch_size"] for r in results})
    print(f"{'path':<{width}}" + "".join(f"{'batch ' + str(b):>12}" for b in columns)
          + f" {'best/Flag':>10} {'max|diff|':>10} {'tau':>6}")
    for name in dict.fromkeys(r["path"] for r in results if not r["variant"]):
        cells = {r["batch_size"]: r for r in results if r["path"] == name and not r["variant"]}
        row = best[name]
        print(f"{name + (' <- fastest' if name == fastest_path else ''):<{width}}"
              + "".join(f"{cells[b]['pairs_per_s']:>11.3f}{'*' if cells[b] is row else ' '}" if b in cells
                        else f"{'-':>12}" for b in columns)
              + f" {row['ratio_vs_flag_best']:>9.2f}x {row['max_abs_diff_vs_flag']:>10.4f} {row['kendall_tau_vs_flag']:>6.3f}")
    top = head["best_at_best"]
    print(f"\nheadline, each path at its best batch size: {top['own']} (batch {top['own_batch_size']}) "
          f"{top['own_pairs_per_s']:.3f} pairs/s / {top['peer']} (batch {top['peer_batch_size']}) "
          f"{top['peer_pairs_per_s']:.3f} pairs/s = {top['ratio']:.2f}x")
    for view in head["same_batch"]:
        print(f"same nominal batch {view['batch_size']}: {view['own']} {view['own_pairs_per_s']:.3f} / "
              f"{view['peer']} {view['peer_pairs_per_s']:.3f} pairs/s = {view['ratio']:.2f}x")
    own_fp32 = best.get(_path_of(base.info))
    flag_view = {"best_batch_size": flag_best[1], "best_pairs_per_s": rate[flag_best],
                 "default_batch_size": FLAG_DEFAULT_BATCH if flag_default else None,
                 "default_pairs_per_s": rate[flag_default] if flag_default else None}
    if own_fp32:
        flag_view.update(rerankkit_fp32_best_batch_size=own_fp32["batch_size"],
                         rerankkit_fp32_pairs_per_s=own_fp32["pairs_per_s"],
                         ratio_vs_flag_best=own_fp32["pairs_per_s"] / rate[flag_best],
                         ratio_vs_flag_default=own_fp32["pairs_per_s"] / rate[flag_default] if flag_default else None)
        against_default = (f"; at FlagReranker's default batch {FLAG_DEFAULT_BATCH} ({rate[flag_default]:.3f} pairs/s) "
                           f"{flag_view['ratio_vs_flag_default']:.2f}x" if flag_default else "")
        print(f"rerankkit fp32 at its best (batch {own_fp32['batch_size']}, {own_fp32['pairs_per_s']:.3f} pairs/s) over "
              f"FlagReranker fp32 at its best (batch {flag_best[1]}, {rate[flag_best]:.3f} pairs/s): "
              f"{flag_view['ratio_vs_flag_best']:.2f}x{against_default}")
    budget_view = None
    if budget_off in rate:
        with_budget, without = rate[(budget_path, largest, "")], rate[budget_off]
        budget_view = {"path": budget_path, "batch_size": largest, "max_batch_tokens": budget,
                       "pairs_per_s_with_budget": with_budget, "pairs_per_s_without": without,
                       "ratio": with_budget / without}
        print(f"token budget ({budget} padded tokens per CPU batch) on {budget_path} at batch {largest}: "
              f"{with_budget:.3f} pairs/s with it, {without:.3f} without = {budget_view['ratio']:.2f}x")
    for note in notes:
        print(f"note: {note}")
    if base.info.random_weights:
        print("note: random weights: the timings are honest for this architecture; score differences only show "
              "that each path computes the same function.")
    print(f"1-minute load average before each round and at the end: {load_averages}"
          + (f"; busy rounds (load above {busy_above} at the start): {busy_rounds}" if busy_rounds else ""))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"model": args.model, "n_pairs": len(pairs), "batch_sizes": list(batch_sizes),
                       "max_length": args.max_length, "threads": args.threads, "rounds": args.repeats,
                       "lengths": args.lengths, "cpu": {"model": cpu_model(), "isa": isa},
                       "environment": env, "peer_environments": peer_versions,
                       "load_average_1min": load_averages, "busy_above": busy_above, "busy_rounds": busy_rounds,
                       "tokens_per_pair": {"min": int(n_tokens.min()), "median": float(np.median(n_tokens)),
                                           "max": int(n_tokens.max())},
                       "headline": head, "flag_reranker": flag_view, "token_budget": budget_view,
                       "fastest_chooses": fastest_path, "calibration": calibration_note,
                       "notes": notes, "results": results}, fh, indent=2)


if __name__ == "__main__":
    main()
