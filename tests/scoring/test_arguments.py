"""Every per-call argument is checked: a bad value raises TypeError or ValueError naming it, never NaN or a torch error."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

QUERY = "what is panda?"
PASSAGES = ["hi", "The giant panda is a bear species endemic to China."]


@pytest.mark.parametrize("method", ["score", "rerank"])
@pytest.mark.parametrize("batch_size", [-3, 0, 2.5, "8", True])
def test_bad_batch_size_is_named(tiny, method, batch_size):
    with pytest.raises(ValueError, match=rf"batch_size must be a positive int, got {batch_size!r}"):
        getattr(tiny, method)(QUERY, PASSAGES, batch_size=batch_size)


def test_bad_batch_size_in_forward(tiny):
    ids = tiny.encode([(QUERY, p) for p in PASSAGES]).input_ids
    with pytest.raises(ValueError, match="batch_size must be a positive int, got -3"):
        tiny.forward(ids, batch_size=-3)


@pytest.mark.parametrize("kwargs, match", [
    ({"normalize": "yes"}, "normalize must be True or False, got 'yes'"),
    ({"show_progress": 3}, "show_progress must be True, False or None, got 3"),
])
def test_bad_flags_are_named(tiny, kwargs, match):
    with pytest.raises(TypeError, match=match):
        tiny.score(QUERY, PASSAGES, **kwargs)


def test_batch_size_none_is_the_rerankers_own(tiny):
    np.testing.assert_allclose(
        tiny.score(QUERY, PASSAGES, batch_size=None), tiny.score(QUERY, PASSAGES, batch_size=1), atol=1e-5
    )


_text = st.one_of(st.text(max_size=40), st.none(), st.integers(), st.just(""), st.just("   "))
_passages = st.one_of(st.lists(_text, max_size=4), _text, st.tuples(_text, _text), st.just([]))
_batch = st.one_of(st.none(), st.integers(-3, 5), st.floats(allow_nan=True), st.text(max_size=3))
_max_length = st.one_of(st.none(), st.integers(-5, 600), st.floats(allow_nan=False, max_value=1e3))


def _names_argument(exc: Exception) -> bool:
    names = ("query", "passage", "pairs", "batch_size", "max_length", "top_k", "threshold", "normalize")
    return any(name in str(exc) for name in names)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=_text, passages=_passages, batch_size=_batch, max_length=_max_length)
def test_score_either_names_the_argument_or_returns_finite_scores(tiny, query, passages, batch_size, max_length):
    try:
        result = tiny.score(query, passages, batch_size=batch_size, max_length=max_length)
    except (TypeError, ValueError) as exc:
        assert _names_argument(exc), f"error does not name the argument: {exc}"
        return
    values = np.atleast_1d(np.asarray(result, dtype=float))
    expected = 1 if isinstance(passages, str) else len(passages)
    assert values.shape == (expected,) and np.isfinite(values).all()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=_text, passages=_passages, batch_size=_batch, top_k=st.one_of(st.none(), st.integers(-2, 5)),
       threshold=st.one_of(st.none(), st.floats(-1, 2), st.sampled_from(["strict", "balanced", "nope"])))
def test_rerank_either_names_the_argument_or_ranks_every_passage(tiny, query, passages, batch_size, top_k, threshold):
    try:
        ranking = tiny.rerank(query, passages, batch_size=batch_size, top_k=top_k, threshold=threshold)
    except (TypeError, ValueError) as exc:
        assert _names_argument(exc), f"error does not name the argument: {exc}"
        return
    n = len(passages)
    assert len(ranking) == (min(top_k, n) if top_k else n)
    assert all(math.isfinite(row.logit) and 0 <= row.score <= 1 for row in ranking)
    assert [row.rank for row in ranking] == list(range(1, len(ranking) + 1))
