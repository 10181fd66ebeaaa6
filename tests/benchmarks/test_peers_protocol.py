"""The pure parts of the peer benchmark: messages, CPU flags, the ONNX config choice, rotation, Kendall's tau, headline."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from peers.protocol import (  # noqa: E402
    ProtocolError,
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


def test_the_headline_divides_our_fastest_path_by_the_fastest_peer() -> None:
    rates = {"FlagReranker fp32": 0.2, "rerankkit fp32": 0.8, "rerankkit int8 onnxruntime": 2.4,
             "sentence-transformers OpenVINO int8 static": 3.0, "sentence-transformers ONNX int8 dynamic": 2.5}
    head = headline(rates)
    assert head["fastest_own"] == "rerankkit int8 onnxruntime"
    assert head["fastest_peer"] == "sentence-transformers OpenVINO int8 static"
    assert head["ratio"] == pytest.approx(0.8)
    with pytest.raises(ValueError, match="peer path"):
        headline({"rerankkit fp32": 1.0})
