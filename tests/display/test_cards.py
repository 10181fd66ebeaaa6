"""Score cards show what the model read and fold the rest, so a long passage does not make a page-long card."""

from __future__ import annotations

import re

from rerankkit.display.cards import FOLD_CHARS, passage_html, ranking_html
from rerankkit.scoring.results import Ranking


def _visible(html: str) -> str:
    """The text outside <details> blocks: what shows before any click."""
    return re.sub(r"<details.*?</details>", "", html, flags=re.S)


def test_a_truncated_passage_shows_what_was_read_and_folds_the_cut():
    text = " ".join(f"word{i}" for i in range(5000))
    page = passage_html(text, n_tokens=100, n_cut=9900)
    shown = re.sub(r"<[^>]+>", "", _visible(page))
    assert len(shown) < FOLD_CHARS + 400  # the start of what was read, and the truncation note
    assert "9900 tokens cut" in shown and "the model read 100 tokens" in shown
    assert page.count("<details") == 1 and "did not read" in page and "rk-cutoff" in page
    assert "word4999" in page and "word4999" not in shown  # nothing is lost, the cut part is folded


def test_a_long_untruncated_passage_folds_and_a_short_one_does_not():
    long = "x" * (FOLD_CHARS * 3)
    assert "<details" in passage_html(long, n_tokens=50, n_cut=0)
    assert "<details" not in passage_html("short text", n_tokens=3, n_cut=0)


def test_cards_name_the_scale_and_the_model():
    r = Ranking.from_scores(query="q", texts=["a " * 2000, "b"], logits=[1.0, -1.0], n_tokens=[16, 3],
                            n_cut=[1984, 0])
    page = ranking_html(r)
    assert "sigmoid score" in page and "not a calibrated probability" in page
    assert page.count('class="rk-card"') == 2 and "rk-fold" in page


def test_the_read_part_matches_what_the_tokenizer_kept(tiny):
    from rerankkit.text.truncation import truncation_report

    query = "What is the capital of France?"
    passage = " ".join(["Paris is the capital and largest city of France, on the Seine."] * 40)
    row = tiny.rerank(query, [passage], max_length=64)[0]
    kept = truncation_report(tiny, query, passage, max_length=64).kept_passage
    page = passage_html(row.text, row.n_tokens, row.n_cut, query_chars=len(query))
    shown = re.sub(r"<[^>]+>", "", _visible(page)).split("truncated:")[0]
    assert abs(len(shown) - len(kept)) <= 0.2 * len(kept) + 5  # the estimate lands within a few words
