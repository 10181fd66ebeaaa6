"""The CPU's flags are read from /proc/cpuinfo, summarised, and key the caches of what was measured on it."""

from __future__ import annotations

from rerankkit._utils import cpu


def _cpuinfo(tmp_path, flags: str, model: str = "Acme CPU 9000"):
    path = tmp_path / "cpuinfo"
    path.write_text(f"processor\t: 0\nmodel name\t: {model}\nflags\t\t: {flags}\n\nprocessor\t: 1\n", encoding="utf-8")
    return path


def test_flags_and_model_come_from_cpuinfo(tmp_path):
    path = _cpuinfo(tmp_path, "fpu sse4_2 avx2 avx512f avx512_vnni amx_int8")
    assert cpu.cpu_model(path) == "Acme CPU 9000"
    assert cpu.cpu_flags(path) == frozenset({"fpu", "sse4_2", "avx2", "avx512f", "avx512_vnni", "amx_int8"})
    assert cpu.isa_summary(cpu.cpu_flags(path)) == ["avx2", "avx512f", "avx512_vnni", "amx_int8"]


def test_missing_cpuinfo_gives_no_flags(tmp_path):
    assert cpu.cpu_flags(tmp_path / "absent") == frozenset()
    assert cpu.cpu_model(tmp_path / "absent")  # the platform's name instead


def test_machine_key_follows_the_flags(monkeypatch, tmp_path):
    before = cpu.machine_key()
    assert before == cpu.machine_key() and len(before) == 12
    monkeypatch.setattr(cpu, "cpu_flags", lambda path=cpu.CPUINFO: frozenset({"a-flag-no-cpu-has"}))
    assert cpu.machine_key() != before
