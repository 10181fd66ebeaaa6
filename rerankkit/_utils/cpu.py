"""What this CPU can do: its model name and the instruction-set flags that decide which fast path wins.

Reads ``/proc/cpuinfo`` (Linux); elsewhere the flags are empty and callers fall back to a
fixed order or a measurement.

Example:
    >>> flags = cpu_flags()
    >>> isinstance(flags, frozenset) and set(isa_summary()) <= set(FAST_PATH_FLAGS)
    True
"""

from __future__ import annotations

import hashlib
import platform
from functools import lru_cache
from pathlib import Path

__all__ = ["FAST_PATH_FLAGS", "INT8_DOT_FLAGS", "BF16_FLAGS", "cpu_flags", "cpu_model", "isa_summary", "machine_key"]

CPUINFO = Path("/proc/cpuinfo")
# Instructions that int8 matmuls use: VNNI dot products (AVX-512 or AVX) and Intel AMX tiles.
INT8_DOT_FLAGS = ("amx_int8", "avx512_vnni", "avx_vnni")
# Instructions that make bf16 matmuls fast: AMX tiles and AVX512-BF16 dot products.
BF16_FLAGS = ("amx_bf16", "avx512_bf16")
# The flags worth recording next to a CPU timing, in this order.
FAST_PATH_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_tile", "amx_int8", "amx_bf16")


@lru_cache(maxsize=4)
def _cpuinfo(path: Path = CPUINFO) -> tuple[str, frozenset[str]]:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return platform.processor() or platform.machine(), frozenset()
    model = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "")
    flags = next((line.split(":", 1)[1].split() for line in lines if line.startswith(("flags", "Features"))), [])
    return model or platform.processor() or platform.machine(), frozenset(flags)


def cpu_flags(path: Path = CPUINFO) -> frozenset[str]:
    """The CPU's instruction-set flags as the kernel lists them (empty where ``/proc/cpuinfo`` is missing).

    Example:
        >>> isinstance(cpu_flags(), frozenset)
        True
    """
    return _cpuinfo(path)[1]


def cpu_model(path: Path = CPUINFO) -> str:
    """The CPU's model name, e.g. ``AMD EPYC 9R14`` (the platform's processor string where unknown)."""
    return _cpuinfo(path)[0]


def isa_summary(flags: frozenset[str] | None = None) -> list[str]:
    """Which of :data:`FAST_PATH_FLAGS` the CPU has, in that order.

    Example:
        >>> isa_summary(frozenset({"avx2", "avx512_vnni", "sse4_2"}))
        ['avx2', 'avx512_vnni']
    """
    have = cpu_flags() if flags is None else flags
    return [flag for flag in FAST_PATH_FLAGS if flag in have]


def machine_key() -> str:
    """A short stable id of this CPU model and its flags, for caches of what was measured on it.

    Example:
        >>> len(machine_key())
        12
    """
    return hashlib.sha256(f"{cpu_model()}|{' '.join(sorted(cpu_flags()))}".encode()).hexdigest()[:12]
