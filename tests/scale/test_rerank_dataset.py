"""rerank_dataset on a real local Ray runtime with tiny-random: results, order, errors, resume, a killed worker.

Ray starts once for the module (about ten seconds on two cores); each job then takes a few seconds.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ray = pytest.importorskip("ray", reason="needs the 'scale' extra: pip install 'rerankkit[scale]'")

from rerankkit.cli import main  # noqa: E402
from rerankkit.scale import done_row_ids, read_errors, read_scores, rerank_dataset  # noqa: E402

# A Ray runtime takes both cores: nothing else runs beside it.
pytestmark = [pytest.mark.xdist_group("serial"), pytest.mark.slow]  # every test here starts Ray


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    """One local runtime for the module; rerank_dataset joins it and leaves it running."""
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR")
    yield
    ray.shutdown()


def make_pairs(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    words = ["panda", "bamboo", "bear", "China", "forest", "capital", "Paris", "river", "mountain", "tea"]
    rows = []
    for i in range(n):
        q = i // 10
        passage = " ".join(rng.choice(words, size=int(rng.integers(2, 40))))
        rows.append({"qid": f"q{q}", "docid": f"d{i}", "query": f"what about {words[q % 10]}?", "passage": passage})
    return pd.DataFrame(rows)


def write_jsonl(path: Path, frame: pd.DataFrame) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for row in frame.to_dict(orient="records"):
            handle.write(json.dumps(row) + "\n")
    return path


def reference(tiny, frame: pd.DataFrame) -> np.ndarray:
    return tiny.score(list(zip(frame["query"], frame["passage"])), show_progress=False)


def test_scores_equal_reranker_score_in_input_order(tmp_path, tiny):
    pairs = make_pairs(240)
    job = rerank_dataset(pairs, tmp_path / "out", model="tiny-random", batch_size=16, shard_rows=60,
                         show_progress=False)
    got = read_scores(job.output)
    assert job.n_pairs == 240 and job.n_processed == 240 and job.n_errors == 0
    assert got["row_id"].tolist() == list(range(240))
    assert got["docid"].tolist() == pairs["docid"].tolist()
    np.testing.assert_allclose(got["logit"].to_numpy(), reference(tiny, pairs), rtol=1e-5, atol=1e-5)
    assert "PairScorer" in job.stats


def test_ray_dataset_input_keeps_its_row_ids(tmp_path, tiny):
    pairs = make_pairs(50, seed=1)[["query", "passage"]]
    pairs.insert(0, "row_id", np.arange(50) * 2)
    ds = ray.data.from_pandas([pairs.iloc[:20], pairs.iloc[20:]])
    job = rerank_dataset(ds, tmp_path / "out", model="tiny-random", show_progress=False)
    got = read_scores(job.output)
    assert got["row_id"].tolist() == list(range(0, 100, 2))
    np.testing.assert_allclose(got["logit"].to_numpy(), reference(tiny, pairs), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="no 'row_id' column"):
        rerank_dataset(ds.drop_columns(["row_id"]), tmp_path / "other", model="tiny-random", show_progress=False)


def test_bad_rows_go_to_the_error_file_with_their_line(tmp_path, tiny):
    good = make_pairs(30, seed=2)
    lines = [json.dumps(r) for r in good.to_dict(orient="records")]
    lines.insert(3, "{not json")                                  # line 4
    lines.insert(7, "")                                           # line 8: blank, skipped, not a row
    lines.insert(10, json.dumps({"query": "q", "passage": "  "}))  # line 11
    lines.insert(15, json.dumps({"query": 42, "passage": "p"}))   # line 16
    lines.insert(20, json.dumps({"query": "q"}))                  # line 21
    src = tmp_path / "pairs.jsonl"
    src.write_text("\n".join(lines) + "\n")
    job = rerank_dataset(src, tmp_path / "out", model="tiny-random", shard_rows=8, show_progress=False)
    errors = read_errors(job.output)
    assert errors["line"].tolist() == [4, 11, 16, 21]
    reasons = errors["error"].tolist()
    assert reasons[0].startswith("not JSON") and reasons[1] == "passage is empty"
    assert reasons[2] == "query must be text, got int" and reasons[3] == "missing key 'passage'"
    assert set(errors["source"]) == {str(src)}
    scored = read_scores(job.output)
    # Nothing dropped: every row is either scored or in the error file, once.
    assert sorted(scored["row_id"].tolist() + errors["row_id"].tolist()) == list(range(34))
    assert job.n_errors == 4 and len(scored) == 30
    np.testing.assert_allclose(scored["logit"].to_numpy(), reference(tiny, good), rtol=1e-5, atol=1e-5)
    assert (tmp_path / "out" / "errors.jsonl").read_text().count("\n") == 4


def test_resumed_job_scores_only_what_is_missing(tmp_path, tiny):
    pairs = make_pairs(300, seed=3)
    src = write_jsonl(tmp_path / "pairs.jsonl", pairs)
    out = tmp_path / "out"
    first = rerank_dataset(src, out, model="tiny-random", shard_rows=50, show_progress=False)
    parts = sorted((out / "scores").glob("*.parquet"))
    assert first.n_processed == 300 and len(parts) >= 2
    # An interrupted job: one part never written, another cut short mid-write.
    lost = pd.read_parquet(parts[0]).row_id.tolist()
    broken = pd.read_parquet(parts[1]).row_id.tolist()
    parts[0].unlink()
    parts[1].write_bytes(parts[1].read_bytes()[:100])
    kept = {p: p.stat().st_mtime_ns for p in parts[2:]}
    second = rerank_dataset(src, out, model="tiny-random", shard_rows=50, show_progress=False)
    assert second.n_processed == len(lost) + len(broken)
    assert second.n_already_done == 300 - len(lost) - len(broken)
    assert all(p.stat().st_mtime_ns == t for p, t in kept.items())  # earlier parts untouched
    got = read_scores(out)
    assert got["row_id"].tolist() == list(range(300))
    np.testing.assert_allclose(got["logit"].to_numpy(), reference(tiny, pairs), rtol=1e-5, atol=1e-5)
    third = rerank_dataset(src, out, model="tiny-random", shard_rows=50, show_progress=False)
    assert third.n_processed == 0 and third.n_already_done == 300


def test_another_job_in_the_same_folder_is_refused(tmp_path):
    out = tmp_path / "out"
    rerank_dataset([("q", "p")], out, model="tiny-random", show_progress=False)
    with pytest.raises(ValueError, match="another job's scores"):
        rerank_dataset([("q", "p"), ("q", "p2")], out, model="tiny-random", show_progress=False)


def test_an_actor_pool_that_leaves_no_cpu_is_refused(tmp_path):
    with pytest.raises(ValueError, match="lower concurrency or cpus_per_actor"):
        rerank_dataset([("q", "p")], tmp_path / "out", model="tiny-random", concurrency=2, show_progress=False)


def test_command_line(tmp_path, capsys):
    src = write_jsonl(tmp_path / "pairs.jsonl", make_pairs(20, seed=4))
    code = main(["rerank-dataset", str(src), "--output", str(tmp_path / "out"), "--model", "tiny-random",
                 "--no-progress", "--drop-text"])
    assert code == 0
    assert "20 pairs: 20 processed now" in capsys.readouterr().out
    got = read_scores(tmp_path / "out")
    assert got["row_id"].tolist() == list(range(20)) and "passage" not in got.columns


def _scorer_pids() -> set[int]:
    import psutil

    pids = set()
    for proc in psutil.Process().children(recursive=True):
        try:
            if "MapWorker(MapBatches(PairScorer))" in " ".join(proc.cmdline()):
                pids.add(proc.pid)
        except psutil.Error:
            continue
    return pids


def test_a_worker_killed_mid_job_loses_and_duplicates_nothing(tmp_path, tiny):
    pytest.importorskip("psutil")
    pairs = make_pairs(2400, seed=5)
    src = write_jsonl(tmp_path / "pairs.jsonl", pairs)
    out = tmp_path / "out"
    seen: set[int] = set()
    killed: dict = {}
    finished = threading.Event()

    def kill_after_first_part() -> None:
        while not finished.is_set():
            seen.update(_scorer_pids())
            if seen and list((out / "scores").glob("*.parquet")):
                pid = sorted(_scorer_pids())[0]
                os.kill(pid, signal.SIGKILL)  # the worker process dies mid-job, as on an OOM kill
                killed.update(pid=pid, while_running=not finished.is_set())
                break
            time.sleep(0.05)
        while not finished.is_set():  # the pool's replacement
            seen.update(_scorer_pids())
            time.sleep(0.1)

    killer = threading.Thread(target=kill_after_first_part)
    killer.start()
    try:
        job = rerank_dataset(src, out, model="tiny-random", batch_size=8, shard_rows=100, show_progress=False)
    finally:
        finished.set()
        killer.join()
    assert killed.get("while_running"), "the job ended before a worker could be killed; give it more pairs"
    assert len(seen) >= 2, "the killed actor was not replaced"
    got = read_scores(out)
    assert got["row_id"].tolist() == list(range(2400))  # each pair exactly once, in input order
    assert job.n_errors == 0
    np.testing.assert_allclose(got["logit"].to_numpy(), reference(tiny, pairs), rtol=1e-5, atol=1e-5)
    assert len(done_row_ids(out)) == 2400
