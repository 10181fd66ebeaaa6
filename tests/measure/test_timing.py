"""The benchmark harness on tiny-random: table shape, units, warm-up, repeats, unavailable rows, CLI."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
import torch

from rerankkit import cli
from rerankkit.measure.timing import (
    COLUMNS,
    _cell_plan,
    attention_crossover_length,
    attention_flop_share,
    benchmark,
    cold_start,
    measure,
    mixed_lengths,
    padding_efficiency,
)

HAS_CUDA = torch.cuda.is_available()
# These tests time and sample memory (a warm-up kept out of the clock, peak memory per cell): alone, not beside others.
pytestmark = pytest.mark.xdist_group("serial")


@pytest.fixture(scope="module")
def table():
    return benchmark("tiny-random", devices=["cpu", "cuda"], dtypes=["fp32", "fp16", "int8"], batch_sizes=[2, 4],
                     lengths=[16, "mixed"], repeats=3, warmup=1, n_batches=2)


@pytest.mark.slow
def test_table_has_one_row_per_cell_and_the_documented_columns(table):
    assert list(table.columns) == list(COLUMNS)
    assert len(table) == 2 * 3 * 2 * 2
    assert set(map(tuple, table[["device", "dtype"]].drop_duplicates().values)) == {
        (d, t) for d in ("cpu", "cuda") for t in ("fp32", "fp16", "int8")}


def test_unavailable_rows_say_why(table):
    cpu_fp16 = table[(table.device == "cpu") & (table.dtype == "fp16")]
    assert (cpu_fp16.status == "unavailable").all() and cpu_fp16.note.str.contains("fp16").all()
    assert cpu_fp16.pairs_per_s.isna().all()
    cuda = table[table.device == "cuda"]
    if not HAS_CUDA:
        assert (cuda.status == "unavailable").all() and cuda.note.str.contains("CUDA").all()


def test_units_agree_with_each_other(table):
    ok = table[table.status == "ok"]
    assert set(ok.device) == {"cpu"} and set(ok.dtype) == {"fp32", "int8"}
    assert (ok.repeats == 3).all() and (ok.warmup == 1).all()
    assert (ok.n_pairs == ok.batch_size * 2).all()
    fixed = ok[ok.length == 16]
    # Every pair has exactly 16 tokens, so tokens/s is 16 x pairs/s and nothing is padded.
    np.testing.assert_allclose(fixed.tokens_per_s, 16 * fixed.pairs_per_s, rtol=1e-9)
    assert (fixed.padding_efficiency == 1.0).all()
    mixed = ok[ok.length == "mixed"]
    assert ((mixed.padding_efficiency > 0) & (mixed.padding_efficiency <= 1)).all()
    assert (ok.pairs_per_s_min <= ok.pairs_per_s).all() and (ok.pairs_per_s <= ok.pairs_per_s_max).all()
    assert (ok.latency_p50_ms <= ok.latency_p95_ms).all() and (ok.latency_p50_ms > 0).all()
    assert (ok.memory_kind == "rss_sampled").all() and (ok.peak_memory_mb > 10).all()
    assert (ok.load_s > 0).all() and (ok.first_response_s > 0).all()
    from rerankkit.backends import default_int8_backend

    assert set(ok[ok.dtype == "fp32"].backend) == {"torch"} and set(ok[ok.dtype == "fp32"].attention) == {"sdpa"}
    assert set(ok[ok.dtype == "int8"].backend) == {default_int8_backend()}
    assert not ok.timing_only.any()


@pytest.mark.slow
def test_model_flops_follow_the_dense_weights_of_the_model(table, tiny):
    """FLOPs per token at a fixed length, checked against the Linear weights counted in the torch model."""
    layer_weights = sum(m.weight.numel() for name, m in tiny.model.named_modules()
                        if isinstance(m, torch.nn.Linear) and ".encoder." in f".{name}")
    hidden, layers = tiny.model.config.hidden_size, tiny.model.config.num_hidden_layers
    per_token = 2 * layer_weights + layers * 4 * 16 * hidden  # length 16: attention's two products
    fixed = table[(table.status == "ok") & (table.length == 16) & (table.dtype == "fp32")]
    np.testing.assert_allclose(fixed.model_tflops_per_s * 1e12, per_token * fixed.tokens_per_s, rtol=1e-9)
    assert fixed.fraction_of_peak.isna().all()
    with_peak = benchmark("tiny-random", devices=["cpu"], batch_sizes=[2], lengths=[16], repeats=1, n_batches=1,
                          peak_tflops=2.0)
    assert with_peak.fraction_of_peak[0] == pytest.approx(with_peak.model_tflops_per_s[0] / 2.0)


def test_measure_excludes_warmup_and_counts_repeats():
    calls = []

    def run(batch):
        calls.append(batch)
        if len(calls) <= 2:  # the first pass (the warm-up) is slow, like a first CUDA call
            time.sleep(0.2)

    m = measure(run, ["a", "b"], repeats=4, warmup=1)
    assert len(calls) == 2 * (1 + 4)
    assert m.repeats == 4 and len(m.batch_seconds) == 8
    assert max(m.batch_seconds) < 0.1  # the slow warm-up calls were not timed
    median, slowest, fastest = m.rate(10)
    assert slowest <= median <= fastest


def test_measure_synchronizes_before_each_clock_read():
    synced = []
    measure(lambda b: None, [1, 2, 3], repeats=2, warmup=0, synchronize=lambda: synced.append(1))
    assert len(synced) == 1 + 2 * 3


@pytest.mark.parametrize("kwargs, message", [
    (dict(dtypes=["int4"]), "dtypes"),
    (dict(devices=["tpu"]), "devices"),
    (dict(batch_sizes=[0]), "batch_sizes"),
    (dict(lengths=[2]), "lengths"),
    (dict(repeats=0), "repeats"),
    (dict(batch_sizes=[]), "batch_sizes"),
])
def test_bad_grid_is_a_clear_error_before_loading(kwargs, message, monkeypatch):
    import rerankkit.scoring.loading

    monkeypatch.setattr(rerankkit.scoring.loading, "load", lambda *a, **k: pytest.fail("loaded before validating"))
    with pytest.raises(ValueError, match=message):
        benchmark("tiny-random", **kwargs)


def test_length_beyond_the_model_limit_is_an_unavailable_row():
    t = benchmark("tiny-random", devices=["cpu"], batch_sizes=[1], lengths=[600], repeats=1, n_batches=1)
    assert t.status.tolist() == ["unavailable"] and "512" in t.note[0]


def test_mixed_lengths_are_real_pairs_counted_by_the_models_tokenizer(tiny):
    from rerankkit.measure.timing import mixed_pairs

    pairs = mixed_pairs(64, seed=3)
    assert mixed_pairs(64, seed=3) == pairs and mixed_pairs(64, seed=4) != pairs
    expected = [len(tiny.tokenizer(q, p)["input_ids"]) for q, p in pairs]
    assert mixed_lengths(64, seed=3, tokenizer=tiny.tokenizer).tolist() == expected
    assert mixed_lengths(64, seed=3, tokenizer=tiny.tokenizer, max_length=40).tolist() == [min(n, 40) for n in expected]
    assert len({q for q, _ in pairs}) > 20  # drawn across cases, not one query repeated


def test_padding_efficiency_and_mixed_lengths():
    lengths = mixed_lengths(256, seed=1)
    assert 4 < lengths.min() and lengths.max() <= 512 and len(set(lengths.tolist())) > 20
    assert padding_efficiency(lengths, 1) == 1.0
    assert padding_efficiency(lengths, 32, sort=True) > padding_efficiency(lengths, 32, sort=False)
    with pytest.raises(ValueError):
        padding_efficiency([], 4)


def test_cold_start_measures_load_and_first_response():
    figures = cold_start("tiny-random", device="cpu")
    assert figures["load_s"] > 0 and figures["first_response_s"] > 0


@pytest.mark.gpu
@pytest.mark.skipif(not HAS_CUDA, reason="needs a CUDA GPU")
def test_gpu_fp16_and_bf16_rows_report_cuda_memory():  # pragma: no cover - runs only with CUDA
    t = benchmark("tiny-random", devices=["cuda"], dtypes=["fp16", "bf16"], batch_sizes=[4], lengths=[32],
                  repeats=2, n_batches=1)
    ok = t[t.status == "ok"]
    assert set(ok.dtype) <= {"fp16", "bf16"} and "fp16" in set(ok.dtype)
    assert (ok.memory_kind == "cuda_max_allocated").all() and (ok.peak_memory_mb > 0).all()
    assert ok.device.str.startswith("cuda").all()


@pytest.mark.slow
def test_cli_bench_prints_a_table_and_json(capsys):
    args = ["bench", "--model", "tiny-random", "--devices", "cpu", "--dtypes", "fp32", "--batch-sizes", "2",
            "--lengths", "16", "--repeats", "2", "--n-batches", "1"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "pairs_per_s" in out and "median of 2 timed repeats" in out
    assert cli.main(args + ["--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["rows"][0]["repeats"] == 2 and data["rows"][0]["status"] == "ok"
    assert data["units"]["pairs_per_s"].startswith("median") and "torch" in data["environment"]


def test_cli_bench_bad_list_is_a_clear_error(capsys):
    assert cli.main(["bench", "--model", "tiny-random", "--batch-sizes", "8,x"]) == 1
    assert "--batch-sizes" in capsys.readouterr().err


def test_length_cells_report_tokens_memory_growth_and_attention_share(tiny):
    table = benchmark("tiny-random", devices=["cpu"], dtypes=["fp32"], batch_sizes=[1], lengths=[64, 128, 512],
                      repeats=2, warmup=1, n_batches=1)
    ok = table[table.status == "ok"].set_index("length")
    np.testing.assert_allclose(ok.tokens_per_s, ok.index.to_numpy() * ok.pairs_per_s, rtol=1e-9)
    assert (ok.memory_kind == "rss_sampled").all() and (ok.peak_memory_mb > 10).all()
    assert (ok.cell_memory_mb >= 0).all() and (ok.cell_memory_mb <= ok.peak_memory_mb).all()
    # Growth is measured: the ratio of times per pair between neighbouring lengths, and per doubling.
    assert np.isnan(ok.loc[64, "time_growth"])
    assert ok.loc[128, "time_growth"] == pytest.approx(ok.loc[64, "pairs_per_s"] / ok.loc[128, "pairs_per_s"])
    assert ok.loc[512, "growth_per_doubling"] == pytest.approx(ok.loc[512, "time_growth"] ** 0.5)
    # The attention share follows the config and grows with length.
    config = tiny.model.config
    share = [attention_flop_share(config, n) for n in (64, 128, 512)]
    np.testing.assert_allclose(ok.attention_flop_share, share)
    assert share[0] < share[1] < share[2] < 1
    assert table.attrs["attention_crossover_length"] == attention_crossover_length(config)
    assert attention_flop_share(config, int(attention_crossover_length(config))) == pytest.approx(0.5)


def test_time_budget_cuts_repeats_of_long_cells_only():
    assert _cell_plan(None, 1, 3, 10.0) == (1, 3)  # first cell: nothing to estimate from
    assert _cell_plan(1.0, 1, 3, 10.0) == (1, 3)  # fits
    assert _cell_plan(3.0, 1, 3, 10.0) == (1, 2)  # three passes fit: one warm-up, two timed
    assert _cell_plan(6.0, 1, 3, 10.0) == (0, 1)  # one pass fits: timed, no warm-up
    assert _cell_plan(60.0, 1, 3, 10.0) == (0, 1)  # never fewer than one timed pass
    table = benchmark("tiny-random", devices=["cpu"], batch_sizes=[1], lengths=[16, 512], repeats=3, warmup=1,
                      n_batches=1, max_cell_seconds=1e-6)
    assert table[["warmup", "repeats"]].values.tolist() == [[1, 3], [0, 1]]
    with pytest.raises(ValueError, match="max_cell_seconds"):
        benchmark("tiny-random", devices=["cpu"], max_cell_seconds=0)


@pytest.mark.slow
def test_cli_bench_length_scaling_reports_growth(capsys):
    args = ["bench", "--model", "tiny-random", "--devices", "cpu", "--batch-sizes", "1", "--n-batches", "1",
            "--lengths", "64,128", "--repeats", "1", "--max-cell-seconds", "30"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "growth_per_doubling" in out and "attention_flop_share" in out and "cell_memory_mb" in out
    assert cli.main(args + ["--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["attention_crossover_length"] > 0 and data["rows"][1]["time_growth"] > 0


class _Adds10MiB:
    """Stands in for PeakRSS: every cell adds exactly 10 MiB, so the guard's arithmetic is known."""

    kind = "rss_sampled"
    before_mb, peak_mb = 100.0, 110.0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


