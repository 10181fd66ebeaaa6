"""Padding and truncation accounting, checked against what the model is actually fed."""

from __future__ import annotations

import numpy as np
import pytest

from rerankkit.measure.padding import padded_tokens, padding_report, padding_table
from rerankkit.text.truncation import truncation_report

QUERY = "What is the capital of France?"
PASSAGES = [
    "Paris.",
    "Paris is the capital city of France. It is located in the northern part of the country.",
    "Berlin is the capital of Germany.",
    "The Eiffel Tower is located in Paris, France, and it is the most visited monument in the city.",
    "Hi.",
    "Water boils at one hundred degrees Celsius at sea level.",
    "The giant panda (Ailuropoda melanoleuca), sometimes called a panda bear or simply panda, is a bear species.",
]


def test_padded_tokens_by_hand():
    # unsorted batches (2, 9), (3, 8) -> 2*9 + 2*8; sorted (9, 8), (3, 2) -> 2*9 + 2*3
    assert padded_tokens([2, 9, 3, 8], 2, sort=False) == 34
    assert padded_tokens([2, 9, 3, 8], 2, sort=True) == 24
    assert padded_tokens([5], 4, sort=True) == 5


def test_sorting_never_adds_padding_when_batches_are_full():
    # With equal-sized batches a sorted split is optimal. (A short last batch can make a lucky
    # unsorted order win: [1, 1, 10] in batches of 2 pads less unsorted than sorted.)
    rng = np.random.default_rng(0)
    for _ in range(50):
        for size in (1, 2, 5, 16):
            lengths = rng.integers(3, 200, size=size * int(rng.integers(1, 6)))
            unsorted, ordered = padded_tokens(lengths, size, sort=False), padded_tokens(lengths, size, sort=True)
            assert lengths.sum() <= ordered <= unsorted
            assert padded_tokens(lengths, 1, sort=False) == lengths.sum()
            assert padded_tokens(lengths, len(lengths), sort=False) == lengths.max() * len(lengths)


def test_report_counts_what_forward_feeds_the_model(tiny):
    """The length-sorted count equals the token positions Reranker.forward runs through the model."""
    encoded = tiny.encode([(QUERY, p) for p in PASSAGES])
    report = padding_report(tiny, QUERY, PASSAGES, batch_sizes=[1, 3, 8]).set_index(["batch_size", "order"])
    for size in (1, 3, 8):
        shapes: list[tuple[int, int]] = []
        handle = tiny.model.base_model.register_forward_pre_hook(
            lambda module, args, kwargs, shapes=shapes: shapes.append(tuple(kwargs["attention_mask"].shape)),
            with_kwargs=True,
        )
        try:
            tiny.forward(encoded.input_ids, batch_size=size, show_progress=False)
        finally:
            handle.remove()
        processed = sum(rows * width for rows, width in shapes)
        assert report.loc[(size, "length-sorted"), "processed_tokens"] == processed
        assert report.loc[(size, "length-sorted"), "real_tokens"] == encoded.n_tokens.sum()
    assert report.loc[(1, "input order"), "padding_tokens"] == 0
    assert report.loc[(3, "length-sorted"), "padding_tokens"] < report.loc[(3, "input order"), "padding_tokens"]
    assert ((report.padding_share >= 0) & (report.padding_share < 1)).all()


def test_report_respects_max_length(tiny):
    report = padding_report(tiny, QUERY, PASSAGES, batch_sizes=[1], max_length=16)
    assert report.real_tokens.iloc[0] <= 16 * len(PASSAGES)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [({"batch_sizes": [0]}, "batch_size must be a positive int"), ({"batch_sizes": []}, "batch_sizes is empty")],
)
def test_report_rejects_bad_batch_sizes(tiny, kwargs, words):
    with pytest.raises(ValueError, match=words):
        padding_report(tiny, QUERY, PASSAGES, **kwargs)


def test_report_rejects_empty_passages(tiny):
    with pytest.raises(ValueError, match="passages is empty"):
        padding_report(tiny, QUERY, [])


def test_untruncated_pair_keeps_the_whole_passage(tiny):
    report = truncation_report(tiny, QUERY, PASSAGES[1])
    assert not report.truncated and report.cut_passage == "" and report.cut_tokens == []
    assert report.kept_passage.strip() == PASSAGES[1]


def test_truncation_cuts_the_end_of_the_passage(tiny):
    passage = " ".join(f"Sentence {n} is about Paris and France." for n in range(20))
    report = truncation_report(tiny, QUERY, passage, max_length=40)
    encoded = tiny.encode([(QUERY, passage)], max_length=40)
    assert report.truncated and report.query_cut == 0
    assert report.n_tokens == 40 and report.passage_cut == encoded.n_cut[0] == len(report.cut_tokens)
    def squash(text: str) -> str:  # spaces at the cut move between the halves
        return "".join(text.split())

    assert squash(report.kept_passage) + squash(report.cut_passage) == squash(passage)
    assert squash(passage).endswith(squash(report.cut_passage))
    # The model sees exactly the kept text: scoring it untruncated gives the same logit.
    with pytest.warns(UserWarning, match="longer than max_length"):
        cut_score = tiny.score(QUERY, passage, max_length=40)
    assert tiny.score(QUERY, report.kept_passage) == pytest.approx(cut_score, abs=1e-5)


def test_a_long_query_is_cut_to_three_quarters(tiny):
    query = " ".join(["capital of France"] * 30)
    report = truncation_report(tiny, query, "Paris.", max_length=32)
    assert report.query_cut > 0 and report.n_tokens <= 32


def test_unknown_characters_in_a_short_pair_are_not_reported_as_cut(tiny):
    """Re-tokenizing around <unk> can shift a count by one; only pairs over a limit count as cut."""
    passage = "𓀀 More varied training data usually helps a model generalize. 𓀀"  # unknown to both tokenizers
    assert tiny.tokenizer.unk_token_id in tiny.tokenizer(passage)["input_ids"]  # the case this test is about
    encoded = tiny.encode([(QUERY, passage)], max_length=512)
    assert encoded.n_cut[0] == 0 and encoded.n_tokens[0] < 512
    assert not truncation_report(tiny, QUERY, passage).truncated


def test_padding_table_from_lengths_shows_sorting_saves_padding():
    from rerankkit.measure.timing import mixed_lengths

    table = padding_table(mixed_lengths(128, seed=0), batch_sizes=[8, 32]).set_index(["batch_size", "order"])
    for size in (8, 32):
        assert table.padding_share[size, "length-sorted"] < table.padding_share[size, "input order"]
    assert (table.real_tokens == int(mixed_lengths(128, seed=0).sum())).all()
    with pytest.raises(ValueError, match="lengths must be"):
        padding_table([], batch_sizes=[4])
