"""Context packing: the budget, near-duplicates, citations, the order, the prompt; token counting."""

from __future__ import annotations

import pytest

from rerankkit.rag.chunks import chunk_documents
from rerankkit.rag.context import approximate_tokens, near_duplicate, pack_context, token_counter

RANKED = [("a#0", "Paris is the capital and largest city of France.", 3.0),
          ("b#0", "Berlin is the capital of Germany.", 2.0),
          ("c#0", "Paris is the capital and largest city of France!", 1.5),  # a near-duplicate of a#0
          ("d#0", "Madrid is the capital of Spain, in the centre of the country.", 1.0),
          ("e#0", "Rome.", 0.5)]


def test_budget_is_never_exceeded_and_a_shorter_chunk_still_fits():
    count = token_counter(None)
    budget = count(RANKED[0][1]) + count(RANKED[1][1]) + count("Rome.")
    ctx = pack_context(RANKED, budget=budget)
    assert ctx.n_tokens == sum(c.n_tokens for c in ctx.chunks) <= budget
    assert ctx.chunk_ids == ["a#0", "b#0", "e#0"]  # d#0 does not fit; the short e#0 after it does
    assert ctx.dropped_duplicates == ["c#0"] and ctx.dropped_over_budget == ["d#0"]


def test_dedupe_can_be_switched_off_and_top_n_caps_the_count():
    ctx = pack_context(RANKED, budget=1000, dedupe_threshold=None)
    assert "c#0" in ctx.chunk_ids and len(ctx.chunks) == 5
    assert pack_context(RANKED, budget=1000, top_n=2).chunk_ids == ["a#0", "b#0"]


def test_best_at_both_ends_order():
    ranked = [(f"x{i}#0", f"passage number {i} " + "word " * i, 10.0 - i) for i in range(1, 6)]
    ctx = pack_context(ranked, budget=1000, order="ends")
    assert [c.rank for c in ctx.chunks] == [1, 3, 5, 4, 2]
    assert [c.number for c in ctx.chunks] == [1, 2, 3, 4, 5]


def test_citations_and_prompt_carry_each_chunk(tiny):
    chunks = chunk_documents({"doc-1": "The giant panda lives in the mountains of central China."}, tiny.tokenizer)
    ctx = pack_context(chunks, budget=500, tokenizer=tiny.tokenizer)
    assert ctx.chunks[0].citation == "doc-1, characters 0-56"
    messages = ctx.messages("Where do pandas live?")
    assert messages[0]["role"] == "system" and "[1] (doc-1, characters 0-56)" in messages[1]["content"]
    assert messages[1]["content"].endswith("Question: Where do pandas live?")
    with pytest.raises(ValueError, match="question is empty"):
        ctx.messages(" ")


def test_token_counters(tiny):
    hf = token_counter(tiny.tokenizer)
    assert hf("hello world") == len(tiny.tokenizer("hello world", add_special_tokens=False)["input_ids"])
    assert token_counter(len)("abc") == 3
    assert approximate_tokens("大熊猫") == 3 and approximate_tokens("a b c") == 4
    with pytest.raises(TypeError, match="tokenizer must be"):
        token_counter(42)


@pytest.mark.parametrize(("kwargs", "match"), [({"budget": 0}, "budget"), ({"budget": 10, "order": "middle"}, "order"),
                                               ({"budget": 10, "top_n": 0}, "top_n")])
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        pack_context(RANKED, **kwargs)


def test_near_duplicate_is_symmetric_and_thresholded():
    a, b = RANKED[0][1], RANKED[2][1]
    assert near_duplicate(a, b) and near_duplicate(b, a)
    assert not near_duplicate(a, RANKED[1][1])
    assert not near_duplicate(a, b, threshold=1.01)
