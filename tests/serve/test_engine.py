"""What the service computes, without Ray or HTTP: request models and their limits, and batched scoring."""

from __future__ import annotations

import numpy as np
import pytest

pydantic = pytest.importorskip("pydantic")

from rerankkit.serve.engine import Job, score_jobs  # noqa: E402
from rerankkit.serve.schemas import Limits, error_body, field_name, request_models  # noqa: E402


def invalid(model, **body) -> dict:
    with pytest.raises(pydantic.ValidationError) as caught:
        model(**body)
    return error_body(caught.value.errors())


def test_limits_are_in_the_json_schema():
    models = request_models(Limits(max_documents=7, max_chars=99))
    tei = models.tei.model_json_schema()["properties"]
    assert tei["texts"]["maxItems"] == 7 and tei["texts"]["minItems"] == 1
    assert tei["texts"]["items"]["maxLength"] == 99 and tei["query"]["maxLength"] == 99
    cohere = models.cohere.model_json_schema()["properties"]
    assert cohere["documents"]["maxItems"] == 7 and cohere["top_n"]["anyOf"][0]["minimum"] == 1


@pytest.mark.parametrize(("body", "field", "limit"), [
    ({"query": "", "documents": ["a"]}, "query", 1),
    ({"query": " \n", "documents": ["a"]}, "query", None),
    ({"query": "q", "documents": []}, "documents", 1),
    ({"query": "q", "documents": ["a", "b", "c"]}, "documents", 2),
    ({"query": "q", "documents": ["a", 1]}, "documents[1]", None),
    ({"query": "q", "documents": ["a", "x" * 11]}, "documents[1]", 10),
    ({"query": "q", "documents": ["a", {"text": ""}]}, "documents[1]", None),
    ({"query": "q", "documents": ["a"], "top_n": 0}, "top_n", 1),
    ({"query": "q", "documents": ["a"], "top_n": 1.5}, "top_n", None),
    ({"query": "q\ud800", "documents": ["a"]}, "query", None),
])
def test_each_bad_field_is_named_with_its_limit(body, field, limit):
    error = invalid(request_models(Limits(max_documents=2, max_chars=10)).cohere, **body)
    assert error["field"] == field and error["limit"] == limit
    assert error["error"].startswith(f"{field}: ") and error["error_type"] == "validation"


def test_documents_may_be_strings_or_objects_and_extra_fields_are_ignored():
    request = request_models(Limits()).cohere(query="q", documents=["a", {"text": "b", "id": 7}], rank_fields=["x"])
    assert [d if isinstance(d, str) else d.text for d in request.documents] == ["a", "b"]


def test_field_name_reads_like_the_request():
    assert field_name(("body", "texts", 3)) == "texts[3]"
    assert field_name(("body",)) == "body"


def test_score_jobs_gives_each_request_its_own_scores(tiny):
    jobs = [Job("what is panda?", ["hi", "The giant panda is a bear.", "bamboo " * 30]),
            Job("capital of France?", ["Paris.", "Berlin."]),
            Job("q", ["one"])]
    results = score_jobs(tiny, jobs, Limits())
    for job, result in zip(jobs, results):
        assert result.error is None and result.n_tokens > 0
        np.testing.assert_allclose(result.logits, tiny.score(job.query, list(job.texts)), rtol=1e-5, atol=1e-5)


def test_score_jobs_refuses_only_the_request_over_a_limit(tiny):
    long = "panda " * 400
    jobs = [Job("q", ["short", long], truncate=False), Job("q", ["short", long], truncate=True),
            Job("q", ["a"] * 30, field="documents")]
    results = score_jobs(tiny, jobs, Limits(max_request_tokens=200))
    first, second, third = results
    assert first.error is not None and first.error.status == 413 and first.error.field == "texts[1]"
    assert first.error.limit == tiny.info.max_length and "truncate: true" in first.error.message
    assert second.error is not None and second.error.field == "texts" and second.error.limit == 200
    assert third.error is None
    np.testing.assert_allclose(third.logits, tiny.score("q", ["a"] * 30), rtol=1e-5, atol=1e-5)


def test_serve_command_options_become_the_services_settings():
    from rerankkit.cli import build_parser
    from rerankkit.serve.command import settings_from_args

    args = build_parser().parse_args(["serve", "--model", "tiny-random:Qwen/Qwen3-Reranker-0.6B", "--dtype", "bf16",
                                      "--instruction", "Find the product page", "--max-documents", "64",
                                      "--max-queued-requests", "4", "--port", "9000", "--replicas", "2"])
    settings = settings_from_args(args)
    assert settings.model == "tiny-random:Qwen/Qwen3-Reranker-0.6B" and settings.max_queued_requests == 4
    assert settings.load_options == {"device": "auto", "dtype": "bf16", "batch_size": 32,
                                     "instruction": "Find the product page"}
    assert settings.limits == Limits(max_documents=64) and (args.port, args.replicas) == (9000, 2)
