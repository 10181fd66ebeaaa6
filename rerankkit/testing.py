"""Helpers for tests: models whose scores are known in advance. No library module imports this one.

Example:
    >>> rr = bag_of_words_reranker({"Paris": 2.0})
    >>> round(float(rr.score("q", "Paris")), 4)
    2.0
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from rerankkit.models.synthetic import tiny_random_path
from rerankkit.scoring.info import ModelInfo
from rerankkit.scoring.reranker import Reranker

__all__ = ["bag_of_words_reranker", "remote_code_model", "REMOTE_CODE_MODULE"]


def bag_of_words_reranker(word_weights: dict[str, float], *, bias: float = 0.0, max_length: int = 512):
    """A :class:`~rerankkit.scoring.reranker.Reranker` whose logit is a known sum of word weights.

    The model is a tiny torch module with the interface of a Hugging Face sequence classifier
    (``get_input_embeddings()``, ``forward(input_ids, attention_mask, position_ids)`` returning
    ``.logits``): a one-dimensional embedding per token, summed over the pair. It uses the
    ``tiny-random`` tokenizer. A word's weight is split evenly over its tokens (the bare
    word-start piece ``"▁"`` excepted); special tokens and all other tokens weigh 0. So the
    logit is ``bias`` plus the weights of the weighted words the pair contains (query and
    passage), and attribution methods have exact answers: deleting such a word lowers the logit
    by its weight, and integrated gradients gives it its weight. Words that share a token with
    another weighted word are refused; an unweighted word sharing a piece with a weighted one
    also gets that piece's share, so exact tests use words that are single pieces.

    Args:
        word_weights: Word -> weight in logit units (a word counts wherever it appears as a
            whitespace word, in either text; trailing punctuation has weight 0).
        bias: Logit of a pair without weighted words.
        max_length: Tokens per pair kept when scoring.

    Example:
        >>> rr = bag_of_words_reranker({"Paris": 2.0, "Berlin": -1.0})
        >>> rr.score("capital?", ["Paris is nice", "Berlin and Paris"]).round(4).tolist()
        [2.0, 1.0]
    """
    import types

    import torch
    from transformers import AutoTokenizer
    from transformers.modeling_outputs import SequenceClassifierOutput

    path = tiny_random_path()
    tokenizer = AutoTokenizer.from_pretrained(path)
    weights = torch.zeros(len(tokenizer), dtype=torch.float32)
    owner: dict[int, str] = {}
    bare = tokenizer.convert_tokens_to_ids("▁")
    for word, weight in word_weights.items():
        # The bare word-start piece "▁" begins many words: it never carries weight.
        ids = [t for t in tokenizer(word, add_special_tokens=False)["input_ids"] if t != bare]
        if not word.strip() or not ids:
            raise ValueError(f"word_weights has an empty word {word!r}")
        for token in ids:
            if token in owner and owner[token] != word:
                piece = tokenizer.convert_ids_to_tokens(token)
                raise ValueError(
                    f"words {owner[token]!r} and {word!r} share the token {piece!r}: their weights would mix; "
                    "choose words that tokenize apart"
                )
            if token == tokenizer.unk_token_id:
                raise ValueError(f"word {word!r} contains characters the tokenizer maps to <unk>")
            owner[token] = word
            weights[token] = float(weight) / len(ids)

    class BagOfWordsScorer(torch.nn.Module):
        """logit = bias + sum over the pair's tokens of a per-token weight."""

        def __init__(self) -> None:
            super().__init__()
            self.embeddings = torch.nn.Embedding(len(weights), 1)
            with torch.no_grad():
                self.embeddings.weight.copy_(weights.unsqueeze(1))
            self.bias = torch.nn.Parameter(torch.tensor(float(bias)))
            self.config = types.SimpleNamespace(model_type="bag-of-words", pad_token_id=tokenizer.pad_token_id)

        @property
        def device(self) -> torch.device:
            return self.bias.device

        def get_input_embeddings(self) -> torch.nn.Embedding:
            return self.embeddings

        def forward(self, input_ids, attention_mask=None, position_ids=None, **_) -> SequenceClassifierOutput:
            values = self.embeddings(input_ids)[..., 0]
            if attention_mask is not None:
                values = values * attention_mask.to(values.dtype)
            return SequenceClassifierOutput(logits=(values.sum(dim=-1) + self.bias).unsqueeze(-1))

    model = BagOfWordsScorer().eval()
    flag = types.SimpleNamespace(model=model, tokenizer=tokenizer)
    info = ModelInfo(
        model_id="bag-of-words", path=os.fspath(path), kind="encoder", flag_class="BagOfWordsScorer",
        device="cpu", dtype="fp32", max_length=max_length, model_max_length=512,
        n_parameters=sum(p.numel() for p in model.parameters()), load_seconds=0.0, random_weights=False,
    )
    return Reranker(flag, info)


REMOTE_CODE_MODULE = "modeling_rerankkit_custom"

_CONFIGURATION_CODE = '''from transformers import XLMRobertaConfig


class CustomRerankerConfig(XLMRobertaConfig):
    model_type = "rerankkit-custom-xlmr"
'''

_MODELING_CODE = '''from transformers import XLMRobertaForSequenceClassification

from .configuration_rerankkit_custom import CustomRerankerConfig


class CustomReranker(XLMRobertaForSequenceClassification):
    """tiny-random's classifier, loaded through the model's own code."""

    config_class = CustomRerankerConfig
'''


def remote_code_model(folder: str | os.PathLike) -> Path:
    """A copy of ``tiny-random`` whose ``config.json`` names model code that lives in the folder.

    ``auto_map`` points ``AutoConfig`` and ``AutoModelForSequenceClassification`` at
    ``configuration_rerankkit_custom.py`` and ``modeling_rerankkit_custom.py`` (subclasses of the
    XLM-R classes), so transformers runs the folder's own code, as for gte or jina rerankers, and
    only with ``trust_remote_code=True``. The weights are tiny-random's.

    Example:
        >>> import tempfile
        >>> path = remote_code_model(tempfile.mkdtemp())
        >>> sorted(json.loads((path / "config.json").read_text())["auto_map"])
        ['AutoConfig', 'AutoModelForSequenceClassification']
    """
    target = Path(folder)
    shutil.copytree(tiny_random_path(), target, dirs_exist_ok=True)
    (target / "configuration_rerankkit_custom.py").write_text(_CONFIGURATION_CODE, encoding="utf-8")
    (target / f"{REMOTE_CODE_MODULE}.py").write_text(_MODELING_CODE, encoding="utf-8")
    config = json.loads((target / "config.json").read_text(encoding="utf-8"))
    config.update(
        model_type="rerankkit-custom-xlmr",
        architectures=["CustomReranker"],
        auto_map={
            "AutoConfig": "configuration_rerankkit_custom.CustomRerankerConfig",
            "AutoModelForSequenceClassification": f"{REMOTE_CODE_MODULE}.CustomReranker",
        },
    )
    (target / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    return target
