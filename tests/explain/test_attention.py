"""The attention view: weights from an eager copy, bertviz offline, the install hint when it is missing."""

from __future__ import annotations

import warnings

import pytest
import torch

from rerankkit.errors import MissingDependencyError

# Cost notes and the deliberate non-convergence below are asserted where they matter.
pytestmark = pytest.mark.filterwarnings(
    "ignore::rerankkit.explain.SlowExplanationWarning", "ignore::rerankkit.explain.ConvergenceWarning"
)


# -- attention view ------------------------------------------------------------------------------
def test_attention_weights_come_from_an_eager_copy(tiny):
    from rerankkit.explain.attention import attention_weights

    att = attention_weights(tiny, "panda?", "a bear")
    assert att.n_layers == tiny.model.config.num_hidden_layers
    assert att.attentions[0].shape[-1] == len(att.tokens)
    rows = att.attentions[0][0].sum(dim=-1)
    assert torch.allclose(rows, torch.ones_like(rows), atol=1e-4)  # softmax rows


def test_attention_view_names_the_install_when_bertviz_is_missing(tiny, monkeypatch):
    import sys

    from rerankkit.explain.attention import attention_view

    monkeypatch.setitem(sys.modules, "bertviz", None)  # makes `import bertviz` fail
    with pytest.raises(MissingDependencyError, match=r"pip install \"rerankkit\[attention\]\""):
        attention_view(tiny, "panda?", "a bear")


def test_attention_view_renders_with_bertviz(tiny):
    pytest.importorskip("bertviz")
    from rerankkit.explain.attention import LOOK_INSIDE_NOTE, attention_view

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        view = attention_view(tiny, "panda?", "a bear")
    assert LOOK_INSIDE_NOTE[:30] in view.data and "bertviz" in view.data


def test_attention_view_needs_no_cdn(tiny):
    pytest.importorskip("bertviz")
    from rerankkit.explain.attention import attention_view

    page = attention_view(tiny, "what is panda?", "The giant panda is a bear.").data
    assert "cdnjs.cloudflare.com/ajax/libs" not in page and "ajax.googleapis.com" not in page
    assert "RequireJS 2.3.6" in page and page.count("data:application/javascript;base64,") == 2


def test_bert_attention_reads_the_passage_token_types():
    import rerankkit
    from rerankkit.explain.attention import _eager_model, attention_weights

    rr = rerankkit.load("tiny-random:cross-encoder/ms-marco-MiniLM-L6-v2", device="cpu")
    att = attention_weights(rr, "what is panda?", "a bear")
    pair = rr.tokenizer("what is panda?", "a bear", return_tensors="pt")
    assert set(pair["token_type_ids"][0].tolist()) == {0, 1}
    with torch.inference_mode():
        reference = _eager_model(rr)(**pair, output_attentions=True).attentions
    for ours, theirs in zip(att.attentions, reference):
        assert torch.allclose(ours, theirs.float(), atol=1e-6)
