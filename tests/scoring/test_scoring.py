"""Scoring agrees with FlagEmbedding and plain transformers, whatever the batching."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

import rerankkit
from rerankkit.errors import TruncationWarning
from rerankkit.score_scale import sigmoid

QUERY = "What is the capital of France?"
PASSAGES = [
    "Paris is the capital city of France. It is located in the northern part of the country.",
    "Berlin is the capital of Germany. It is the largest city in Germany by population.",
    "The Eiffel Tower is located in Paris, France.",
    "hi",
    "北京是中华人民共和国的首都。",
    "Москва — столица России.",
    "The giant panda (Ailuropoda melanoleuca), sometimes called a panda bear or simply panda, is a bear species endemic to China.",
]
PAIRS = [(QUERY, p) for p in PASSAGES] + [("中国的首都是哪里?", p) for p in PASSAGES[3:]]


def test_matches_flag_reranker(tiny, flag):
    expected = np.array(flag.compute_score([list(p) for p in PAIRS]))
    got = tiny.score(PAIRS)
    assert got.shape == (len(PAIRS),)
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)


def test_matches_flag_reranker_on_truncated_pairs(tiny, flag):
    long_passage = " ".join(["Paris is large and old."] * 200)
    long_query = " ".join(["capital"] * 500)  # longer than 3/4 of max_length: the query is cut too
    pairs = [(QUERY, long_passage), (long_query, "Paris."), (long_query, long_passage)]
    with pytest.warns(TruncationWarning):
        got = tiny.score(pairs, max_length=128)
    expected = np.array(flag.compute_score([list(p) for p in pairs], max_length=128))
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)


def test_matches_plain_transformers(tiny_path, tiny):
    tok = AutoTokenizer.from_pretrained(tiny_path)
    model = AutoModelForSequenceClassification.from_pretrained(tiny_path).eval()
    with torch.no_grad():
        expected = [
            model(**tok(q, p, return_tensors="pt", truncation="only_second", max_length=512)).logits.item()
            for q, p in PAIRS
        ]
    np.testing.assert_allclose(tiny.score(PAIRS), expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize("batch_size", [1, 2, 3, 64])
def test_batch_size_does_not_change_scores(tiny, batch_size):
    reference = tiny.score(PAIRS, batch_size=1)
    np.testing.assert_allclose(tiny.score(PAIRS, batch_size=batch_size), reference, atol=1e-5, rtol=0)


def test_input_order_does_not_change_scores(tiny):
    reference = tiny.score(PAIRS)
    perm = np.random.default_rng(0).permutation(len(PAIRS))
    shuffled = tiny.score([PAIRS[i] for i in perm], batch_size=3)
    np.testing.assert_allclose(shuffled, reference[perm], atol=1e-5, rtol=0)


def test_scores_differ_between_pairs(tiny):
    # Guards against a scorer that returns one constant (random weights still vary by input).
    assert np.ptp(tiny.score(PAIRS)) > 0.1


def test_return_types(tiny):
    one = tiny.score(QUERY, PASSAGES[0])
    many = tiny.score(QUERY, PASSAGES)
    assert isinstance(one, float)
    assert isinstance(many, np.ndarray) and many.shape == (len(PASSAGES),)
    assert one == pytest.approx(many[0], abs=1e-5)
    np.testing.assert_allclose(tiny.score([(QUERY, p) for p in PASSAGES]), many, atol=1e-6)


def test_passages_may_be_any_iterable_of_str(tiny):
    import pandas as pd

    reference = tiny.score(QUERY, PASSAGES)
    np.testing.assert_allclose(tiny.score(QUERY, np.array(PASSAGES)), reference, atol=1e-6)
    np.testing.assert_allclose(tiny.score(QUERY, pd.Series(PASSAGES)), reference, atol=1e-6)
    np.testing.assert_allclose(tiny.score(QUERY, (p for p in PASSAGES)), reference, atol=1e-6)
    with pytest.raises(TypeError, match="passages must be a list of str, got dict"):
        tiny.score(QUERY, {"a": "b"})


def test_normalize_is_sigmoid_of_logits(tiny):
    logits = tiny.score(QUERY, PASSAGES)
    probs = tiny.score(QUERY, PASSAGES, normalize=True)
    assert np.all((probs > 0) & (probs < 1))
    np.testing.assert_allclose(probs, 1 / (1 + np.exp(-logits)), atol=1e-12)
    assert np.argsort(-probs).tolist() == np.argsort(-logits).tolist()


def test_sigmoid_is_stable_for_large_logits():
    out = sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    np.testing.assert_allclose(out, [0.0, 0.5, 1.0])


def test_truncation_accounting(tiny):
    words = ["alpha"] * 300
    encoded = tiny.encode([(QUERY, " ".join(words)), (QUERY, "short")], max_length=64)
    full = len(tiny.tokenizer(QUERY, " ".join(words))["input_ids"])
    assert encoded.n_tokens[0] == 64
    assert encoded.n_cut[0] == full - 64
    assert encoded.n_cut[1] == 0
    assert encoded.n_tokens[1] == len(tiny.tokenizer(QUERY, "short")["input_ids"])


def test_one_truncation_warning_per_call_with_the_count(tiny):
    long_passage = " ".join(["word"] * 400)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tiny.score(QUERY, [long_passage, "short", long_passage], max_length=64)
    messages = [str(w.message) for w in caught if issubclass(w.category, TruncationWarning)]
    assert len(messages) == 1
    assert messages[0].startswith("2 of 3 pairs")


def test_no_warning_when_nothing_is_cut(tiny):
    with warnings.catch_warnings():
        warnings.simplefilter("error", TruncationWarning)
        tiny.score(QUERY, PASSAGES)


def test_max_length_beyond_model_limit_is_a_clear_error(tiny):
    with pytest.raises(ValueError, match=r"limit of tiny-random: 512 tokens"):
        tiny.score(QUERY, PASSAGES, max_length=4096)


@pytest.mark.parametrize(
    ("args", "error", "pattern"),
    [
        ((None, ["p"]), TypeError, r"query must be a str.*None"),
        (("", ["p"]), ValueError, r"query is empty"),
        (("   ", "p"), ValueError, r"query is empty"),
        (("q", []), ValueError, r"passages is empty"),
        (("q", ["ok", 3]), TypeError, r"passages\[1\] must be a str, got int"),
        (("q", ["ok", "", "x"]), ValueError, r"passages\[1\] is empty"),
        (("q", ["ok", None]), TypeError, r"passages\[1\] must be a str, got None"),
        (("q", ""), ValueError, r"passage is empty"),
        (("q", 5), TypeError, r"passages must be a list of str, got int"),
        (("q",), TypeError, r"passages is missing"),
        (([],), ValueError, r"pairs is empty"),
        (([("q", "p"), ("q",)],), ValueError, r"pairs\[1\] must be a \(query, passage\) pair"),
        (([("q", "p"), ("q", 7)],), TypeError, r"pairs\[1\]\[1\] \(passage\) must be a str, got int"),
        ((["q", "p"],), ValueError, r"pairs\[0\].*call score\(query, passage\)"),
        (([("q", "p")], ["x"]), TypeError, r"mixed shapes"),
        ((42,), TypeError, r"pairs must be a list"),
    ],
)
def test_bad_input_names_the_argument(tiny_copy, args, error, pattern, monkeypatch):
    # The model must not run on bad input: fail before any scoring.
    monkeypatch.setattr(tiny_copy, "forward", lambda *a, **k: pytest.fail("scored bad input"))
    with pytest.raises(error, match=pattern):
        tiny_copy.score(*args)


def test_bad_rerank_input(tiny):
    with pytest.raises(ValueError, match="top_k must be a positive int"):
        tiny.rerank(QUERY, PASSAGES, top_k=0)
    with pytest.raises(ValueError, match="threshold must be a normalized score"):
        tiny.rerank(QUERY, PASSAGES, threshold=3.2)
    with pytest.raises(ValueError, match="unknown threshold preset"):
        tiny.rerank(QUERY, PASSAGES, threshold="lenient")
    with pytest.raises(TypeError, match=r"passages\[0\] must be a str"):
        tiny.rerank(QUERY, [b"bytes"])


def test_ten_thousand_passages_in_bounded_batches(tiny_copy, monkeypatch, capsys):
    passages = [f"passage number {i} about topic {i % 37}" for i in range(10_000)]
    widths = []
    real_model = tiny_copy.flag.model

    class Recorder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = real_model

        @property
        def device(self):
            return real_model.device

        def forward(self, input_ids, attention_mask):
            widths.append(tuple(input_ids.shape))
            return self.inner(input_ids=input_ids, attention_mask=attention_mask)

    monkeypatch.setattr(tiny_copy.flag, "model", Recorder())
    scores = tiny_copy.score("topic 3", passages, batch_size=256)
    assert scores.shape == (10_000,) and np.isfinite(scores).all()
    assert max(rows for rows, _ in widths) <= 256  # memory is bounded by one batch
    assert sum(rows for rows, _ in widths) == 10_000
    assert "Scoring" in capsys.readouterr().err  # the tqdm progress bar was shown


def test_progress_bar_stays_off_for_small_inputs(tiny, capsys):
    tiny.score(QUERY, PASSAGES)
    assert "Scoring" not in capsys.readouterr().err


def test_rerank_puts_best_logit_first(tiny):
    ranking = tiny.rerank(QUERY, PASSAGES)
    logits = tiny.score(QUERY, PASSAGES)
    assert ranking.indices == np.argsort(-logits, kind="stable").tolist()
    assert [r.rank for r in ranking] == list(range(1, len(PASSAGES) + 1))
    for row in ranking:
        assert row.text == PASSAGES[row.index]
        assert row.logit == pytest.approx(logits[row.index], abs=1e-6)
        assert row.score == pytest.approx(1 / (1 + np.exp(-row.logit)))
        assert row.passes is None  # no cut-off chosen
    marked = tiny.rerank(QUERY, PASSAGES, threshold="balanced")
    assert [r.passes for r in marked] == [r.score >= 0.5 for r in marked]
    assert marked.cutoff == "threshold 0.50 (balanced preset, uncalibrated)"


def test_rerank_marks_truncated_rows(tiny):
    long_passage = " ".join(["Paris"] * 600)
    with pytest.warns(TruncationWarning):
        ranking = tiny.rerank(QUERY, ["Paris.", long_passage])
    by_index = {r.index: r for r in ranking}
    assert by_index[1].truncated and by_index[1].n_tokens == 512
    assert not by_index[0].truncated


def test_public_surface():
    assert callable(rerankkit.load)
    assert rerankkit.__version__
    assert {"load", "Reranker", "Ranking"} <= set(rerankkit.__all__)


def test_token_budget_batching_keeps_the_scores(tiny_copy):
    from rerankkit.scoring.reranker import _batch_starts

    pairs = [("q", "word " * n) for n in (3, 60, 20, 120, 7, 90)]
    encoded = tiny_copy.encode(pairs)
    plain = tiny_copy.forward(encoded.input_ids, batch_size=4)
    np.testing.assert_allclose(tiny_copy.forward(encoded.input_ids, batch_size=4, max_batch_tokens=150), plain,
                               rtol=1e-4, atol=1e-4)
    calls = []
    real = tiny_copy.flag.model
    tiny_copy.flag.model = lambda input_ids, attention_mask: calls.append(tuple(input_ids.shape)) or real(
        input_ids=input_ids, attention_mask=attention_mask)
    tiny_copy.flag.model.device = real.device
    tiny_copy.max_batch_tokens = 150
    tiny_copy.forward(encoded.input_ids, batch_size=4)
    assert all(rows * width <= 150 or rows == 1 for rows, width in calls) and sum(r for r, _ in calls) == 6
    lengths = np.sort(encoded.n_tokens)[::-1]
    assert _batch_starts(lengths, 4, None) == [0, 4]
    with pytest.raises(ValueError, match="max_batch_tokens"):
        tiny_copy.forward(encoded.input_ids, max_batch_tokens=0)
