"""A small HTTP client for rerank services: this kit's, Text Embeddings Inference, or any Cohere/Jina-shaped API.

It speaks both APIs the service serves, checks each answer and raises :class:`RerankServiceError` with
the service's own message (field and limit) on a refusal. Framework adapters can wrap it; it needs only
``httpx``.

Example (not run here: it needs a running service):
    >>> from rerankkit.serve.client import RerankClient  # doctest: +SKIP
    >>> client = RerankClient("http://127.0.0.1:8000")  # doctest: +SKIP
    >>> client.rerank("capital of France?", ["Paris.", "Berlin."], top_n=1)  # doctest: +SKIP
    [RerankResult(index=0, score=0.93, text=None)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from rerankkit._utils.checks import check_passages, check_positive_int, check_text
from rerankkit._utils.optional import require

__all__ = ["RerankClient", "AsyncRerankClient", "RerankResult", "RerankServiceError"]

Api = Literal["cohere", "tei"]


class RerankServiceError(RuntimeError):
    """The service refused a request or could not answer it: its status, message, and the field at fault."""

    def __init__(self, status: int, message: str, *, field: str | None = None, retry_after: float | None = None):
        super().__init__(f"HTTP {status}: {message}")
        self.status, self.message, self.field, self.retry_after = status, message, field, retry_after


@dataclass(frozen=True)
class RerankResult:
    """One ranked document: its index in the request, its score, and its text when asked for."""

    index: int
    score: float
    text: str | None = None


def _request(api: Api, query: str, documents: Sequence[str], top_n: int | None, return_documents: bool,
             raw_scores: bool, truncate: bool, model: str | None) -> tuple[str, dict[str, Any]]:
    check_text(query, "query")
    documents = check_passages(documents, "documents")
    check_positive_int(top_n, "top_n", allow_none=True)
    if api == "tei":
        return "/rerank", {"query": query, "texts": documents, "raw_scores": raw_scores,
                           "return_text": return_documents, "truncate": truncate}
    if api != "cohere":
        raise ValueError(f"api must be 'cohere' or 'tei', got {api!r}")
    if raw_scores:
        raise ValueError("raw_scores is a Text Embeddings Inference option: pass api='tei' for raw logits")
    body: dict[str, Any] = {"query": query, "documents": documents, "return_documents": return_documents}
    if top_n is not None:
        body["top_n"] = top_n
    if model is not None:
        body["model"] = model
    return "/v1/rerank", body


def _parse(api: Api, response: Any, n_docs: int, top_n: int | None) -> list[RerankResult]:
    if response.status_code >= 400:
        try:
            body = response.json()
            message = body.get("error") or body.get("message") or body.get("detail") or response.text
            field = body.get("field")
        except ValueError:
            message, field = response.text.strip() or response.reason_phrase, None
        retry = response.headers.get("retry-after")
        raise RerankServiceError(response.status_code, str(message), field=field,
                                 retry_after=float(retry) if retry and retry.isdigit() else None)
    payload = response.json()
    rows = payload if api == "tei" else payload["results"]
    results = []
    for row in rows:
        index = int(row["index"])
        if not 0 <= index < n_docs:
            raise RerankServiceError(response.status_code, f"the service answered index {index} for "
                                     f"{n_docs} documents: it is not a rerank service of this API")
        text = row.get("text") if api == "tei" else (row.get("document") or {}).get("text")
        score = row["score"] if api == "tei" else row["relevance_score"]
        results.append(RerankResult(index=index, score=float(score), text=text))
    results.sort(key=lambda r: -r.score)
    return results[:top_n] if top_n is not None else results


class RerankClient:
    """Call a rerank service over HTTP (synchronous).

    Args:
        url: The service's base URL, e.g. ``http://127.0.0.1:8000``.
        api: ``"cohere"`` (``POST /v1/rerank``, sigmoid scores) or ``"tei"`` (``POST /rerank``).
        timeout: Seconds per request.
        headers: Extra headers (e.g. an ``Authorization`` for a hosted API).
        model: Model name sent with Cohere-shaped requests (hosted APIs need one; this kit's service ignores it).
    """

    def __init__(self, url: str, *, api: Api = "cohere", timeout: float = 60.0,
                 headers: dict[str, str] | None = None, model: str | None = None) -> None:
        httpx = require("httpx", feature="The rerank client (rerankkit.serve.client)")
        self.url, self.api, self.model = url.rstrip("/"), api, model
        self._http = httpx.Client(base_url=self.url, timeout=timeout, headers=headers)

    def rerank(self, query: str, documents: Sequence[str], *, top_n: int | None = None,
               return_documents: bool = False, raw_scores: bool = False, truncate: bool = True) -> list[RerankResult]:
        """Rank ``documents`` for ``query``, best first (at most ``top_n``)."""
        path, body = _request(self.api, query, documents, top_n, return_documents, raw_scores, truncate, self.model)
        return _parse(self.api, self._http.post(path, json=body), len(body.get("texts", body.get("documents", []))),
                      top_n)

    def info(self) -> dict[str, Any]:
        """The service's ``GET /info``: model, dtype, backend, max_length, limits, which score each API returns."""
        response = self._http.get("/info")
        response.raise_for_status()
        return response.json()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RerankClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncRerankClient:
    """The same client for asyncio code (and for frameworks' async rerank calls)."""

    def __init__(self, url: str, *, api: Api = "cohere", timeout: float = 60.0,
                 headers: dict[str, str] | None = None, model: str | None = None, max_connections: int = 100) -> None:
        httpx = require("httpx", feature="The rerank client (rerankkit.serve.client)")
        self.url, self.api, self.model = url.rstrip("/"), api, model
        self._http = httpx.AsyncClient(base_url=self.url, timeout=timeout, headers=headers,
                                       limits=httpx.Limits(max_connections=max_connections))

    async def rerank(self, query: str, documents: Sequence[str], *, top_n: int | None = None,
                     return_documents: bool = False, raw_scores: bool = False,
                     truncate: bool = True) -> list[RerankResult]:
        """Rank ``documents`` for ``query``, best first (at most ``top_n``)."""
        path, body = _request(self.api, query, documents, top_n, return_documents, raw_scores, truncate, self.model)
        response = await self._http.post(path, json=body)
        return _parse(self.api, response, len(body.get("texts", body.get("documents", []))), top_n)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncRerankClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
