"""Start or join a Ray runtime: a local one sized to this machine, or a cluster named by an address.

With no address (and no ``RAY_ADDRESS`` in the environment) :func:`ray_runtime` starts Ray inside this
process's machine with one logical CPU per core and shuts it down on exit. With an address it connects to
that cluster and only disconnects. A runtime that is already running (``ray.init`` called by the user or
a test fixture) is used as it is and left running.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from rerankkit._utils.optional import require

__all__ = ["ray_runtime", "import_ray", "cluster_address", "start_local", "QUIET_LOCAL_ENV"]

# Loggers whose lines tell a learner nothing about the job: execution plans, a local token set-up note,
# nothing else is hidden.
_CHATTY_LOGGERS = (
    "ray._private.authentication.authentication_token_setup",
    "ray.data._internal.execution.streaming_executor",
)

# Set (unless already set) before a quiet local ray.init: Ray's C++ core worker in this process and the raylet
# read them when they start and write to this process's stderr, which a notebook shows line by line.
QUIET_LOCAL_ENV = {
    # C++ logs below fatal: "core_worker.cc ... the actor restart will fail" at shutdown, periodic INFO lines.
    # (Ray's note that it enabled token authentication is a Python log, hidden with the other set-up notes.)
    "RAY_BACKEND_LOG_LEVEL": "fatal",
}


# Ray's C++ logger announces the level it read from RAY_BACKEND_LOG_LEVEL at INFO, before that level applies:
# the one line a quiet start would otherwise print.
_LEVEL_NOTE = "Set ray log level from environment variable RAY_BACKEND_LOG_LEVEL"


@contextmanager
def _without_level_note() -> Iterator[None]:
    """Hold back what this process writes to file descriptor 2 meanwhile; replay all of it but Ray's level note."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            kept = [line for line in held.read().splitlines(keepends=True) if _LEVEL_NOTE.encode() not in line]
            if kept:
                os.write(2, b"".join(kept))


def import_ray() -> Any:
    """Import ``ray`` and ``ray.data``, or raise MissingDependencyError naming the install command."""
    ray = require("ray", feature="Batch reranking on Ray Data (rerankkit.scale)")
    require("ray.data", feature="Batch reranking on Ray Data (rerankkit.scale)")
    return ray


def cluster_address(address: str | None = None) -> str | None:
    """The cluster to join: ``address`` if given, else ``$RAY_ADDRESS``, else None (start Ray locally).

    Example:
        >>> cluster_address("ray://head:10001")
        'ray://head:10001'
    """
    return address or os.environ.get("RAY_ADDRESS") or None


def quiet_ray_logs(quiet: bool = True) -> None:
    """Keep Ray Data's progress bars and warnings; hide execution plans and set-up notes."""
    level = logging.ERROR if quiet else logging.INFO
    for name in _CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(level)


def start_local(num_cpus: int | None = None, *, quiet: bool = True, runtime_env: dict | None = None) -> Any:
    """Start Ray on this machine (one logical CPU per core by default) and return the ``ray`` module.

    ``quiet=True`` keeps a notebook's stderr clean: workers' output is not forwarded to this process
    (``log_to_driver=False``; their logs stay in Ray's session folder), Ray's C++ components log only fatal
    errors (:data:`QUIET_LOCAL_ENV`), and Python-side set-up notes and execution plans are hidden. Errors of
    your own tasks still raise here. A runtime that is already up is returned as it is.

    Example:
        >>> ray = start_local(1)  # doctest: +SKIP
        >>> ray.shutdown()  # doctest: +SKIP
    """
    ray = import_ray()
    quiet_ray_logs(quiet)
    if ray.is_initialized():
        return ray
    if quiet:
        for name, value in QUIET_LOCAL_ENV.items():
            os.environ.setdefault(name, value)
    options: dict[str, Any] = {"logging_level": logging.WARNING if quiet else logging.INFO}
    if quiet:
        options["log_to_driver"] = False
    if runtime_env:
        options["runtime_env"] = runtime_env
    # The dashboard needs ray[default]; Ray Data's progress bars and stats() tell the same story here.
    with _without_level_note() if quiet else nullcontext():
        ray.init(num_cpus=num_cpus or os.cpu_count() or 1, include_dashboard=False, **options)
    quiet_ray_logs(quiet)  # ray.init configures its loggers again
    return ray


@contextmanager
def ray_runtime(
    address: str | None = None,
    *,
    num_cpus: int | None = None,
    runtime_env: dict | None = None,
    quiet: bool = True,
) -> Iterator[Any]:
    """Yield the ``ray`` module with a runtime up: joined, started locally, or already running.

    Args:
        address: A Ray cluster address (``ray://host:10001`` or ``host:6379``); default ``$RAY_ADDRESS``;
            with neither, Ray starts locally and is shut down when the block ends.
        num_cpus: Logical CPUs of a local runtime (default: the machine's cores).
        runtime_env: Passed to ``ray.init`` (on a cluster, e.g. ``{"pip": ["rerankkit[scale]"]}``).
        quiet: Hide Ray's execution plans and set-up notes; progress bars and warnings stay.
    """
    ray = import_ray()
    quiet_ray_logs(quiet)
    if ray.is_initialized():
        yield ray
        return
    target = cluster_address(address)
    if target:
        common: dict[str, Any] = {"logging_level": logging.WARNING if quiet else logging.INFO}
        if runtime_env:
            common["runtime_env"] = runtime_env
        ray.init(address=target, **common)
        quiet_ray_logs(quiet)  # ray.init configures its loggers again
    else:
        start_local(num_cpus, quiet=quiet, runtime_env=runtime_env)
    try:
        yield ray
    finally:
        ray.shutdown()
