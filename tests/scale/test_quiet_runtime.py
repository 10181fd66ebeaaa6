"""A local Ray runtime started by the kit writes nothing to the notebook's stderr (captured at the file descriptor)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("ray")

ROOT = Path(__file__).resolve().parents[2]
# A worker that prints to stderr, an actor, a Ray Data pass and a shutdown: what notebook 09 does, in miniature.
SCRIPT = """
import sys
from rerankkit.scale import start_local
ray = start_local(1)

@ray.remote
def shout(x):
    print("worker output on stderr", file=sys.stderr)
    return x + 1

@ray.remote
class Counter:
    def add(self, x):
        return x + 1

assert ray.get(shout.remote(1)) == 2
assert ray.get(Counter.remote().add.remote(1)) == 2
import ray.data
ctx = ray.data.DataContext.get_current()
ctx.enable_progress_bars = False
assert ray.data.range(20).map(lambda row: row).count() == 20
ray.shutdown()
print("ok")
"""


@pytest.mark.slow
@pytest.mark.xdist_group("serial")
def test_start_local_writes_nothing_to_stderr(tmp_path):
    # Before: notebook 09 showed about 36 lines of Ray logs on stderr (core_worker.cc errors at shutdown, INFO lines
    # every 10 s, a token-auth warning).
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    env.update(HOME=str(tmp_path), PYTHONPATH=str(ROOT))  # a fresh ~/.ray: the token is generated, as on a new laptop
    env["RAY_gcs_server_port_wait_time_s"] = "240"  # a busy shared machine starts Ray's GCS slowly
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=300,
                          cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr[-3000:]
    assert done.stderr == "", done.stderr[-3000:]
