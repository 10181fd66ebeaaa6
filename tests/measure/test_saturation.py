"""The logit beyond which a sigmoid in fp16 (bf16, fp32) returns exactly 1.0."""

from __future__ import annotations

import pytest
import torch

from rerankkit.measure.saturation import distinct_scores, saturation_logit, sigmoid_sweep


def test_fp16_saturation_matches_every_fp16_value():
    bits = torch.arange(0, 0x7C00, dtype=torch.int32).to(torch.int16).view(torch.float16)  # all finite x >= 0
    saturated = torch.sigmoid(bits) == 1.0
    assert saturation_logit("fp16") == float(bits[saturated].min())
    assert saturated[bits >= bits[saturated].min()].all()  # monotone: nothing above it escapes


@pytest.mark.parametrize("dtype", ["bf16", "fp32"])
def test_other_dtypes_saturate_exactly_at_the_boundary(dtype):
    dt = {"bf16": torch.bfloat16, "fp32": torch.float32}[dtype]
    x = saturation_logit(dtype)
    assert float(torch.sigmoid(torch.tensor(x, dtype=dt))) == 1.0
    below = torch.tensor(x * (1 - 2 ** -7), dtype=dt)
    assert float(torch.sigmoid(below)) < 1.0


def test_order_of_dtypes_and_the_collapse_of_distinct_logits():
    assert saturation_logit("bf16") < saturation_logit("fp16") < saturation_logit("fp32")
    sweep = sigmoid_sweep([13.0, 27.0], dtypes=("fp16", "fp32"))
    assert sweep.is_one_fp16.all()  # two very different logits, one fp16 score
    assert sweep.sigmoid_fp32.iloc[0] < sweep.sigmoid_fp32.iloc[1]
    top = distinct_scores(saturation_logit("fp16"), 30.0, "fp16")
    assert top["scores"] == 1 and top["logits"] > 100


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="dtype"):
        saturation_logit("fp8")
    with pytest.raises(ValueError, match="finite"):
        sigmoid_sweep([1.0, float("nan")])
    with pytest.raises(ValueError, match="high"):
        distinct_scores(5.0, 5.0)
