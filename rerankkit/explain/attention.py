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

__all__ = ["AttentionWeights", "attention_weights", "attention_view", "offline_html", "LOOK_INSIDE_NOTE",
           "OFFLINE_NOTE"]

# The eager-attention copy of each reranker's model, kept while the reranker lives.
_EAGER: weakref.WeakKeyDictionary[Reranker, Any] = weakref.WeakKeyDictionary()

LOOK_INSIDE_NOTE = (
    "A look inside, not an explanation: attention weights show where heads read from, not why the score "
    "is what it is (Jain & Wallace 2019, 'Attention is not Explanation'). For word attributions use rerankkit.explain."
)

# bertviz's view loads require.js, d3 and jQuery from public CDNs; the copies in vendor/ are inlined instead.
OFFLINE_NOTE = "The view's JavaScript (require.js, d3, jQuery) ships with rerankkit, so it works offline."
_CDN_REQUIRE = '<script src="https://cdnjs.cloudflare.com/ajax/libs/require.js/2.3.6/require.min.js"></script>'
_CDN_MODULES = {"https://cdnjs.cloudflare.com/ajax/libs/d3/5.7.0/d3.min": "d3.min.js",
                "https://cdnjs.cloudflare.com/ajax/libs/jquery/2.0.0/jquery.min": "jquery.min.js"}


def offline_html(page: str) -> str:
    """bertviz's HTML with its CDN scripts replaced by the copies shipped in ``rerankkit/explain/vendor``.

    require.js is inlined; d3 and jQuery become ``data:`` URLs in require's paths (require.js loads a ``data:``
    path as it is). A page whose CDN links are not the expected ones is left unchanged.

    Example:
        >>> page = offline_html(_CDN_REQUIRE + "paths: {d3: 'https://cdnjs.cloudflare.com/ajax/libs/d3/5.7.0/d3.min'}")
        >>> "cdnjs" in page, "data:application/javascript;base64," in page
        (False, True)
    """
    import base64
    from importlib.resources import files

    vendor = files("rerankkit.explain").joinpath("vendor")
    if _CDN_REQUIRE in page:
        script = vendor.joinpath("require.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
        page = page.replace(_CDN_REQUIRE, f"<script>{script}</script>")
    for url, name in _CDN_MODULES.items():
        if url in page:
            data = base64.b64encode(vendor.joinpath(name).read_bytes()).decode("ascii")
            page = page.replace(url, f"data:application/javascript;base64,{data}")
    return page


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
    batch = torch.tensor([ids])
    segments = reranker.token_type_ids(batch, torch.ones_like(batch))
    extra = {} if segments is None else {"token_type_ids": segments.to(model.device)}
    with torch.inference_mode():
        out = model(input_ids=batch.to(model.device), output_attentions=True, **extra)
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
    note = f"<p style='color:#5c4500'><b>{LOOK_INSIDE_NOTE}</b> {OFFLINE_NOTE}</p>"
    return HTML(note + offline_html(drawn.data))
