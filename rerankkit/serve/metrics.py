"""The service's Prometheus metrics, one registry per replica (``GET /metrics`` shows the replica that answers).

Example:
    >>> m = ServiceMetrics(replica="r1")
    >>> m.requests.labels(endpoint="/rerank", status="200").inc()
    >>> b"rerankkit_requests_total" in m.render()
    True
"""

from __future__ import annotations

from rerankkit._utils.optional import require

__all__ = ["ServiceMetrics", "CONTENT_TYPE"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Seconds: from about one tiny-model pass to a long batch of the real model on a CPU.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_PAIR_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
_REQUEST_BUCKETS = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64)


class ServiceMetrics:
    """Counters and histograms of one replica: requests, pairs, batch sizes, queue depth, latencies."""

    def __init__(self, replica: str = "") -> None:
        prom = require("prometheus_client", feature="The reranking service (rerankkit.serve)")
        self.registry = prom.CollectorRegistry(auto_describe=True)
        labels = {"replica": replica}
        self.requests = prom.Counter("rerankkit_requests", "Rerank requests answered, by endpoint and status",
                                     ["endpoint", "status"], registry=self.registry)
        self.pairs = prom.Counter("rerankkit_pairs", "Query-document pairs scored", registry=self.registry)
        self.tokens = prom.Counter("rerankkit_tokens", "Tokens of the pairs scored", registry=self.registry)
        self.batch_pairs = prom.Histogram("rerankkit_batch_pairs", "Pairs per model batch (all requests in it)",
                                          buckets=_PAIR_BUCKETS, registry=self.registry)
        self.batch_requests = prom.Histogram("rerankkit_batch_requests", "Requests merged into one model batch",
                                             buckets=_REQUEST_BUCKETS, registry=self.registry)
        self.queue_depth = prom.Gauge("rerankkit_queue_depth", "Requests accepted by this replica and not yet answered",
                                      registry=self.registry)
        self.latency = prom.Histogram("rerankkit_request_seconds", "Time from a request's arrival at the replica to "
                                      "its answer", ["endpoint"], buckets=_LATENCY_BUCKETS, registry=self.registry)
        self.batch_seconds = prom.Histogram("rerankkit_batch_seconds", "Tokenizing and scoring one batch",
                                            buckets=_LATENCY_BUCKETS, registry=self.registry)
        self.info = prom.Info("rerankkit_replica", "The replica and its model", registry=self.registry)
        self.info.info(labels)
        self._prom = prom

    def render(self) -> bytes:
        """The registry in Prometheus' text format."""
        return self._prom.generate_latest(self.registry)
