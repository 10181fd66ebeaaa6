"""Schemathesis against the live service, from the OpenAPI schema it serves: no 5xx, every answer as documented.

Each operation gets a bounded number of generated requests (valid and invalid ones), so the run takes seconds.
The cases come from schemathesis' Hypothesis strategies driven by a plain ``@given``: its pytest plugin
(``schemathesis.pytest.from_fixture``) reads ``item._nodeid``, which pytest 9 no longer has.
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="needs schemathesis (the 'test' extra)")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("serial")]

# Per operation (POST /rerank, POST /v1/rerank, GET /health, /info, /metrics).
MAX_EXAMPLES = 25
OPERATIONS = {"POST /rerank", "POST /v1/rerank", "GET /health", "GET /info", "GET /metrics"}


def fuzz(operation, base_url: str, checked: dict[str, int]):
    """A Hypothesis test of one operation: valid and invalid requests, none answered 5xx or off the schema."""
    label = operation.label
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=cases)
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case):
        response = case.call(base_url=base_url, timeout=30)
        assert response.status_code < 500, f"{label} -> {response.status_code}: {response.text[:500]}"
        case.validate_response(response, checks=[status_code_conformance, content_type_conformance,
                                                 response_schema_conformance])
        checked[label] = checked.get(label, 0) + 1

    return check


def test_no_server_error_and_every_answer_matches_the_schema(service):
    schema = schemathesis.openapi.from_url(f"{service.url}/openapi.json")
    checked: dict[str, int] = {}
    for result in schema.get_all_operations():
        fuzz(result.ok(), service.url, checked)()
    assert OPERATIONS <= set(checked), f"operations fuzzed: {sorted(checked)}"
