"""The deployment's own code in Ray Serve's local testing mode: the replica class, its batching and its answers,
in this process, without a Ray runtime or HTTP (the live service is tested in test_service.py)."""

from __future__ import annotations

import numpy as np
import pytest

serve = pytest.importorskip("ray.serve", reason="needs the 'serve' extra: pip install 'rerankkit[serve]'")

from rerankkit.score_scale import sigmoid  # noqa: E402
from rerankkit.serve import Limits, ServeSettings, build_app  # noqa: E402
from rerankkit.serve.schemas import request_models  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("serial")]

LIMITS = Limits(max_documents=8, max_chars=2000, max_request_tokens=2000)


@pytest.fixture(scope="module")
def handle():
    import ray.serve.batching as batching

    # Local testing mode has no replica context, which the batch queue reads only to log a sizing hint.
    patch = pytest.MonkeyPatch()
    patch.setattr(batching._BatchQueue, "_warn_if_max_batch_size_exceeds_max_ongoing_requests", lambda self: None)
    yield serve.run(build_app(ServeSettings(model="tiny-random", limits=LIMITS)), _local_testing_mode=True)
    patch.undo()


def test_both_apis_answer_rr_scores_best_first(handle, tiny):
    models = request_models(LIMITS)
    docs = ["hi", "The giant panda is a bear species.", "bamboo " * 20]
    logits = tiny.score("what is panda?", docs)
    tei = handle.rerank.remote(models.tei(query="what is panda?", texts=docs, raw_scores=True,
                                          return_text=True)).result()
    assert [r.index for r in tei] == list(np.argsort(-logits, kind="stable"))
    np.testing.assert_allclose([r.score for r in sorted(tei, key=lambda r: r.index)], logits, atol=1e-5)
    assert [r.text for r in tei] == [docs[r.index] for r in tei]
    cohere = handle.rerank_v1.remote(models.cohere(query="what is panda?", documents=docs, top_n=2)).result()
    best = np.argsort(-logits, kind="stable")[:2]
    assert [r["index"] for r in cohere["results"]] == list(best)
    np.testing.assert_allclose([r["relevance_score"] for r in cohere["results"]], sigmoid(logits[best]), atol=1e-6)
    assert cohere["usage"]["total_tokens"] > 0 and "document" not in cohere["results"][0]


def test_token_limits_refuse_with_413_naming_field_and_limit(handle):
    models = request_models(LIMITS)
    long_pair = handle.rerank.remote(models.tei(query="q", texts=["short", "panda " * 300])).result()
    assert long_pair.status_code == 413 and b'"field":"texts[1]"' in long_pair.body and b'"limit":512' in long_pair.body
    too_many = handle.rerank_v1.remote(models.cohere(query="q", documents=["panda " * 300] * 5)).result()
    assert too_many.status_code == 413 and b'"limit":2000' in too_many.body


def test_info_health_and_metrics(handle):
    info = handle.info.remote().result()
    assert info["model"] == "tiny-random" and info["random_weights"] and info["limits"] == LIMITS.as_dict()
    assert handle.health.remote().result() == {"status": "ok", "model": "tiny-random"}
    handle.rerank.remote(request_models(LIMITS).tei(query="q", texts=["a", "b"])).result()
    text = handle.metrics.remote().result().body.decode()
    assert 'rerankkit_requests_total{endpoint="/rerank",status="200"}' in text
    assert "rerankkit_batch_requests_count" in text and "rerankkit_request_seconds_bucket" in text
