"""The live service: both APIs, health, info, metrics, scores equal to rr.score, bad input, overload, a client.

All traffic goes to 127.0.0.1. The service is started once for the folder (conftest.py).
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

import rerankkit
from rerankkit.score_scale import sigmoid
from rerankkit.serve.client import AsyncRerankClient, RerankClient, RerankServiceError

httpx = pytest.importorskip("httpx")

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("serial")]

QUERY = "what is panda?"
DOCS = ["hi", "The giant panda (Ailuropoda melanoleuca) is a bear species endemic to China.",
        "Pandas eat bamboo.", "Paris is the capital of France.", "bear " * 50]


def test_health_info_and_openapi_describe_the_service(service):
    assert httpx.get(f"{service.url}/health").json() == {"status": "ok", "model": "tiny-random"}
    info = httpx.get(f"{service.url}/info").json()
    assert info["model"] == "tiny-random" and info["random_weights"] is True
    assert info["dtype"] == "fp32" and info["backend"] == "torch" and info["backend_reason"]
    assert info["max_length"] == 512 and info["version"] == rerankkit.__version__
    assert set(info["scores"]) == {"/rerank", "/v1/rerank"} and "sigmoid" in info["scores"]["/rerank"]
    assert info["limits"] == {"max_documents": 64, "max_chars": 2000, "max_request_tokens": 8000}
    schema = httpx.get(f"{service.url}/openapi.json").json()
    tei = schema["components"]["schemas"]["TEIRerankRequest"]["properties"]
    assert tei["texts"]["maxItems"] == 64 and tei["texts"]["items"]["maxLength"] == 2000
    assert {"413", "422", "503"} <= set(schema["paths"]["/v1/rerank"]["post"]["responses"])


def test_scores_over_http_equal_rr_score(service, tiny):
    logits = tiny.score(QUERY, DOCS)
    tei = httpx.post(f"{service.url}/rerank", json={"query": QUERY, "texts": DOCS, "raw_scores": True}).json()
    assert [row["index"] for row in tei] == list(np.argsort(-logits, kind="stable"))
    got = np.array([row["score"] for row in sorted(tei, key=lambda r: r["index"])])
    np.testing.assert_allclose(got, logits, rtol=1e-5, atol=1e-5)
    tei_sigmoid = httpx.post(f"{service.url}/rerank", json={"query": QUERY, "texts": DOCS, "return_text": True}).json()
    assert all(DOCS[row["index"]] == row["text"] for row in tei_sigmoid)
    np.testing.assert_allclose([row["score"] for row in sorted(tei_sigmoid, key=lambda r: r["index"])],
                               sigmoid(logits), rtol=1e-5, atol=1e-6)
    cohere = httpx.post(f"{service.url}/v1/rerank", json={
        "model": "rerank-english-v3.0", "query": QUERY, "documents": [DOCS[0], {"text": DOCS[1]}, *DOCS[2:]],
        "top_n": 2, "return_documents": True}).json()
    assert cohere["model"] == "tiny-random" and len(cohere["results"]) == 2 and cohere["usage"]["total_tokens"] > 0
    best = np.argsort(-logits, kind="stable")[:2]
    assert [r["index"] for r in cohere["results"]] == list(best)
    assert [r["document"]["text"] for r in cohere["results"]] == [DOCS[i] for i in best]
    np.testing.assert_allclose([r["relevance_score"] for r in cohere["results"]], sigmoid(logits[best]), atol=1e-6)


@pytest.mark.parametrize(("path", "body", "field", "limit"), [
    ("/rerank", {"query": "", "texts": ["a"]}, "query", 1),
    ("/rerank", {"query": "   ", "texts": ["a"]}, "query", None),
    ("/rerank", {"query": "q", "texts": []}, "texts", 1),
    ("/rerank", {"query": "q", "texts": ["a", 5]}, "texts[1]", None),
    ("/rerank", {"query": "q"}, "texts", None),
    ("/rerank", {"query": "q", "texts": ["a"] * 65}, "texts", 64),
    ("/rerank", {"query": "q", "texts": ["a", "x" * 2001]}, "texts[1]", 2000),
    ("/rerank", {"query": "q", "texts": ["a"], "raw_scores": "yes"}, "raw_scores", None),
    ("/v1/rerank", {"query": "q", "documents": ["a"], "top_n": 0}, "top_n", 1),
    ("/v1/rerank", {"query": "q", "documents": []}, "documents", 1),
    ("/v1/rerank", {"query": 3, "documents": ["a"]}, "query", None),
    ("/v1/rerank", {"query": "q", "documents": [None]}, "documents[0]", None),
    ("/v1/rerank", {"query": "q", "documents": ["a"] * 65}, "documents", 64),
])
def test_bad_input_gets_422_naming_the_field_and_the_limit(service, path, body, field, limit):
    response = httpx.post(f"{service.url}{path}", json=body)
    assert response.status_code == 422, response.text
    error = response.json()
    assert error["error_type"] == "validation" and error["field"] == field and error["limit"] == limit
    assert error["error"].startswith(f"{field}: ")


def test_not_json_gets_422_and_a_long_pair_413_unless_truncated(service):
    response = httpx.post(f"{service.url}/rerank", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422 and response.json()["error_type"] == "validation"
    body = {"query": "q", "texts": ["short", "panda " * 300]}  # over 512 tokens, under 2000 characters
    response = httpx.post(f"{service.url}/rerank", json=body)
    assert response.status_code == 413, response.text
    assert response.json()["field"] == "texts[1]" and response.json()["limit"] == 512
    assert "truncate: true" in response.json()["error"]
    assert httpx.post(f"{service.url}/rerank", json={**body, "truncate": True}).status_code == 200
    # Cohere's API cuts long documents; the token limit per request still holds.
    assert httpx.post(f"{service.url}/v1/rerank", json={"query": "q", "documents": body["texts"]}).status_code == 200
    too_many = httpx.post(f"{service.url}/v1/rerank", json={"query": "q", "documents": ["panda " * 300] * 20})
    assert too_many.status_code == 413 and too_many.json()["limit"] == 8000, too_many.text


def test_metrics_count_requests_pairs_and_batches(service):
    before = httpx.get(f"{service.url}/metrics").text
    httpx.post(f"{service.url}/rerank", json={"query": "q", "texts": ["a", "b", "c"]}).raise_for_status()
    text = httpx.get(f"{service.url}/metrics").text

    def value(metrics: str, name: str) -> float:
        rows = [line for line in metrics.splitlines() if line.startswith(name + " ") or line.startswith(name + "{")]
        return sum(float(line.rsplit(" ", 1)[1]) for line in rows)

    assert value(text, "rerankkit_pairs_total") - value(before, "rerankkit_pairs_total") == 3
    assert value(text, 'rerankkit_requests_total{endpoint="/rerank",status="200"}') >= 1
    for name in ("rerankkit_batch_pairs_bucket", "rerankkit_batch_requests_count", "rerankkit_queue_depth",
                 "rerankkit_request_seconds_bucket"):
        assert name in text


def test_concurrent_clients_are_batched_and_each_gets_its_own_scores(service, tiny):
    # 8 clients at once: a burst arrives in the router's queue before any replica takes it, and the test
    # service queues at most 8 requests (the overload test sends more and gets 503).
    queries = [f"query {i} about pandas" for i in range(8)]
    docs = [[f"doc {i}-{j} " + "bamboo " * (j * 3 + i % 5) for j in range(6)] for i in range(8)]

    async def run():
        async with AsyncRerankClient(service.url, api="tei") as client:
            return await asyncio.gather(*(client.rerank(q, d, raw_scores=True) for q, d in zip(queries, docs)))

    answers = asyncio.run(run())
    for q, d, answer in zip(queries, docs, answers):
        got = np.array([r.score for r in sorted(answer, key=lambda r: r.index)])
        np.testing.assert_allclose(got, tiny.score(q, d), rtol=1e-5, atol=1e-5)
    metrics = httpx.get(f"{service.url}/metrics").text
    merged = [line for line in metrics.splitlines() if line.startswith('rerankkit_batch_requests_bucket{le="1.0"')]
    count = [line for line in metrics.splitlines() if line.startswith("rerankkit_batch_requests_count")]
    # Fewer batches than requests: some batches held several clients' requests.
    assert float(merged[0].rsplit(" ", 1)[1]) < float(count[0].rsplit(" ", 1)[1])


def test_overload_gets_503_with_retry_after_never_a_hang(service):
    # About 4,000 tokens a request: under the test service's 8,000-token limit, so only the queue refuses.
    body = {"query": "q", "texts": ["panda bamboo " * 60] * 32, "truncate": True}

    async def burst():
        async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=200)) as client:
            return await asyncio.gather(*(client.post(f"{service.url}/rerank", json=body) for _ in range(60)))

    responses = asyncio.run(burst())
    codes = [r.status_code for r in responses]
    assert set(codes) <= {200, 503} and codes.count(200) >= 8, codes
    rejected = [r for r in responses if r.status_code == 503]
    assert rejected, "60 concurrent requests against 8 ongoing + 8 queued: some must be refused"
    assert all(int(r.headers["retry-after"]) >= 1 for r in rejected)


def test_rerank_client_speaks_both_apis_and_raises_the_services_error(service, tiny):
    logits = tiny.score(QUERY, DOCS)
    with RerankClient(service.url) as cohere, RerankClient(service.url, api="tei") as tei:
        top = cohere.rerank(QUERY, DOCS, top_n=3, return_documents=True)
        assert [r.index for r in top] == list(np.argsort(-logits, kind="stable")[:3])
        assert [r.text for r in top] == [DOCS[r.index] for r in top]
        raw = tei.rerank(QUERY, DOCS, raw_scores=True)
        np.testing.assert_allclose([r.score for r in sorted(raw, key=lambda r: r.index)], logits, atol=1e-5)
        assert cohere.info()["model"] == "tiny-random"
        with pytest.raises(RerankServiceError, match="documents") as caught:
            cohere.rerank(QUERY, ["x"] * 65)
        assert caught.value.status == 422 and caught.value.field == "documents"
