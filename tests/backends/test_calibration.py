"""Static int8 is calibrated on pairs of the packaged case sets, never on a benchmark's pairs."""

from __future__ import annotations

import numpy as np
import pytest

from rerankkit import cases
from rerankkit.backends.calibration import CALIBRATION_SIZE, calibration_inputs, calibration_pairs


def test_calibration_pairs_come_from_every_case_set():
    pairs = calibration_pairs()
    assert len(pairs) == CALIBRATION_SIZE and len(set(pairs)) == len(pairs)
    sources = {name: {(c.query, p.text) for c in cases.load(name) for p in c.passages} for name in cases.names()}
    for pair in pairs:
        assert any(pair in found for found in sources.values()), pair
    for name, found in sources.items():
        assert any(pair in found for pair in pairs), f"no calibration pair from {name}"


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
