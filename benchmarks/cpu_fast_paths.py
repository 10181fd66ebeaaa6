"""CPU fast paths against FlagReranker and sentence-transformers (its own int8 backends included), in one run.

Times, on the same model folder and the same pairs (queries of 5-20 tokens; each pair's total length in
tokens of the model's tokenizer spread from ``--lengths`` MIN:MEDIAN:MAX, default 89:232:373):

- ``FlagReranker.compute_score`` in fp32, at its default batch size (128) and at ours;
- ``sentence-transformers`` ``CrossEncoder.predict`` in fp32 (PyTorch), in this process;
- sentence-transformers' own int8 paths, each in its peer environment as a worker process
  (``benchmarks/peers/``; create them once with ``--setup-peers``): ONNX Runtime dynamic int8 with the
  quantization config that fits this CPU (``avx512_vnni``, ``avx512`` or ``avx2``), OpenVINO static int8
  calibrated on 32 strings from rerankkit's case sets (never the timed pairs), and OpenVINO at its defaults;
- rerankkit ``score`` in fp32, bf16 (by default when the CPU has AVX512-BF16 or AMX), int8 with every backend in
  ``rerankkit.backends.INT8_BACKENDS``, and ``dtype="fastest"`` where ``rerankkit.load`` accepts it.

Each timed pass scores every pair end to end (tokenization included; a worker times its own
``predict`` call, so the pipe between processes is not counted). Models are built and warmed up
untimed first. Rounds are interleaved, and the order rotates each round, so a noisy neighbour on a
shared machine slows all alike and none always runs first. Prints pairs/s (median, min, max over
rounds), the largest |logit difference| and Kendall's tau against FlagReranker fp32, the headline
(rerankkit's fastest CPU path over the fastest peer path), the CPU's model and ISA flags, and the
versions in every environment.

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


def calibration_strings(n: int = 32) -> list[str]:
    """``n`` query-and-passage strings from rerankkit's packaged case sets (none of them a timed pair)."""
    from rerankkit import cases

    out: list[str] = []
    for name in sorted(cases.names()):
        for case in cases.load(name):
            for passage in case.passages:
                out.append(f"{case.query} {passage.text}")
                if len(out) == n:
                    return out
    return out


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="random:BAAI/bge-reranker-v2-m3")
    parser.add_argument("--pairs", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=3, help="timed rounds (order rotated each round)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=16, help="batch size of every path but FlagReranker's default row")
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--lengths", default="89:232:373",
                        help="MIN:MEDIAN:MAX tokens per pair, or 'triangular' for the earlier 30-400-token passages")
    parser.add_argument("--int8-backends", default="all", help="comma-separated, or 'all' (rerankkit.backends.INT8_BACKENDS)")
    parser.add_argument("--bf16", choices=("auto", "yes", "no"), default="auto",
                        help="time rerankkit bf16; auto: when the CPU has AVX512-BF16 or AMX-BF16")
    parser.add_argument("--no-flag-default", action="store_true",
                        help=f"skip FlagReranker at its default batch {FLAG_DEFAULT_BATCH} (slow on CPU); "
                             "ratios are then against FlagReranker at --batch-size")
    parser.add_argument("--no-st", action="store_true", help="skip sentence-transformers fp32 in this process")
    parser.add_argument("--peers", default="onnx,openvino", help="peer environments to run workers in, or 'none'")
    parser.add_argument("--setup-peers", action="store_true", help="create the peer environments, then exit")
    parser.add_argument("--json", default=None, help="also write the figures to this JSON file")
    args = parser.parse_args()
    peer_names = [] if args.peers.strip() == "none" else [p.strip() for p in args.peers.split(",") if p.strip()]
    unknown = sorted(set(peer_names) - set(PEER_ENVS))
    if unknown:
        parser.error(f"--peers: unknown {unknown}; use a comma-separated subset of {sorted(PEER_ENVS)} or 'none'")
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
    base = rerankkit.load(args.model, device="cpu", dtype="fp32", batch_size=args.batch_size, max_length=args.max_length)
    path = base.info.path
    if lengths is None:
        pairs = token_controlled_pairs(base.tokenizer, args.pairs)
    else:
        pairs = length_controlled_pairs(base.tokenizer, args.pairs, lengths)
    n_tokens = np.asarray(base.encode(pairs).n_tokens)
    flag_pairs = [list(p) for p in pairs]
    warm = pairs[: min(8, len(pairs))]
    notes: list[str] = []

    # Peer workers first: their exports are the heaviest step, done before this process holds more models.
    cache = Path(os.environ.get("RERANKKIT_CACHE", Path.home() / ".cache" / "rerankkit")) / "peers"
    cache.mkdir(parents=True, exist_ok=True)
    workers: list[PeerWorker] = []
    peer_versions: dict[str, dict] = {}
    remote: dict[str, tuple[PeerWorker, str]] = {}  # display name -> (worker, worker contender)
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
                                "pairs": flag_pairs, "warm": [list(p) for p in warm], "batch_size": args.batch_size,
                                "threads": args.threads, "max_length": args.max_length,
                                "calibration": calibration_strings(), "cache": str(cache)})
        peer_versions[env_name] = ready["versions"]
        for contender, error in ready["errors"].items():
            notes.append(f"{contender} ({env_name}) unavailable: {error}")
            print(notes[-1])
        for contender, built in ready["built"].items():
            display = f"{PEER_LABELS[contender]} (batch {args.batch_size})"
            remote[display] = (worker, contender)
            notes.append(f"{display}: {built['detail']}")
        print(f"peer environment {env_name}: {sorted(ready['built'])} ready in {time.perf_counter() - started:.1f} s "
              f"(exports are cached in {cache}; log {worker.log_path})", flush=True)

    local: dict[str, tuple] = {}
    flag = base.flag  # the real FlagReranker on the same folder (fp32 on CPU)
    # Passed explicitly: 128 is FlagReranker's own default (FlagEmbedding's encoder-only reranker).
    flag_batches = (args.batch_size,) if args.no_flag_default else (FLAG_DEFAULT_BATCH, args.batch_size)
    for batch in dict.fromkeys(flag_batches):
        label = f"default batch {batch}" if batch == FLAG_DEFAULT_BATCH else f"batch {batch}"
        local[f"FlagReranker fp32 ({label})"] = (
            lambda b=batch: flag.compute_score(flag_pairs, batch_size=b, max_length=args.max_length, normalize=False),
            lambda b=batch: flag.compute_score([list(p) for p in warm], batch_size=b, max_length=args.max_length,
                                               normalize=False),
        )
    if not args.no_st:
        from sentence_transformers import CrossEncoder

        ce = CrossEncoder(path, device="cpu", max_length=args.max_length)
        local[f"sentence-transformers CrossEncoder fp32 (batch {args.batch_size})"] = (
            lambda: ce.predict(pairs, batch_size=args.batch_size, activation_fn=torch.nn.Identity(),
                               show_progress_bar=False),
            lambda: ce.predict(warm, batch_size=args.batch_size, show_progress_bar=False),
        )
    rerankers = {f"rerankkit fp32 (batch {args.batch_size})": base}
    bf16_cpu = bool({"avx512_bf16", "amx_bf16"} & flags)
    if args.bf16 == "yes" or (args.bf16 == "auto" and bf16_cpu):
        rerankers[f"rerankkit bf16 (batch {args.batch_size})"] = rerankkit.load(
            path, device="cpu", dtype="bf16", batch_size=args.batch_size, max_length=args.max_length)
    backends = list(INT8_BACKENDS) if args.int8_backends == "all" else [
        b.strip() for b in args.int8_backends.split(",") if b.strip()]
    for backend in backends:
        os.environ["RERANKKIT_INT8_BACKEND"] = backend
        started = time.perf_counter()
        try:
            rr = rerankkit.load(path, device="cpu", dtype="int8", batch_size=args.batch_size, max_length=args.max_length)
        except Exception as exc:  # report a backend that cannot run here, keep measuring the rest
            notes.append(f"rerankkit int8 backend {backend} unavailable: {type(exc).__name__}: {exc}")
            print(notes[-1])
            continue
        finally:
            os.environ.pop("RERANKKIT_INT8_BACKEND", None)
        print(f"int8 backend {backend}: ready in {time.perf_counter() - started:.1f} s "
              "(exports are cached after the first run)", flush=True)
        rerankers[f"rerankkit int8 {backend} (batch {args.batch_size})"] = rr
    try:
        fastest = rerankkit.load(path, device="cpu", dtype="fastest", batch_size=args.batch_size,
                                 max_length=args.max_length)
        rerankers[f"rerankkit fastest = {fastest.info.dtype} {getattr(fastest.info, 'backend', '') or ''}".rstrip()
                  + f" (batch {args.batch_size})"] = fastest
    except (ValueError, TypeError) as exc:
        notes.append(f"rerankkit dtype='fastest' skipped: load() rejects it here ({exc})")
        print(notes[-1])
    for name, rr in rerankers.items():
        local[name] = ((lambda rr=rr: rr.score(pairs, show_progress=False)),
                       (lambda rr=rr: rr.score(warm, show_progress=False)))

    env = environment()
    print(f"\nmodel {base.info.label}, {base.info.n_parameters / 1e6:.1f}M parameters, max_length {args.max_length}")
    print(f"{len(pairs)} pairs, tokens per pair: min {n_tokens.min()}, median {float(np.median(n_tokens)):g}, "
          f"max {n_tokens.max()}; batch {args.batch_size}; {args.repeats} interleaved rounds (rotated), "
          f"{args.threads} threads")
    isa = isa_summary(flags)
    print(f"cpu: {cpu_model()}; ISA: " + ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in isa.items()))
    print("environment: " + ", ".join(f"{k} {v}" for k, v in env.items()))
    for env_name, versions in peer_versions.items():
        print(f"peer environment {env_name}: " + ", ".join(f"{k} {v}" for k, v in versions.items()))

    names = list(local) + list(remote)

    def run(name: str, warmup: bool = False) -> tuple[float, np.ndarray | None]:
        if name in remote:
            worker, contender = remote[name]
            if warmup:
                worker.request({"type": "warmup", "contender": contender})
                return 0.0, None
            reply = worker.request({"type": "go", "contender": contender})
            return float(reply["seconds"]), np.asarray(reply["scores"], dtype=np.float64)
        timed, warm_run = local[name]
        if warmup:
            warm_run()
            return 0.0, None
        start = time.perf_counter()
        out = timed()
        return time.perf_counter() - start, np.asarray(out, dtype=np.float64).reshape(-1)

    try:
        for name in names:
            run(name, warmup=True)
        seconds: dict[str, list[float]] = {name: [] for name in names}
        scores: dict[str, np.ndarray] = {}
        # The 1-minute load average before each round records how busy the machine was (this
        # benchmark alone adds about --threads to it); other jobs on a shared machine show above that.
        load_averages: list[float] = []
        for round_index in range(args.repeats):
            load_averages.append(round(os.getloadavg()[0], 2))
            for name in rotated(names, round_index):
                secs, out = run(name)
                seconds[name].append(secs)
                assert out is not None
                scores[name] = out
                print(f"  round {round_index + 1}: {name}: {len(pairs) / secs:.3f} pairs/s", flush=True)
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

    same_batch = (f"FlagReranker fp32 (default batch {FLAG_DEFAULT_BATCH})" if args.batch_size == FLAG_DEFAULT_BATCH
                  else f"FlagReranker fp32 (batch {args.batch_size})")
    baseline = same_batch if args.no_flag_default else f"FlagReranker fp32 (default batch {FLAG_DEFAULT_BATCH})"
    rate = {name: statistics.median(len(pairs) / s for s in secs) for name, secs in seconds.items()}
    print(f"\n{'contender':<62} {'pairs/s':>8} {'min':>7} {'max':>7} {'vs Flag':>8} {'max|diff|':>10} {'tau':>6}")
    results = []
    for name in names:
        rates = [len(pairs) / s for s in seconds[name]]
        row = dict(contender=name, where="worker" if name in remote else "in-process",
                   pairs_per_s=rate[name], min=min(rates), max=max(rates),
                   ratio_vs_flag_default=rate[name] / rate[baseline],
                   ratio_vs_flag_same_batch=rate[name] / rate[same_batch],
                   max_abs_diff_vs_flag=float(np.abs(scores[name] - scores[baseline]).max()),
                   kendall_tau_vs_flag=tau(scores[name], scores[baseline]),
                   repeats=len(rates), pairs_per_s_each_repeat=rates)
        results.append(row)
        print(f"{name:<62} {row['pairs_per_s']:8.3f} {row['min']:7.3f} {row['max']:7.3f} "
              f"{row['ratio_vs_flag_default']:7.2f}x {row['max_abs_diff_vs_flag']:10.4f} {row['kendall_tau_vs_flag']:6.3f}")
    head = headline(rate)
    print(f"\nheadline: rerankkit's fastest CPU path / fastest peer path = {head['ratio']:.2f}x "
          f"({head['fastest_own']}: {head['fastest_own_pairs_per_s']:.3f} pairs/s; "
          f"{head['fastest_peer']}: {head['fastest_peer_pairs_per_s']:.3f} pairs/s)")
    for note in notes:
        print(f"note: {note}")
    if base.info.random_weights:
        print("note: random weights: the timings are honest for this architecture; score differences only show "
              "that each path computes the same function.")
    print(f"1-minute load average before each round and at the end: {load_averages}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"model": args.model, "n_pairs": len(pairs), "batch_size": args.batch_size,
                       "max_length": args.max_length, "threads": args.threads, "rounds": args.repeats,
                       "lengths": args.lengths, "cpu": {"model": cpu_model(), "isa": isa},
                       "environment": env, "peer_environments": peer_versions,
                       "load_average_1min": load_averages,
                       "tokens_per_pair": {"min": int(n_tokens.min()), "median": float(np.median(n_tokens)),
                                           "max": int(n_tokens.max())},
                       "headline": head, "notes": notes, "results": results}, fh, indent=2)


if __name__ == "__main__":
    main()
