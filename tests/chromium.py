"""What the real-browser tests share: Debian's Chromium, a free loopback port, a server's start and stop.

Used by tests/widgets/test_browser.py and tests/widgets/test_app_browser.py (through tests/notebook_runs.py for
the notebooks). Servers listen on 127.0.0.1 only and are started as the leaders of their own process group, so
they and their kernels are ended by id.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags an offline Chromium keeps retrying refused connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
]
SKIP_REASON = "needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)"
# The marks of every real-browser test. They share one worker (group "browser") with the notebook runs, whose
# JupyterLab session they read, so two browsers never compete with each other.
NEEDS_CHROMIUM = pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK), reason=SKIP_REASON)
BROWSER_MARKS = [pytest.mark.browser, pytest.mark.xdist_group("browser"), NEEDS_CHROMIUM]


def chromium_available() -> bool:
    """Whether Chromium and the playwright package are both here (else the browser tests skip)."""
    import importlib.util

    return os.access(CHROMIUM, os.X_OK) and importlib.util.find_spec("playwright") is not None


def launch(playwright):
    """Headless Chromium from Debian's package, with the offline-friendly arguments."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def artifacts() -> Path:
    """Where screenshots go: ``$RERANKKIT_ARTIFACTS``, else artifacts/ in the checkout."""
    folder = Path(os.environ.get("RERANKKIT_ARTIFACTS") or ROOT / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def server_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a Jupyter server: offline, this checkout importable, throw-away Jupyter folders."""
    env = dict(os.environ)
    env.update(
        HF_HUB_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
        PYTHONPATH=os.pathsep.join(p for p in [str(ROOT), env.get("PYTHONPATH", "")] if p),
        JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
        **extra,
    )
    env.pop("MPLBACKEND", None)  # the kernel picks the inline backend, as for a reader
    return env


def start_server(command: list[str], *, cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start a server as the leader of its own process group, its output in ``log``."""
    with log.open("w") as out:
        return subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _status(url: str, timeout: float) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def wait_for_server(proc: subprocess.Popen, url: str, log: Path, *, name: str, deadline_s: float = 120) -> None:
    """Return once ``url`` answers 200; fail with the server's log if it exits or the deadline passes."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{name} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if _status(url, timeout=2) == 200:
                return
        except OSError:
            pass  # refused: the port is not open yet
        time.sleep(0.2)
    raise AssertionError(f"{name} did not answer within {deadline_s} s:\n{log.read_text()[-3000:]}")


def stop_server(proc: subprocess.Popen, polite: Callable[[], None] | None = None) -> None:
    """Ask the server to stop (``polite``), then end its process group by id (TERM, then KILL)."""
    if polite is not None and proc.poll() is None:
        try:
            polite()
            proc.wait(timeout=15)
        except (OSError, subprocess.TimeoutExpired):
            pass
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)  # the server was started as the leader of its own group
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            continue
