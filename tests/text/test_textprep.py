"""Truncation views, chunking with aggregation, and HTML cleaning on crafted inputs."""

from __future__ import annotations

import numpy as np
import pytest

from rerankkit.errors import TruncationWarning
from rerankkit.testing import bag_of_words_reranker
from rerankkit.text.chunking import aggregate_logits, chunk, compare_truncation, score_chunked
from rerankkit.text.cleaning import clean_html, compare_cleaning
from rerankkit.text.truncation import truncation_view

FILLER = "the cat sat on the mat. " * 40
ANSWER = "The panda is a bear."


@pytest.fixture(scope="module")
def bow():
    return bag_of_words_reranker({"panda": 4.0, "bear": 1.0, "cat": -0.25})


# -- truncation view -------------------------------------------------------------------------
def test_truncation_view_cuts_where_the_model_stops(tiny):
    passage = FILLER + ANSWER
    view = truncation_view(tiny, "what is a panda?", passage, max_length=64)
    encoded = tiny.encode([("what is a panda?", passage)], max_length=64)
    assert view.n_cut == int(encoded.n_cut[0]) > 0
    assert view.kept_text + view.cut_text == passage
    assert ANSWER in view.cut_text and ANSWER not in view.kept_text
    # What the view keeps is what the model is given: the kept text tokenizes to the kept passage tokens.
    kept_tokens = len(tiny.tokenizer(view.kept_text, add_special_tokens=False)["input_ids"])
    total_tokens = len(tiny.tokenizer(passage, add_special_tokens=False)["input_ids"])
    assert kept_tokens == total_tokens - view.n_cut
    assert "line-through" in view._repr_html_()


def test_truncation_view_when_nothing_is_cut(tiny):
    view = truncation_view(tiny, "q", "short passage")
    assert view.n_cut == 0 and view.cut_text == "" and "nothing is cut" in repr(view)


# -- chunking ----------------------------------------------------------------------------------
def test_chunks_cover_the_document_with_overlap_within_the_window(tiny):
    text = " ".join(f"word{i}" for i in range(200))
    parts = chunk(text, tiny.tokenizer, window=40, overlap=10)
    assert len(parts) > 3
    assert all(p.n_tokens <= 40 for p in parts)
    assert parts[0].first_token == 0
    n_tokens = len(tiny.tokenizer(text, add_special_tokens=False)["input_ids"])
    assert parts[-1].first_token + parts[-1].n_tokens == n_tokens
    for left, right in zip(parts, parts[1:]):
        shared = left.first_token + left.n_tokens - right.first_token
        assert 0 <= shared <= 10  # whole words of overlap, never a gap
        assert right.first_token > left.first_token
    assert all(p.text.split()[0] in text.split() for p in parts)  # chunks start at word starts


def test_chunk_rejects_bad_windows(tiny):
    with pytest.raises(ValueError, match="overlap"):
        chunk("a b c", tiny.tokenizer, window=4, overlap=4)
    with pytest.raises(ValueError, match="window"):
        chunk("a b c", tiny.tokenizer, window=0)


def test_chunked_max_finds_the_answer_that_truncation_cuts(bow):
    document = FILLER + ANSWER
    with pytest.warns(TruncationWarning):
        truncated = bow.score("what is a panda?", document, max_length=64)
    result = score_chunked(bow, "what is a panda?", document, max_length=64, overlap=8)
    best = result.chunks[result.deciding[0]]
    assert ANSWER in best.text and best is result.chunks[-1]
    # Bag-of-words: the answer chunk scores panda (+4, in query and passage) + bear (+1) + its cats.
    n_cat = best.text.split().count("cat")
    assert result.score == pytest.approx(4.0 + 4.0 + 1.0 - 0.25 * n_cat, abs=1e-5)
    assert result.score > truncated
    comparison = compare_truncation(bow, "what is a panda?", document, max_length=64, overlap=8)
    assert comparison.truncated_score == pytest.approx(truncated)
    assert comparison.chunked.score == pytest.approx(result.score)
    assert list(comparison.to_frame()["strategy"]) == ["truncate", "chunk + max"]


