"""Start the service on Ray Serve and stop it again: here on 127.0.0.1, or on the cluster ``RAY_ADDRESS`` names.

Example (not run here: it starts Ray):
    >>> from rerankkit.serve import ServeSettings, start  # doctest: +SKIP
    >>> with start(ServeSettings(model="tiny-random"), port=8000) as service:  # doctest: +SKIP
    ...     print(service.url)
    http://127.0.0.1:8000
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from typing import Any

from rerankkit._utils.optional import require
from rerankkit.serve.app import APP_NAME, FEATURE, ServeSettings, build_app

__all__ = ["Service", "start", "cluster_address", "quiet_serve_logs"]

# Ray's own loggers in this process; the replicas' lines go to Ray's log files, not to this terminal.
_RAY_LOGGERS = ("ray", "ray.serve", "ray.data")
# A note on every start that local token authentication is on: nothing for the user to do.
_SETUP_NOTE = "ray._private.authentication.authentication_token_setup"


def cluster_address(address: str | None = None) -> str | None:
    """The Ray cluster to deploy on: ``address``, else ``$RAY_ADDRESS``, else None (Ray starts here).

    Example:
        >>> cluster_address("ray://head:10001")
        'ray://head:10001'
    """
    return address or os.environ.get("RAY_ADDRESS") or None


def quiet_serve_logs(quiet: bool = True) -> None:
    """Hide Ray's and Ray Serve's info lines in this process (warnings and errors stay)."""
    for name in _RAY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING if quiet else logging.INFO)
    logging.getLogger(_SETUP_NOTE).setLevel(logging.ERROR if quiet else logging.INFO)


@dataclass
class Service:
    """A running service: its URL, and how to stop it (``with`` stops it too).

    Attributes:
        url: Where it answers, e.g. ``http://127.0.0.1:8000``.
        started_ray: Whether :func:`start` started Ray (then :meth:`shutdown` stops it too).
        start_seconds: Wall time from the call to the first healthy answer.
    """

    url: str
    started_ray: bool
    start_seconds: float
    _stopped: bool = False

    def shutdown(self) -> None:
        """Stop taking requests, let the accepted ones finish, then stop Serve (and Ray, if it was started here)."""
        if self._stopped:
            return
        self._stopped = True
        ray = require("ray", feature=FEATURE)
        serve = require("ray.serve", feature=FEATURE)
        if ray.is_initialized():
            serve.delete(APP_NAME)  # replicas drain: ongoing requests finish (graceful_shutdown_timeout_s)
            if self.started_ray:
                serve.shutdown()
                ray.shutdown()

    def __enter__(self) -> Service:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()


def _wait_healthy(url: str, timeout_s: float) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"{url}/health", timeout=5)
            if response.status_code == 200:
                return
            last = f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            last = type(exc).__name__
        time.sleep(0.2)
    raise TimeoutError(f"the service at {url} did not answer /health within {timeout_s:.0f} s ({last}); "
                       "Ray's logs are under /tmp/ray/session_latest/logs/serve/")


def start(
    settings: ServeSettings | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    replicas: int = 1,
    autoscaling: dict[str, Any] | None = None,
    cpus_per_replica: float | None = None,
    gpus_per_replica: float = 0.0,
    address: str | None = None,
    request_timeout_s: float = 120.0,
    quiet: bool = True,
    timeout_s: float = 600.0,
) -> Service:
    """Deploy the reranking service on Ray Serve and wait until it answers ``GET /health``.

    With no ``address`` and no ``RAY_ADDRESS``, Ray starts in this machine (an embedded runtime, no
    dashboard) and the HTTP proxy listens on ``host`` (default 127.0.0.1: this machine only). With an
    address, the same application is deployed on that cluster.

    Args:
        settings: Model, limits, batching and queue bounds (default: the default model, default limits).
        host: Interface of the HTTP proxy; ``0.0.0.0`` to be reachable from other machines.
        port: Port of the HTTP proxy.
        replicas: Replicas of the model (each loads it once); ignored with ``autoscaling``.
        autoscaling: Ray Serve autoscaling, e.g. ``{"min_replicas": 1, "max_replicas": 4,
            "target_ongoing_requests": 8}``.
        cpus_per_replica: Logical CPUs per replica (default: this machine's cores shared by the replicas
            when Ray starts here, 1 on a cluster).
        gpus_per_replica: GPUs per replica (0: CPU only; with ``device="auto"`` a replica with a GPU uses it).
        address: Ray cluster address (default ``$RAY_ADDRESS``; none: start Ray here).
        request_timeout_s: A request still unanswered after this long gets 408.
        quiet: Keep Ray's and Serve's info lines (and access logs) off this terminal.
        timeout_s: Most seconds to wait for the model to load and the service to answer.
    """
    ray = require("ray", feature=FEATURE)
    serve = require("ray.serve", feature=FEATURE)
    from ray.serve.config import HTTPOptions
    from ray.serve.schema import LoggingConfig

    settings = settings or ServeSettings()
    started = time.perf_counter()
    quiet_serve_logs(quiet)
    target = cluster_address(address)
    started_ray = False
    if not ray.is_initialized():
        common: dict[str, Any] = {"logging_level": logging.WARNING if quiet else logging.INFO,
                                  "log_to_driver": not quiet}
        if target:
            ray.init(address=target, **common)
        else:
            ray.init(address="local", num_cpus=os.cpu_count() or 1, include_dashboard=False, **common)
            started_ray = True
        quiet_serve_logs(quiet)  # ray.init configures its loggers again
    if cpus_per_replica is None:
        count = (autoscaling or {}).get("max_replicas", replicas)
        cpus_per_replica = max(1, (os.cpu_count() or 1) // max(1, count)) if started_ray else 1
    logging_config = LoggingConfig(log_level="WARNING" if quiet else "INFO", enable_access_log=not quiet)
    serve.start(http_options=HTTPOptions(host=host, port=port, request_timeout_s=request_timeout_s),
                logging_config=logging_config)
    app = build_app(settings, num_replicas=replicas, autoscaling=autoscaling, cpus_per_replica=cpus_per_replica,
                    gpus_per_replica=gpus_per_replica)
    try:
        serve.run(app, name=APP_NAME, route_prefix="/", logging_config=logging_config)
        url = f"http://{'127.0.0.1' if host in {'0.0.0.0', '::'} else host}:{port}"
        _wait_healthy(url, timeout_s)
    except BaseException:
        if started_ray:
            serve.shutdown()
            ray.shutdown()
        raise
    return Service(url=url, started_ray=started_ray, start_seconds=time.perf_counter() - started)
