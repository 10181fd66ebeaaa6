"""Static int8 is calibrated on pairs of the packaged case sets, never on a benchmark's pairs."""

from __future__ import annotations

import numpy as np
import pytest

from rerankkit import cases
from rerankkit.backends.calibration import CALIBRATION_SIZE, calibration_inputs, calibration_key, calibration_pairs


def _runs(texts: list[str]) -> set[str]:
    """Every run of one to four consecutive passages of one case, joined."""
    return {" ".join(texts[i:j]) for i in range(len(texts)) for j in range(i + 1, min(i + 5, len(texts) + 1))}


def test_calibration_pairs_come_from_every_case_set():
    pairs = calibration_pairs()
    assert len(pairs) == CALIBRATION_SIZE and len(set(pairs)) == len(pairs)
    sources = {name: {(c.query, run) for c in cases.load(name) for run in _runs(c.texts)} for name in cases.names()}
    for pair in pairs:
        assert any(pair in found for found in sources.values()), pair
    for name, found in sources.items():
        assert any(pair in found for pair in pairs), f"no calibration pair from {name}"


def test_calibration_pairs_span_short_and_long_pairs(tiny):
    lengths = [len(item["input_ids"][0]) for item in calibration_inputs(tiny.tokenizer)]
    assert min(lengths) < 64 and max(lengths) > 192


def test_calibration_pairs_are_deterministic_and_sized():
    assert calibration_pairs(10) == calibration_pairs(10)
    assert len(calibration_pairs(1)) == 1
    with pytest.raises(ValueError, match="n"):
        calibration_pairs(0)
    with pytest.raises(ValueError, match="calibration pairs"):
        calibration_pairs(10**7)


def test_calibration_inputs_are_tokenized_pairs(tiny):
    items = calibration_inputs(tiny.tokenizer, 4, max_length=32)
    assert len(items) == 4
    for item in items:
        assert set(item) == {"input_ids", "attention_mask"}
        assert item["input_ids"].dtype == np.int64 and item["input_ids"].shape[0] == 1
        assert item["input_ids"].shape == item["attention_mask"].shape and item["input_ids"].shape[1] <= 32


def test_calibration_key_follows_pairs_and_settings():
    assert calibration_key(8) == calibration_key(8)
    assert calibration_key(8) != calibration_key(9)
    assert calibration_key(8, preset="mixed") != calibration_key(8, preset="performance")