def test_default_window_makes_chunks_fit_max_length(tiny):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", TruncationWarning)
        result = score_chunked(tiny, "what is a panda?", FILLER + ANSWER, max_length=48)
    assert len(result.chunks) > 2


@pytest.mark.parametrize(
    ("how", "k", "score", "deciding"),
    [("max", 3, 5.0, (2,)), ("mean", 3, 2.0, (2, 1, 3, 0)), ("topk_mean", 2, 4.0, (2, 1))],
)
def test_aggregation(how, k, score, deciding):
    got_score, got_deciding = aggregate_logits(np.array([-1.0, 3.0, 5.0, 1.0]), how, k)
    assert got_score == pytest.approx(score) and got_deciding == deciding


def test_aggregation_rejects_unknown_names():
    with pytest.raises(ValueError, match="aggregate must be one of"):
        aggregate_logits(np.zeros(2), "median")


# -- HTML cleaning -----------------------------------------------------------------------------
PAGE = """<!doctype html><html><head><title>T</title><style>p{color:red}</style>
<script>var panda = "not text";</script></head><body>
<!-- a panda comment --><h1>Pandas &amp; bears</h1><p>The giant&nbsp;panda is a <b>bear</b>.</p>
<p>Caf&eacute; &lt;3 &#8364;5</p><noscript>enable js</noscript></body></html>"""


def test_clean_html_removes_scripts_styles_comments_and_tags_and_decodes_entities():
    text = clean_html(PAGE)
    assert text == "Pandas & bears\nThe giant panda is a bear.\nCafé <3 €5"


def test_clean_html_with_lxml_agrees():
    assert clean_html(PAGE, parser="lxml") == clean_html(PAGE)


def test_compare_cleaning_scores_before_and_after(bow):
    result = compare_cleaning(bow, "panda?", PAGE)
    assert result.cleaned == clean_html(PAGE)
    assert result.raw_score == pytest.approx(bow.score("panda?", PAGE), abs=1e-6)
    assert result.cleaned_score == pytest.approx(bow.score("panda?", result.cleaned), abs=1e-6)
    # The script and the comment say "panda" too: the raw markup scores higher on this model.
    assert result.change < 0


def test_compare_cleaning_refuses_html_without_text(tiny):
    with pytest.raises(ValueError, match="no visible text"):
        compare_cleaning(tiny, "q", "<script>x()</script>")


def test_default_overlap_keeps_the_chunk_count_proportional(tiny):
    document = FILLER * 3 + ANSWER
    result = score_chunked(tiny, "what is a panda?", document, max_length=48)
    n_tokens = len(tiny.tokenizer(document, add_special_tokens=False)["input_ids"])
    window = max(c.n_tokens for c in result.chunks)
    assert len(result.chunks) <= 2 * n_tokens / window + 1
    out = result._repr_html_()
    assert out.count("<tr") <= 14 and "more chunks" in out  # long tables are cut, the deciding row kept
    assert f"<td>{result.deciding[0]}</td>" in out


def test_chunking_a_long_text_logs_no_tokenizer_warning(tiny, capsys):
    # Before: notebook 05 showed transformers' "Token indices sequence length is longer ... (24231 > 512)" on stderr.
    import logging

    from rerankkit.text.chunking import chunk

    tiny.tokenizer.deprecation_warnings.pop("sequence-length-is-longer-than-the-specified-maximum", None)  # once per
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logging.getLogger("transformers").addHandler(handler)
    try:
        chunk("Paris is the capital of France. " * 2000, tiny.tokenizer, window=64)
    finally:
        logging.getLogger("transformers").removeHandler(handler)
    assert not [r for r in records if "sequence length is longer" in r.getMessage()]
    assert "sequence length is longer" not in capsys.readouterr().err
