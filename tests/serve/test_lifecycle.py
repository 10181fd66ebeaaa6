"""Failure and shutdown under load: a replica killed with SIGKILL, and SIGTERM to `rerankkit serve`.

Every request carries its own query and documents, so a mixed-up answer would show: each one either
gets exactly its own scores or fails with an HTTP error; none gets another request's scores.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time

import numpy as np
import pytest

httpx = pytest.importorskip("httpx")

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("serial")]

WORDS = "panda bamboo bear forest China river tea capital city mountain".split()


def make_request(worker: int, k: int) -> tuple[str, list[str]]:
    rng = np.random.default_rng(worker * 1000 + k)
    query = f"worker {worker} request {k}: " + " ".join(rng.choice(WORDS, size=4))
    docs = [" ".join(rng.choice(WORDS, size=int(rng.integers(3, 40)))) for _ in range(int(rng.integers(3, 12)))]
    return query, docs


def check_answer(tiny, query: str, docs: list[str], response) -> bool:
    """True for a correct 200, False for a clear failure; fails the test on a wrong or mixed-up answer."""
    if isinstance(response, Exception):  # the connection broke: the client knows it failed
        assert isinstance(response, httpx.HTTPError), repr(response)
        return False
    if response.status_code != 200:
        assert response.status_code in {408, 500, 502, 503, 504}, (response.status_code, response.text)
        assert response.text.strip(), "an error must say something"
        return False
    rows = response.json()
    assert sorted(row["index"] for row in rows) == list(range(len(docs)))
    got = np.array([row["score"] for row in sorted(rows, key=lambda r: r["index"])])
    np.testing.assert_allclose(got, tiny.score(query, docs), rtol=1e-5, atol=1e-5)
    return True


def test_a_replica_killed_under_load_gives_no_wrong_answer_and_the_service_recovers(service, tiny):
    pid = httpx.get(f"{service.url}/info").json()["replica"]["pid"]
    sent: list[tuple[str, list[str], object, float]] = []
    killed_at: list[float] = []

    async def worker(client, w: int, stop: asyncio.Event):
        k = 0
        while not stop.is_set():
            query, docs = make_request(w, k)
            k += 1
            try:
                response = await client.post(f"{service.url}/rerank", json={"query": query, "texts": docs,
                                                                              "raw_scores": True})
            except httpx.HTTPError as exc:
                response = exc
            sent.append((query, docs, response, time.monotonic()))
            if not isinstance(response, Exception) and response.status_code != 200:
                await asyncio.sleep(0.2)  # a refused client backs off, as Retry-After asks

    async def run():
        stop = asyncio.Event()
        async with httpx.AsyncClient(timeout=60) as client:
            tasks = [asyncio.create_task(worker(client, w, stop)) for w in range(6)]
            await asyncio.sleep(1.5)
            os.kill(pid, signal.SIGKILL)
            killed_at.append(time.monotonic())
            deadline = time.monotonic() + 120
            recovered = None
            while time.monotonic() < deadline:
                await asyncio.sleep(0.5)
                try:
                    info = (await client.get(f"{service.url}/info", timeout=5)).json()
                    if info["replica"]["pid"] != pid:
                        recovered = time.monotonic()
                        break
                except (httpx.HTTPError, ValueError, KeyError):
                    continue
            await asyncio.sleep(1.0)  # load on the new replica
            stop.set()
            await asyncio.gather(*tasks)
            return recovered

    recovered = asyncio.run(run())
    assert recovered is not None, "no new replica answered within 120 s of the kill"
    outcomes = [check_answer(tiny, q, d, r) for q, d, r, _ in sent]
    after = [ok for (_, _, _, t), ok in zip(sent, outcomes) if t > recovered]
    assert sum(outcomes) >= 6 and any(after), "requests succeed before the kill and again after recovery"
    assert httpx.get(f"{service.url}/health").status_code == 200


@pytest.mark.stops_service
def test_sigterm_lets_accepted_requests_finish(service, tiny):
    requests = [make_request(99, k) for k in range(8)]  # max_ongoing_requests of the test service
    # Long enough to be in flight at the signal, within the test service's 64 documents per request.
    requests = [(q, (docs * 10)[:60]) for q, docs in requests]

    async def run():
        async with httpx.AsyncClient(timeout=120) as client:
            tasks = [asyncio.create_task(client.post(f"{service.url}/rerank",
                                                     json={"query": q, "texts": d, "raw_scores": True}))
                     for q, d in requests]
            await asyncio.sleep(0.3)  # all eight are sent and held by the replica
            service.process.send_signal(signal.SIGTERM)
            return await asyncio.gather(*tasks, return_exceptions=True)

    try:
        responses = asyncio.run(run())
        returncode = service.process.wait(timeout=90)
    finally:
        service.stop()  # whatever happened, the next test starts a fresh service, not one still shutting down
    assert [check_answer(tiny, q, d, r) for (q, d), r in zip(requests, responses)] == [True] * 8
    assert returncode == 0
    assert "Stopped." in service.log.read_text()
