"""Documents cut into retrieval chunks with the reranker's own tokenizer, each keeping its source offsets.

The windows come from :func:`rerankkit.text.chunking.chunk` (word-aligned, overlapping); sized in the
reranker's tokens, a chunk plus a query fits the reranker's ``max_length`` without being cut.

Example:
    >>> import rerankkit
    >>> rr = rerankkit.load("tiny-random")
    >>> parts = chunk_documents({"doc": "one two three four five six seven eight"}, rr.tokenizer, window=4, overlap=1)
    >>> [(c.id, c.text) for c in parts][:2]
    [('doc#0', 'one two three four'), ('doc#1', 'four five six seven')]
    >>> parts[1].citation
    'doc, characters 14-33'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rerankkit._utils.checks import check_text
from rerankkit.text.chunking import chunk

__all__ = ["RagChunk", "chunk_documents", "DEFAULT_WINDOW", "DEFAULT_OVERLAP"]

DEFAULT_WINDOW = 128  # reranker tokens per chunk: short enough for a query beside it well within 512
DEFAULT_OVERLAP = 16  # tokens shared with the next chunk, so a sentence cut at a border is whole in one of them


@dataclass(frozen=True)
class RagChunk:
    """One retrievable chunk of a document.

    Attributes:
        id: ``<doc_id>#<n>``, unique in a corpus.
        doc_id: The document it comes from.
        text: The chunk's text (a slice of the document).
        start: Character offset in the document.
        end: Character offset just past the chunk.
        n_tokens: Reranker tokens it covers.
    """

    id: str
    doc_id: str
    text: str
    start: int
    end: int
    n_tokens: int

    @property
    def citation(self) -> str:
        """Where the chunk comes from: the document and its character range."""
        return f"{self.doc_id}, characters {self.start}-{self.end}"

    def metadata(self) -> dict[str, str | int]:
        """What a framework document carries about the chunk: ids, offsets and the citation."""
        return {"chunk_id": self.id, "doc_id": self.doc_id, "start": self.start, "end": self.end,
                "citation": self.citation}


def chunk_documents(documents: Mapping[str, str], tokenizer: Any, *, window: int = DEFAULT_WINDOW,
                    overlap: int = DEFAULT_OVERLAP) -> list[RagChunk]:
    """Cut every document into overlapping windows of ``window`` tokens of ``tokenizer``.

    Args:
        documents: ``{doc_id: text}``.
        tokenizer: A fast Hugging Face tokenizer, usually the reranker's (``rr.tokenizer``).
        window: Tokens per chunk.
        overlap: Tokens shared by neighbouring chunks (0 <= overlap < window).
    """
    if not isinstance(documents, Mapping) or not documents:
        raise ValueError("documents must be a non-empty {doc_id: text} mapping")
    out: list[RagChunk] = []
    for doc_id, text in documents.items():
        if not isinstance(doc_id, str) or not doc_id or "#" in doc_id:
            raise ValueError(f"document ids must be non-empty str without '#', got {doc_id!r}")
        text = check_text(text, f"documents[{doc_id!r}]")
        for part in chunk(text, tokenizer, window=window, overlap=overlap):
            out.append(RagChunk(f"{doc_id}#{part.index}", doc_id, part.text, part.start, part.end, part.n_tokens))
    return out
