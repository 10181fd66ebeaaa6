"""A look inside: the attention weights of one pair, optionally drawn with bertviz.

Attention weights say where each head reads from, not why the score is what it is:
they are not faithful explanations (Jain & Wallace, "Attention is not Explanation",
NAACL 2019, https://aclanthology.org/N19-1357/). Use :func:`rerankkit.explain` for that.

The model is loaded a second time with ``attn_implementation="eager"``: the default SDPA
attention kernels do not return attention weights.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rerankkit._utils.checks import check_text

if TYPE_CHECKING:
    import torch

    from rerankkit.scoring.reranker import Reranker

__all__ = ["AttentionWeights", "attention_weights", "attention_view", "LOOK_INSIDE_NOTE", "OFFLINE_NOTE"]

# The eager-attention copy of each reranker's model, kept while the reranker lives.
_EAGER: weakref.WeakKeyDictionary[Reranker, Any] = weakref.WeakKeyDictionary()

LOOK_INSIDE_NOTE = (
    "A look inside, not an explanation: attention weights show where heads read from, not why the score "
    "is what it is (Jain & Wallace 2019, 'Attention is not Explanation'). For word attributions use rerankkit.explain."
)

# bertviz's view is JavaScript that loads require.js, d3 and jQuery from public CDNs when it is shown.
OFFLINE_NOTE = (
    "The view below loads require.js, d3 and jQuery from cdnjs.cloudflare.com and ajax.googleapis.com when shown: "
    "without internet access it stays empty. attention_weights() returns the same weights as tensors."
)


@dataclass(frozen=True)
class AttentionWeights:
    """Attention of every layer for one pair.

    Attributes:
        tokens: Token strings, special tokens included.
        attentions: One tensor per layer, shape (1, heads, tokens, tokens).
        query_end: Index of the first separator token (the query is tokens 1 .. query_end - 1).
    """

    tokens: list[str]
    attentions: tuple[torch.Tensor, ...]
    query_end: int

    @property
    def n_layers(self) -> int:
        return len(self.attentions)

    @property
    def n_heads(self) -> int:
        return int(self.attentions[0].shape[1])


def _eager_model(reranker: Reranker):
    from transformers import AutoModelForSequenceClassification

    from rerankkit._utils.hf import quiet_transformers

    cached = _EAGER.get(reranker)
    if cached is not None:
        return cached
    with quiet_transformers():
        model = AutoModelForSequenceClassification.from_pretrained(
            reranker.info.path, attn_implementation="eager", dtype=reranker.model.dtype
        )
    model.to(reranker.model.device).eval()
    _EAGER[reranker] = model  # loaded once per reranker
    return model


def attention_weights(reranker: Reranker, query: str, passage: str) -> AttentionWeights:
    """Run the pair through an eager-attention copy of the model and return every layer's attention.

    Example:
        >>> import rerankkit
        >>> rr = rerankkit.load("tiny-random")
        >>> att = attention_weights(rr, "what is panda?", "a bear")
        >>> att.n_layers, att.attentions[0].shape[-1] == len(att.tokens)
        (2, True)
    """
    import torch


    query, passage = check_text(query, "query"), check_text(passage, "passage")
    if reranker.info.kind != "encoder":
        raise ValueError(f"attention_weights() supports cross-encoders; {reranker.info.model_id} is not one.")
    ids = reranker.encode([(query, passage)]).input_ids[0]
    model = _eager_model(reranker)
    with torch.inference_mode():
        out = model(input_ids=torch.tensor([ids], device=model.device), output_attentions=True)
    tokens = reranker.tokenizer.convert_ids_to_tokens(ids)
    sep = reranker.tokenizer.sep_token_id
    query_end = ids.index(sep) if sep in ids else len(ids)
    return AttentionWeights(tokens=tokens, attentions=tuple(a.float().cpu() for a in out.attentions),
                            query_end=query_end)


def attention_view(reranker: Reranker, query: str, passage: str, *, view: str = "head"):
    """bertviz's interactive head view (or ``view="model"``) of one pair, as an HTML object for Jupyter.

    Needs the optional package bertviz (``pip install bertviz``); raises
    :class:`~rerankkit.errors.MissingDependencyError` naming it when it is missing.
    """
    from rerankkit._utils.optional import require

    if view not in {"head", "model"}:
        raise ValueError(f"view must be 'head' or 'model', got {view!r}")
    bertviz = require("bertviz", feature="The attention view")
    from IPython.display import HTML

    att = attention_weights(reranker, query, passage)
    draw = bertviz.head_view if view == "head" else bertviz.model_view
    drawn = draw(list(att.attentions), att.tokens, sentence_b_start=att.query_end + 2, html_action="return")
    note = (f"<p style='color:#5c4500'><b>{LOOK_INSIDE_NOTE}</b> {OFFLINE_NOTE}</p>")
    return HTML(note + drawn.data)
