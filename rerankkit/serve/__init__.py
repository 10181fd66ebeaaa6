"""A reranking service on Ray Serve that speaks the rerank APIs clients already use.

``POST /rerank`` (Hugging Face Text Embeddings Inference), ``POST /v1/rerank`` (Cohere / Jina),
``GET /health``, ``GET /info``, ``GET /metrics`` (Prometheus); the OpenAPI schema at ``/openapi.json``.
Start it with ``rerankkit serve`` or :func:`start`; call it with any TEI or Cohere client, or with
:class:`~rerankkit.serve.client.RerankClient`. Needs ``pip install "rerankkit[serve]"``.
"""

from __future__ import annotations

import importlib
from typing import Any

# Where each public name lives: imported on first use, so `rerankkit --help` works without the serve extra.
_HOMES = {
    "ServeSettings": "app", "build_app": "app", "SCORES": "app",
    "RerankClient": "client", "AsyncRerankClient": "client", "RerankResult": "client", "RerankServiceError": "client",
    "Job": "engine", "Scored": "engine", "ServeError": "engine", "score_jobs": "engine",
    "Limits": "schemas", "Service": "service", "start": "service",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'rerankkit.serve' has no attribute {name!r}")
    return getattr(importlib.import_module(f"rerankkit.serve.{_HOMES[name]}"), name)


__all__ = [
    "ServeSettings",
    "Limits",
    "build_app",
    "start",
    "Service",
    "SCORES",
    "RerankClient",
    "AsyncRerankClient",
    "RerankResult",
    "RerankServiceError",
    "Job",
    "Scored",
    "ServeError",
    "score_jobs",
]
