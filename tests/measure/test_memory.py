"""Peak memory of a block: sampled during the block, not the process's lifetime peak."""

from __future__ import annotations

import time

import pytest

from rerankkit.measure.memory import PeakRSS, current_rss_mb

# Peak memory is sampled while the block runs: another test's allocations beside it would blur it.
pytestmark = pytest.mark.xdist_group("serial")


@pytest.mark.skipif(current_rss_mb() is None, reason="needs /proc/self/statm")
def test_peak_sees_memory_freed_before_the_block_ends():
    with PeakRSS(interval_s=0.001) as memory:
        block = bytearray(200 * 2**20)  # 200 MiB, touched page by page below
        block[:: 4096] = b"x" * len(block[:: 4096])
        time.sleep(0.05)
        del block
    assert memory.kind == "rss_sampled"
    assert memory.added_mb > 150
    assert memory.peak_mb > current_rss_mb() + 100  # freed again: the peak is the block's, not the present


@pytest.mark.skipif(current_rss_mb() is None, reason="needs /proc/self/statm")
def test_a_later_small_block_does_not_inherit_an_earlier_peak():
    with PeakRSS() as big:
        block = bytearray(200 * 2**20)
        block[:: 4096] = b"x" * len(block[:: 4096])
        time.sleep(0.05)  # filling the block holds the GIL: give the sampling thread a turn while it is held
        del block
    with PeakRSS() as small:
        sum(range(1000))
    assert small.peak_mb < big.peak_mb - 100
    assert small.added_mb < 50


def test_bad_interval_is_a_clear_error():
    with pytest.raises(ValueError, match="interval_s"):
        PeakRSS(interval_s=0)