@pytest.mark.parametrize(("guard", "status"), [(1000.0, "skipped"), (1e6, "ok")])
def test_memory_guard_scales_the_previous_cell_by_length_squared(guard, status, monkeypatch):
    import rerankkit.measure.timing as timing

    monkeypatch.setattr(timing, "PeakRSS", _Adds10MiB)
    # 10 MiB at 16 tokens scaled to 512 tokens: 10 * 32^2 = 10240 MiB.
    table = benchmark("tiny-random", devices=["cpu"], batch_sizes=[1], lengths=[16, 512], repeats=1, warmup=0,
                      n_batches=1, max_cell_memory_mb=guard)
    assert table.status.tolist() == ["ok", status]
    if status == "skipped":
        assert "about 10240 MiB" in table.note[1] and np.isnan(table.pairs_per_s[1])
    with pytest.raises(ValueError, match="max_cell_memory_mb"):
        benchmark("tiny-random", devices=["cpu"], max_cell_memory_mb=-1)


def test_environment_records_the_cpu_instruction_sets(monkeypatch):
    from rerankkit._utils import cpu
    from rerankkit.measure.timing import environment

    monkeypatch.setattr(cpu, "cpu_flags", lambda path=cpu.CPUINFO: frozenset({"avx2", "amx_int8", "sse4_2"}))
    assert environment()["cpu_isa"] == "avx2 amx_int8"
    monkeypatch.setattr(cpu, "cpu_flags", lambda path=cpu.CPUINFO: frozenset())
    assert environment()["cpu_isa"] == "unknown"
