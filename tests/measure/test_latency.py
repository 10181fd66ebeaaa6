"""Interactive latency: one rerank of real passages, cold and warm, and a session's log of calls."""

from __future__ import annotations

import json

import pytest

from rerankkit import cli
from rerankkit.measure.latency import LATENCY_COLUMNS, LatencyLog, interactive_latency, interactive_requests


def test_requests_are_real_queries_with_distinct_candidates():
    requests = interactive_requests(5, n_candidates=20, seed=1)
    assert len(requests) == 5
    for query, candidates in requests:
        assert query.strip() and len(candidates) == 20 and len(set(candidates)) == 20
    assert interactive_requests(5, seed=1) == requests  # the seed fixes them


@pytest.mark.slow
def test_latency_table_has_cold_and_warm_rows_per_dtype():
    table = interactive_latency("tiny-random", dtypes=["fp32", "int8"], calls=4, n_candidates=20)
    assert list(table.columns) == list(LATENCY_COLUMNS)
    assert table[["dtype", "phase", "n_calls"]].values.tolist() == [
        ["fp32", "cold", 1], ["fp32", "warm", 4], ["int8", "cold", 1], ["int8", "warm", 4]]
    assert (table.n_candidates == 20).all()
    assert (table.median_ms > 0).all() and (table.p95_ms >= table.median_ms).all()
    cold = table[table.phase == "cold"]
    assert (cold.median_ms == cold.p95_ms).all()  # one cold call: both are that call
    assert (table.mean_tokens > 10).all() and (table.load_s > 0).all()
    assert table.backend.iloc[0] == "torch" and table.backend.iloc[2] != "torch"


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="calls"):
        interactive_latency("tiny-random", calls=0)
    with pytest.raises(ValueError, match="dtypes"):
        interactive_latency("tiny-random", dtypes=[])
    with pytest.raises(ValueError, match="n_candidates"):
        interactive_requests(1, n_candidates=10**6)


def test_log_keeps_the_first_call_apart():
    log = LatencyLog()
    assert log.median_ms is None and log.text() == "no rerank timed yet"
    log.add(1.0)
    assert log.cold_ms == 1000.0 and log.median_ms is None and "cold" in log.text()
    for seconds in (0.1, 0.3, 0.2):
        log.add(seconds)
    assert log.n_warm == 3 and log.median_ms == pytest.approx(200.0) and log.last_ms == pytest.approx(200.0)
    assert 200.0 < log.p95_ms <= 300.0
    assert "warm median 200 ms" in log.text() and "first call 1000 ms (cold)" in log.text()
    handed = LatencyLog(cold=False)
    handed.add(0.5)
    assert "cold" not in handed.text()
    with pytest.raises(ValueError, match="seconds"):
        log.add(float("nan"))


@pytest.mark.slow
def test_cli_interactive_prints_cold_and_warm(capsys):
    args = ["bench", "--model", "tiny-random", "--dtypes", "fp32", "--interactive", "--calls", "2",
            "--candidates", "5"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "cold" in out and "warm" in out and "median_ms" in out and "NOTE: tiny test model" in out
    assert cli.main(args + ["--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [(r["phase"], r["n_calls"]) for r in rows] == [("cold", 1), ("warm", 2)]


def test_a_status_line_for_a_cache_hit_speaks_of_the_last_model_call():
    from rerankkit.measure.latency import LatencyLog

    log = LatencyLog(cold=False)
    log.add(0.030)
    assert log.text().startswith("this rerank 30 ms")
    assert log.text(cached=True).startswith("last model call 30 ms")
