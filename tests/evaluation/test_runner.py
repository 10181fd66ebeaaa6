"""Reranking a run: metrics equal ir-measures on the written files; a killed run resumes without loss or repeats."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import ir_measures
import numpy as np
import pytest

from rerankkit.evaluation import (
    FormatError,
    ScoreLog,
    evaluate,
    first_stage_run,
    load_fixture,
    read_qrels,
    read_run,
    rerank_run,
    save,
    write_run,
)
from rerankkit.evaluation.report import significance

ROOT = Path(__file__).resolve().parents[2]


def _rows(path: Path) -> list[tuple[str, str]]:
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    return [(item["qid"], item["docid"]) for item in map(json.loads, lines)]


def test_metrics_agree_with_ir_measures_on_the_written_runs(tiny, tmp_path):
    data = load_fixture()
    report = evaluate(data, tiny, top_n=10, output=tmp_path / "reranked.trec", show_progress=False)
    write_run(report.base, tmp_path / "base.trec", tag="bm25")
    qrels = read_qrels(ROOT / "rerankkit/evaluation/data/qrels.trec")
    measures = [ir_measures.nDCG @ 10, ir_measures.RR(rel=1) @ 10, ir_measures.R(rel=1) @ 10, ir_measures.AP(rel=1)]
    for stage, path in (("Base (bm25)", "base.trec"), ("Reranked", "reranked.trec")):
        # The report covers the top 10; the reranked file goes on with the first stage's tail below them.
        top = {q: dict(sorted(d.items(), key=lambda kv: -kv[1])[:10]) for q, d in read_run(tmp_path / path).items()}
        direct = ir_measures.calc_aggregate(measures, qrels, top)
        ours = report.table.loc[stage]
        for name, m in zip(["nDCG@10", "MRR@10", "Recall@10", "MAP"], measures):
            assert ours[name] == pytest.approx(direct[m], abs=1e-12), (stage, name)
    assert report.data_stats.n_unjudged == 2
    assert set(report.per_query["qid"]) == {q for q in data.run if data.qrels.get(q)}


def test_per_query_deltas_tests_and_worse_queries(tiny):
    report = evaluate(load_fixture(), tiny, top_n=10, show_progress=False)
    ndcg = report.per_query[report.per_query.metric == "nDCG@10"]
    assert np.allclose(ndcg.reranked - ndcg.base, ndcg.delta)
    worse = report.worse
    assert len(worse) == int((ndcg.delta < 0).sum()) > 0
    assert worse.delta.is_monotonic_increasing and (worse.delta < 0).all()
    assert worse.loc[0, "query"] == load_fixture().queries[worse.loc[0, "qid"]]
    from scipy import stats

    expected = stats.ttest_rel(ndcg.reranked, ndcg.base).pvalue
    assert report.tests.loc["nDCG@10", "p_t_test"] == pytest.approx(expected)
    text = report.to_text()
    assert "random weights" in text and "Queries whose nDCG@10 dropped" in text


def test_significance_is_nan_when_nothing_changed():
    import pandas as pd

    frame = pd.DataFrame({"qid": ["a", "b"], "metric": ["MAP", "MAP"], "base": [0.5, 0.2], "reranked": [0.5, 0.2],
                          "delta": [0.0, 0.0]})
    row = significance(frame).loc["MAP"]
    assert np.isnan(row.p_t_test) and np.isnan(row.p_wilcoxon) and row.tied == 2


def test_stop_keeps_what_was_scored_and_resumes(tiny, tmp_path):
    data = load_fixture()
    scores = tmp_path / "scores.jsonl"
    stop = threading.Event()

    def halt(done, total):
        if done >= 40:
            stop.set()

    first = rerank_run(data, tiny, top_n=10, scores_path=scores, batch_size=8, show_progress=False, stop=stop,
                       on_progress=halt)
    assert not first.complete and 40 <= first.stats.n_scored < first.stats.n_pairs
    assert len(_rows(scores)) == first.stats.n_scored
    second = rerank_run(data, tiny, top_n=10, scores_path=scores, batch_size=8, show_progress=False)
    assert second.complete and second.stats.n_resumed == first.stats.n_scored
    rows = _rows(scores)
    assert len(rows) == len(set(rows)) == second.stats.n_pairs


def test_score_file_of_another_model_is_refused(tmp_path):
    path = tmp_path / "s.jsonl"
    log = ScoreLog(path, {"model": "a", "max_length": 512})
    log.open()
    log.append([("q", "d")], [1.5])
    log.close()
    with pytest.raises(ValueError, match="model='a'.*delete this one"):
        ScoreLog(path, {"model": "b", "max_length": 512}).read()
    path.write_text(path.read_text() + '{"qid": "q2", "docid": "d"}\n')
    with pytest.raises(FormatError, match="line 3"):
        ScoreLog(path, {"model": "a", "max_length": 512}).read()


def test_a_line_cut_by_a_kill_is_trimmed(tmp_path):
    path = tmp_path / "s.jsonl"
    log = ScoreLog(path, {"model": "a", "max_length": 512})
    log.open()
    log.append([("q", "d1"), ("q", "d2")], [1.0, 2.0])
    log.close()
    with open(path, "a") as f:
        f.write('{"qid": "q", "docid": "d3", "sc')
    assert ScoreLog(path, {"model": "a", "max_length": 512}).read() == {("q", "d1"): 1.0, ("q", "d2"): 2.0}
    assert path.read_text().endswith('"score": 2.0}\n')


@pytest.mark.slow
def test_killed_run_resumes_without_repeats_or_losses(tiny, tmp_path):
    data = load_fixture()
    data = data.with_run(first_stage_run(data, k=25), "bm25")
    folder = save(data, tmp_path / "data")
    scores = tmp_path / "scores.jsonl"
    command = [sys.executable, "-m", "rerankkit.cli", "evaluate", "--model", "tiny-random", "--queries",
               str(folder / "queries.jsonl"), "--corpus", str(folder / "corpus.jsonl"), "--qrels",
               str(folder / "qrels.trec"), "--run", str(folder / "run.trec"), "--top-n", "25", "--batch-size", "4",
               "--scores", str(scores), "--output", str(tmp_path / "resumed.trec"), "--no-progress"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        if scores.exists() and scores.read_text().count("\n") > 60:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the run ended before it could be killed: " + proc.stderr.read().decode()[-2000:]
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = _rows(scores)
    total = 25 * len(data.run)
    assert 60 <= len(partial) < total

    finished = subprocess.run(command + ["--json"], check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr[-2000:]
    counts = json.loads(finished.stdout[finished.stdout.index("{"):])["counts"]
    assert counts["resumed"] == len(partial) and counts["scored"] == total - len(partial)
    rows = _rows(scores)
    assert len(rows) == len(set(rows)) == total  # nothing twice, nothing lost
    assert rows[: len(partial)] == partial

    straight = evaluate(data, tiny, top_n=25, batch_size=4, show_progress=False)
    resumed = read_run(tmp_path / "resumed.trec")
    assert set(resumed) == set(straight.reranked)
    for qid, docs in straight.reranked.items():
        assert set(resumed[qid]) == set(docs)
        assert np.allclose([resumed[qid][d] for d in docs], list(docs.values()), atol=1e-4)
    report = json.loads(finished.stdout[finished.stdout.index("{"):])
    for name, value in report["means"]["Reranked"].items():
        assert value == pytest.approx(straight.table.loc["Reranked", name], abs=1e-6)


def test_the_run_file_keeps_the_first_stage_below_the_reranked_block(tiny, tmp_path):
    # Before: the file held only the reranked top N; metrics deeper than N silently lost the first stage's recall.
    data = load_fixture()
    report = evaluate(data, tiny, top_n=3, output=tmp_path / "reranked.trec", show_progress=False)
    written = read_run(tmp_path / "reranked.trec")
    for qid, top in report.reranked.items():
        order = sorted(written[qid], key=lambda d: -written[qid][d])
        assert order[:3] == list(top)
        first_stage = [d for d, _ in sorted(data.run[qid].items(), key=lambda kv: -kv[1]) if d not in top]
        assert order[3:] == first_stage and len(order) == len(data.run[qid])
        assert max(written[qid][d] for d in first_stage) < min(top.values())  # trec_eval keeps this order
    assert "then the rest of the first-stage run" in report.to_text()
