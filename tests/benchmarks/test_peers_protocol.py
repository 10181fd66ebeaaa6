"""The pure parts of the peer benchmark: messages, CPU flags, the ONNX config choice, rotation, Kendall's tau, headline."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from peers.protocol import (  # noqa: E402
    ProtocolError,
    best_batches,
    cpu_flags,
    cpu_model,
    decode,
    encode,
    headline,
    isa_summary,
    kendall_tau,
    onnx_quantization_config,
    rotated,
)

CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 9R14
flags\t\t: fpu sse avx2 avx512f avx512_vnni avx512_bf16
processor\t: 1
"""


def test_a_message_survives_the_round_trip_as_one_line() -> None:
    message = {"type": "result", "contender": "st-onnx-int8", "seconds": 1.5, "scores": [0.25, -3.0]}
    line = encode(message)
    assert line.endswith("\n") and line.count("\n") == 1
    assert decode(line) == message


@pytest.mark.parametrize("line, fragment", [
    ("", "empty line"),
    ("Some library printed this\n", "not a JSON line"),
    ("[1, 2]\n", "not a protocol message"),
    ('{"type": "dance"}\n', "not a protocol message"),
])
def test_lines_that_are_not_messages_are_refused_by_name(line: str, fragment: str) -> None:
    with pytest.raises(ProtocolError, match=fragment):
        decode(line)


def test_encode_refuses_an_unknown_type() -> None:
    with pytest.raises(ProtocolError, match="'dance'"):
        encode({"type": "dance"})


def test_cpu_flags_and_model_come_from_cpuinfo_text() -> None:
    flags = cpu_flags(CPUINFO)
    assert {"avx2", "avx512f", "avx512_vnni", "avx512_bf16"} <= flags and "amx_int8" not in flags
    assert cpu_model(CPUINFO) == "AMD EPYC 9R14"
    assert cpu_flags("processor : 0\n") == set() and cpu_model("") == "unknown"
    summary = isa_summary(flags)
    assert summary["avx512_vnni"] is True and summary["amx_int8"] is False


@pytest.mark.parametrize("flags, config", [
    ({"avx2", "avx512f", "avx512_vnni"}, "avx512_vnni"),
    ({"avx2", "avx512f"}, "avx512"),
    ({"avx2"}, "avx2"),
    ({"avx2", "avx512_vnni"}, "avx2"),  # VNNI flag without AVX-512F (AVX-VNNI parts) gets no AVX-512 config
])
def test_the_onnx_config_follows_the_best_isa_present(flags: set[str], config: str) -> None:
    assert onnx_quantization_config(flags) == config


def test_each_round_rotates_the_order_so_every_contender_leads_once() -> None:
    names = ["a", "b", "c"]
    firsts = [rotated(names, r)[0] for r in range(3)]
    assert firsts == ["a", "b", "c"]
    assert sorted(rotated(names, 5)) == names and rotated([], 2) == []


def test_kendall_tau_matches_scipy_with_ties() -> None:
    scipy_stats = pytest.importorskip("scipy.stats")
    a = [0.1, 0.4, 0.4, 2.0, -1.0, 3.5, 0.0, 0.4]
    b = [0.2, 0.1, 0.3, 2.5, -0.5, 3.0, 0.3, 0.9]
    assert kendall_tau(a, b) == pytest.approx(scipy_stats.kendalltau(a, b).statistic, abs=1e-12)
    assert kendall_tau(a, a) == pytest.approx(1.0)
    assert math.isnan(kendall_tau([1, 1, 1], [1, 2, 3]))
    with pytest.raises(ValueError, match="differ in length"):
        kendall_tau([1, 2], [1])


def _rows(table: dict[str, dict[int, float]], **variant_rows: float) -> list[dict]:
    rows = [{"path": path, "batch_size": b, "pairs_per_s": r} for path, by_batch in table.items()
            for b, r in by_batch.items()]
    return rows + [{"path": path, "batch_size": 16, "pairs_per_s": r, "variant": "token budget off"}
                   for path, r in variant_rows.items()]


def test_the_headline_takes_each_path_at_its_own_best_batch_size() -> None:
    rows = _rows({"FlagReranker fp32": {1: 0.7, 16: 0.3},
                  "rerankkit int8 openvino-static": {1: 3.4, 4: 3.8, 16: 3.75},
                  "sentence-transformers OpenVINO int8 static": {1: 3.45, 4: 3.82, 16: 2.78}})
    top = headline(rows)["best_at_best"]
    assert (top["own"], top["own_batch_size"]) == ("rerankkit int8 openvino-static", 4)
    assert (top["peer"], top["peer_batch_size"]) == ("sentence-transformers OpenVINO int8 static", 4)
    assert top["ratio"] == pytest.approx(3.8 / 3.82)


def test_the_same_batch_view_compares_each_batch_size_both_sides_ran() -> None:
    rows = _rows({"rerankkit int8 openvino-static": {1: 3.4, 4: 3.8, 16: 3.75},
                  "sentence-transformers OpenVINO int8 static": {1: 3.45, 4: 3.82, 16: 2.78},
                  "FlagReranker fp32": {128: 0.3}})
    views = {v["batch_size"]: v for v in headline(rows)["same_batch"]}
    assert sorted(views) == [1, 4, 16]  # 128: no rerankkit row at that size
    assert views[16]["ratio"] == pytest.approx(3.75 / 2.78) and views[16]["peer_batch_size"] == 16
    assert views[1]["own"] == "rerankkit int8 openvino-static" and views[1]["ratio"] < 1


def test_a_variant_of_a_path_never_enters_the_headline() -> None:
    rows = _rows({"rerankkit int8 openvino-static": {16: 3.0}, "sentence-transformers ONNX int8 dynamic": {16: 2.0}},
                 **{"rerankkit int8 openvino-static": 9.0})
    head = headline(rows)
    assert head["best_at_best"]["own_pairs_per_s"] == 3.0
    assert [v["own_pairs_per_s"] for v in head["same_batch"]] == [3.0]
    assert best_batches(rows)["rerankkit int8 openvino-static"]["pairs_per_s"] == 3.0


def test_the_headline_needs_a_path_on_each_side() -> None:
    with pytest.raises(ValueError, match="peer path"):
        headline(_rows({"rerankkit fp32": {1: 1.0}}))
