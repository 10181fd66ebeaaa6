"""One live service for the folder's slow tests: `rerankkit serve` on tiny-random, on loopback, started once.

It runs as a subprocess (the real command line, with its own embedded Ray), so the tests see what a
user's client sees and can kill its replica without touching the test process. Its queue is kept small
so that the overload test can fill it with a few dozen requests.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytest.importorskip("ray.serve", reason="needs the 'serve' extra: pip install 'rerankkit[serve]'")
httpx = pytest.importorskip("httpx", reason="needs the 'serve' extra: pip install 'rerankkit[serve]'")

# Small limits and queues: the fuzzer stays quick and a burst of requests overflows the queue.
SERVE_ARGS = ["--model", "tiny-random", "--max-documents", "64", "--max-chars", "2000",
              "--max-request-tokens", "8000", "--max-ongoing-requests", "8", "--max-queued-requests", "8",
              "--max-batch-requests", "8"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveService:
    """The running `rerankkit serve` process and its URL; started again if a test stopped it."""

    url: str = ""
    process: subprocess.Popen | None = None
    log: Path | None = None
    starts: list[float] = field(default_factory=list)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def ensure_running(self, tmp: Path) -> LiveService:
        if self.running():
            return self
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log = tmp / f"serve-{port}.log"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
        env.pop("RAY_ADDRESS", None)
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rerankkit.cli", "serve", "--port", str(port), *SERVE_ARGS],
            stdout=self.log.open("w"), stderr=subprocess.STDOUT, env=env, start_new_session=True)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"rerankkit serve exited with {self.process.returncode}:\n{self.log.read_text()}")
            if "Ctrl-C stops it" in self.log.read_text():
                self.starts.append(time.perf_counter() - started)
                return self
            time.sleep(0.3)
        self.stop()
        pytest.fail(f"rerankkit serve did not start within 180 s:\n{self.log.read_text()}")

    def stop(self, timeout: float = 60) -> int | None:
        if not self.running():
            return None if self.process is None else self.process.returncode
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            return self.process.wait()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Move the tests that stop the live service (``@pytest.mark.stops_service``) after the folder's other tests.

    The service takes half a minute to start on two cores; stopped in the middle, it would be started twice.
    """
    here = [i for i, item in enumerate(items) if Path(str(item.path)).is_relative_to(Path(__file__).parent)]
    if not here:
        return
    last = max(here)
    stopping = [items[i] for i in here if items[i].get_closest_marker("stops_service")]
    for item in stopping:
        items.remove(item)
    last -= len(stopping)
    items[last + 1:last + 1] = stopping


@pytest.fixture(scope="session")
def live_service(tmp_path_factory):
    live = LiveService()
    yield live, tmp_path_factory.mktemp("serve")
    live.stop()


@pytest.fixture
def service(live_service) -> LiveService:
    """The live service, running (started on first use, and again after a test stopped it)."""
    live, tmp = live_service
    return live.ensure_running(tmp)
