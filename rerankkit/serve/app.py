"""The Ray Serve application: a FastAPI ingress in front of one reranker per replica.

Each replica loads the model once (it answers ``GET /health`` only after that), gathers the requests of
many clients with ``@serve.batch`` and scores them in one pass (:func:`rerankkit.serve.engine.score_jobs`),
so pairs of different requests share forward passes, sorted by length and cut by the reranker's token
budget. Ray Serve bounds the queue: past ``max_ongoing_requests`` per replica and ``max_queued_requests``
waiting, a request gets 503 with ``Retry-After`` at once instead of waiting without end.

Build the application with :func:`build_app` and run it with :func:`rerankkit.serve.start` (or
``rerankkit serve``).
"""

# No `from __future__ import annotations`: FastAPI reads the request models from the endpoints' annotations,
# and those models are built in build_app, where only real objects (not strings) can name them.

import asyncio
import os
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rerankkit._utils.environment import installed_version
from rerankkit._utils.optional import require
from rerankkit.score_scale import sigmoid
from rerankkit.serve.engine import Job, Scored, score_jobs
from rerankkit.serve.metrics import CONTENT_TYPE, ServiceMetrics
from rerankkit.serve.schemas import (
    CohereResponse,
    ErrorBody,
    Health,
    Limits,
    TEIRank,
    TextDocument,
    error_body,
    request_models,
)

__all__ = ["ServeSettings", "build_app", "SCORES", "APP_NAME"]

APP_NAME = "rerankkit"
# The installed rerankkit (the package facade is not imported from inside the library).
VERSION = installed_version("rerankkit") or "unknown"
FEATURE = "The reranking service (rerankkit.serve)"

# Which score each endpoint returns, as the API it imitates does (also in GET /info).
SCORES = {
    "/rerank": "sigmoid of the model's logit, in [0, 1] (as Text Embeddings Inference); the raw logit with "
               "raw_scores: true",
    "/v1/rerank": "relevance_score: sigmoid of the model's logit, in [0, 1] (as Cohere and Jina)",
}


@dataclass(frozen=True)
class ServeSettings:
    """What the service loads and how it batches and bounds its work.

    Attributes:
        model: What :func:`rerankkit.load` takes (hub id, folder, ``tiny-random``, ``random:<hub id>``);
            default ``$RERANKKIT_MODEL`` or bge-reranker-v2-m3.
        load_options: Other :func:`rerankkit.load` keywords (``dtype``, ``max_length``, ``batch_size``,
            ``max_batch_tokens``, ``instruction``, ``revision``, ``trust_remote_code``, ...).
        limits: What one request may hold.
        max_batch_requests: Requests merged into one model batch at most.
        batch_wait_ms: How long a batch waits for more requests once the first has come.
        max_ongoing_requests: Requests one replica holds at once (in a batch or waiting for one).
        max_queued_requests: Requests waiting for a replica; past it, 503 with Retry-After.
        retry_after_s: The Retry-After sent with that 503.
        threads: Torch threads per replica (default: the CPUs Ray gives the replica).
    """

    model: str | None = None
    load_options: dict[str, Any] = field(default_factory=dict)
    limits: Limits = Limits()
    max_batch_requests: int = 16
    batch_wait_ms: float = 2.0
    max_ongoing_requests: int = 32
    max_queued_requests: int = 64
    retry_after_s: float = 1.0
    threads: int | None = None


def _error(status: int, body: dict, headers: dict[str, str] | None = None) -> Any:
    from fastapi.responses import JSONResponse

    return JSONResponse(status_code=status, content=ErrorBody(**body).model_dump(), headers=headers)


def _responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    text = {413: "Over a token limit (the body names the field and the limit)",
            422: "Invalid request: a field is missing, empty, of the wrong type or over a limit (named in the body)",
            503: "Overloaded or restarting: try again after Retry-After seconds"}
    return {code: {"model": ErrorBody, "description": text[code]} for code in codes}


