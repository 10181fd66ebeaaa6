"""Peak resident memory of this process while a block of code runs, read by a sampling thread.

``ru_maxrss`` only ever grows over a process's life, so after a large cell every later cell would report
the same peak. :class:`PeakRSS` instead reads the current resident set size (``/proc/self/statm``) every few
milliseconds on a background thread while the block runs, once before and once after it, and keeps the largest
reading: the peak of **this block**, to within a spike shorter than the sampling interval. Where
``/proc`` is missing (macOS, Windows) it falls back to the process-lifetime peak and says so in ``kind``.

Example:
    >>> with PeakRSS() as memory:
    ...     block = bytearray(64 * 2**20)
    >>> memory.kind in ("rss_sampled", "rss_process_peak"), memory.peak_mb >= memory.before_mb > 0
    (True, True)
"""

from __future__ import annotations

import os
import sys
import threading
from types import TracebackType

__all__ = ["PeakRSS", "current_rss_mb"]

_STATM = "/proc/self/statm"


def current_rss_mb() -> float | None:
    """Resident memory of this process now, MiB, or ``None`` where ``/proc/self/statm`` is missing.

    Example:
        >>> value = current_rss_mb()
        >>> value is None or value > 1
        True
    """
    try:
        with open(_STATM, encoding="ascii") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _lifetime_peak_mb() -> float:
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # macOS reports bytes, Linux KiB


class PeakRSS:
    """Context manager: the largest resident memory of this process seen while the block ran.

    Args:
        interval_s: Seconds between readings (default 5 ms).

    Attributes:
        before_mb: Resident memory when the block started, MiB.
        peak_mb: Largest reading during the block, MiB.
        kind: ``rss_sampled`` (readings of ``/proc/self/statm``) or ``rss_process_peak`` (the fallback:
            the process's peak since it started, which may come from before the block).
    """

    def __init__(self, interval_s: float = 0.005) -> None:
        if not interval_s > 0:
            raise ValueError(f"interval_s must be a positive number of seconds, got {interval_s!r}")
        self.interval_s = interval_s
        self.before_mb = 0.0
        self.peak_mb = 0.0
        self.kind = "rss_sampled"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def added_mb(self) -> float:
        """Peak minus resident memory at the start: what the block itself added at its worst, MiB."""
        return max(0.0, self.peak_mb - self.before_mb)

    def _sample(self) -> None:
        while not self._stop.wait(self.interval_s):
            value = current_rss_mb()
            if value is not None and value > self.peak_mb:
                self.peak_mb = value

    def __enter__(self) -> PeakRSS:
        now = current_rss_mb()
        if now is None:
            self.kind = "rss_process_peak"
            self.before_mb = _lifetime_peak_mb()
            return self
        self.before_mb = self.peak_mb = now
        self._stop.clear()
        self._thread = threading.Thread(target=self._sample, name="rerankkit-peak-rss", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._thread is None:
            self.peak_mb = _lifetime_peak_mb()
            return
        self._stop.set()
        self._thread.join()
        self._thread = None
        last = current_rss_mb()
        if last is not None:
            self.peak_mb = max(self.peak_mb, last)
