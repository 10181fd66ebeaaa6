"""One long pair against the same text as short chunks in a batch."""

from __future__ import annotations

import json

import pytest

from rerankkit import cli
from rerankkit.measure.long_context import long_document, long_vs_chunks
from rerankkit.measure.timing import attention_flop_share


def test_long_pair_and_chunks_are_timed_on_the_same_text(tiny):
    result = long_vs_chunks(tiny, length=512, chunk_length=128)
    assert result.long_tokens == 512 and result.chunk_length == 128
    # 512 tokens of text beside the query cut into windows that fit 128: at least 4 chunks, each within 128.
    assert result.n_chunks >= 4 and result.chunk_tokens <= result.n_chunks * 128
    assert result.long_s > 0 and result.chunks_s > 0
    assert result.ratio == pytest.approx(result.long_s / result.chunks_s)
    assert result.flop_ratio > 0 and result.attention_share_long == pytest.approx(
        attention_flop_share(tiny.model.config, 512))
    assert result.random_weights and "chunks of 128 tokens" in result.text()


def test_long_document_fills_the_pair_exactly(tiny):
    for n in (64, 300, 512):
        text = long_document(tiny.tokenizer, "panda?", n)
        assert len(tiny.tokenizer("panda?", text)["input_ids"]) == n


def test_bad_lengths_are_clear_errors(tiny):
    with pytest.raises(ValueError, match="limit of 512"):
        long_vs_chunks(tiny, length=8192)
    with pytest.raises(ValueError, match="chunk_length"):
        long_vs_chunks(tiny, length=256, chunk_length=256)


def test_cli_long_vs_chunks(capsys):
    args = ["bench", "--model", "tiny-random", "--dtypes", "fp32", "--long-vs-chunks", "256", "--chunk-length", "64",
            "--repeats", "1", "--warmup", "0"]
    assert cli.main(args + ["--json"]) == 0
    row = json.loads(capsys.readouterr().out)["rows"][0]
    assert row["long_tokens"] == 256 and row["n_chunks"] > 1 and row["ratio"] > 0