def build_app(settings: ServeSettings, *, num_replicas: int | None = 1, autoscaling: dict | None = None,
              cpus_per_replica: float = 1.0, gpus_per_replica: float = 0.0) -> Any:
    """The Ray Serve application (bound deployment) for ``settings``.

    Args:
        settings: Model, limits, batching and queue bounds.
        num_replicas: Replicas to run (ignored with ``autoscaling``).
        autoscaling: Ray Serve autoscaling config, e.g. ``{"min_replicas": 1, "max_replicas": 4,
            "target_ongoing_requests": 8}``.
        cpus_per_replica: Logical CPUs Ray reserves for each replica.
        gpus_per_replica: GPUs Ray reserves for each replica (0.5 puts two replicas on a GPU); with
            ``device="auto"`` (the default) a replica with a GPU runs on it.
    """
    serve = require("ray.serve", feature=FEATURE)
    fastapi = require("fastapi", feature=FEATURE)
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import Response
    from ray.serve.config import BackpressureConfig
    from starlette.exceptions import HTTPException as StarletteHTTPException

    limits = settings.limits
    models = request_models(limits)
    TEIRequest, CohereRequest = models.tei, models.cohere
    api = fastapi.FastAPI(
        title="rerankkit reranking service",
        version=VERSION,
        description=(
            "Scores query-document pairs with one cross-encoder reranker. `POST /rerank` speaks the Hugging Face "
            "Text Embeddings Inference API, `POST /v1/rerank` the Cohere/Jina rerank API. Limits per request: "
            f"{limits.max_documents} documents, {limits.max_chars} characters per text, "
            f"{limits.max_request_tokens} tokens of all pairs together; pairs longer than the model's max_length "
            "(GET /info) are cut or refused as each API does."),
    )

    @api.exception_handler(RequestValidationError)
    async def _invalid(request, exc):  # FastAPI's 422, with the field and the limit named first
        return _error(422, error_body(exc.errors()))

    @api.exception_handler(StarletteHTTPException)
    async def _http(request, exc):
        # A body FastAPI cannot even decode (bytes that are not UTF-8 JSON) gets its bare 400; answer it as the
        # other unreadable bodies are answered, so the documented codes stay the whole contract.
        if exc.status_code == 400:
            return _error(422, error_body([{"loc": ("body",), "type": "json_invalid",
                                            "msg": f"not valid JSON in UTF-8 ({exc.detail})"}]))
        return _error(exc.status_code, {"error": str(exc.detail), "error_type": "http"}, getattr(exc, "headers", None))

    @serve.deployment(
        name="Reranker",
        max_ongoing_requests=settings.max_ongoing_requests,
        max_queued_requests=settings.max_queued_requests,
        backpressure_config=BackpressureConfig(status_code=503, retry_after_s=settings.retry_after_s),
        graceful_shutdown_wait_loop_s=0.5,
        graceful_shutdown_timeout_s=30,
        health_check_period_s=5,
        ray_actor_options={"num_cpus": cpus_per_replica, **({"num_gpus": gpus_per_replica} if gpus_per_replica else {})},
        **({"autoscaling_config": autoscaling} if autoscaling else {"num_replicas": num_replicas}),
    )
    @serve.ingress(api)
    class RerankService:
        def __init__(self, settings: ServeSettings) -> None:
            import torch

            from rerankkit.scoring import load

            threads = settings.threads or max(1, int(cpus_per_replica))
            torch.set_num_threads(threads)
            self.settings = settings
            self.rr = load(settings.model, **settings.load_options)
            self.rr.forward(self.rr.encode([("warm", "up")]).input_ids, show_progress=False)  # first pass costs more
            self.replica = _replica_id()
            self.stats = ServiceMetrics(replica=self.replica)
            self._batched.set_max_batch_size(settings.max_batch_requests)
            self._batched.set_batch_wait_timeout_s(settings.batch_wait_ms / 1000)
            self.threads = threads

        def check_health(self) -> None:  # Ray Serve restarts a replica whose check raises
            if self.rr is None:
                raise RuntimeError("the reranker is not loaded")

        @serve.batch(max_batch_size=16, batch_wait_timeout_s=0.002)
        async def _batched(self, jobs: list[Job]) -> list[Scored]:
            started = time.perf_counter()
            try:
                results = await asyncio.to_thread(score_jobs, self.rr, jobs, self.settings.limits)
            finally:
                self.stats.batch_seconds.observe(time.perf_counter() - started)
            self.stats.batch_requests.observe(len(jobs))
            self.stats.batch_pairs.observe(sum(job.n_pairs for job in jobs))
            return results

        async def _score(self, endpoint: str, job: Job) -> Scored | Any:
            started = time.perf_counter()
            self.stats.queue_depth.inc()
            try:
                result = await self._batched(job)
            finally:
                self.stats.queue_depth.dec()
                self.stats.latency.labels(endpoint=endpoint).observe(time.perf_counter() - started)
            status = result.error.status if result.error else 200
            self.stats.requests.labels(endpoint=endpoint, status=str(status)).inc()
            if result.error:
                return _error(result.error.status, result.error.body())
            self.stats.pairs.inc(job.n_pairs)
            self.stats.tokens.inc(result.n_tokens)
            return result

        @api.post("/rerank", response_model=list[TEIRank], response_model_exclude_none=True,
                  responses=_responses(413, 422, 503), summary="Rank texts for a query (Text Embeddings Inference)")
        async def rerank(self, request: TEIRequest) -> Any:  # type: ignore[valid-type]
            """Scores every text against the query; answers the texts' indices and scores, best first."""
            body: Any = request  # built from Limits at run time: its fields are not known to the type checker
            job = Job(body.query, list(body.texts), truncate=body.truncate, field="texts")
            result = await self._score("/rerank", job)
            if not isinstance(result, Scored) or result.logits is None:
                return result
            scores = np.asarray(result.logits if body.raw_scores else sigmoid(result.logits))
            order = sorted(range(job.n_pairs), key=lambda i: -scores[i])
            return [TEIRank(index=i, score=float(scores[i]), text=job.texts[i] if body.return_text else None)
                    for i in order]

        @api.post("/v1/rerank", response_model=CohereResponse, response_model_exclude_none=True,
                  responses=_responses(413, 422, 503), summary="Rank documents for a query (Cohere / Jina)")
        async def rerank_v1(self, request: CohereRequest) -> Any:  # type: ignore[valid-type]
            """Scores every document against the query; answers the best top_n with relevance scores."""
            body: Any = request
            texts = [d.text if isinstance(d, TextDocument) else d for d in body.documents]
            job = Job(body.query, texts, truncate=True, field="documents")
            result = await self._score("/v1/rerank", job)
            if not isinstance(result, Scored) or result.logits is None:
                return result
            scores = np.asarray(sigmoid(result.logits))
            order = sorted(range(job.n_pairs), key=lambda i: -scores[i])[: body.top_n]
            rows = [{"index": i, "relevance_score": float(scores[i]),
                     **({"document": {"text": texts[i]}} if body.return_documents else {})} for i in order]
            return {"id": str(uuid.uuid4()), "model": self.rr.info.model_id, "results": rows,
                    "usage": {"total_tokens": result.n_tokens},
                    "meta": {"api_version": {"version": "2"}, "billed_units": {"search_units": 1}}}

        @api.get("/health", response_model=Health, summary="Ready: the model is loaded and answers")
        async def health(self) -> dict:
            return {"status": "ok", "model": self.rr.info.model_id}

        @api.get("/info", summary="The model, how it runs, what each endpoint returns, the limits")
        async def info(self) -> dict:
            info = self.rr.info
            import ray

            return {
                "model": info.model_id, "revision": self.settings.load_options.get("revision"),
                "kind": info.kind, "device": info.device, "dtype": info.dtype, "backend": info.backend,
                "backend_reason": info.backend_reason or f"dtype {info.dtype} runs on {info.backend}",
                "max_length": info.max_length, "model_max_length": info.model_max_length,
                "n_parameters": info.n_parameters, "random_weights": info.random_weights,
                "timing_only": info.timing_only, "instruction": self.rr.instruction,
                "version": VERSION, "ray_version": ray.__version__,
                "scores": SCORES, "limits": limits.as_dict(),
                "batching": {"max_batch_requests": self.settings.max_batch_requests,
                             "batch_wait_ms": self.settings.batch_wait_ms,
                             "pairs_per_forward": self.rr.batch_size, "max_batch_tokens": self.rr.max_batch_tokens,
                             "max_ongoing_requests": self.settings.max_ongoing_requests,
                             "max_queued_requests": self.settings.max_queued_requests},
                "replica": {"id": self.replica, "pid": os.getpid(), "threads": self.threads},
            }

        @api.get("/metrics", summary="Prometheus metrics of the replica that answers",
                 response_class=Response, responses={200: {"content": {CONTENT_TYPE: {}}}})
        async def metrics(self) -> Any:
            return Response(content=self.stats.render(), media_type=CONTENT_TYPE)

    return RerankService.bind(settings)  # type: ignore[attr-defined]


def _replica_id() -> str:
    from ray import serve

    try:
        return str(serve.get_replica_context().replica_id.unique_id)
    except Exception:  # outside a replica (never in the service): the process is the replica
        return f"pid-{os.getpid()}"
