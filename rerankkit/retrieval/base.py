"""What every first stage shares: the word tokenizer of BM25, the :class:`Candidate` row, input checks."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rerankkit._utils.checks import check_positive_int

__all__ = ["tokenize", "Candidate", "check_corpus", "check_query", "ranked"]

_CJK_RANGES = (
    (0x1100, 0x11FF),  # Hangul Jamo
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3130, 0x318F),  # Hangul compatibility Jamo
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xAC00, 0xD7AF),  # Hangul syllables
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0x20000, 0x2FA1F),  # CJK extensions B and later
)


def _is_cjk(ch: str) -> bool:
    code = ord(ch)
    return any(lo <= code <= hi for lo, hi in _CJK_RANGES)


def tokenize(text: str) -> list[str]:
    """Split text into BM25 terms: words for alphabetic scripts, character bigrams for CJK runs.

    Example:
        >>> tokenize("Was ist die Hauptstadt? 東京は日本の首都です。")
        ['was', 'ist', 'die', 'hauptstadt', '東京', '京は', 'は日', '日本', '本の', 'の首', '首都', '都で', 'です']
        >>> tokenize("पानी 100 °C")
        ['पानी', '100', 'c']
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    text = unicodedata.normalize("NFKC", text).casefold()
    tokens: list[str] = []
    run: list[str] = []
    run_is_cjk = False

    def flush() -> None:
        if not run:
            return
        if run_is_cjk:
            tokens.extend(run if len(run) == 1 else ["".join(run[i : i + 2]) for i in range(len(run) - 1)])
        else:
            tokens.append("".join(run))
        run.clear()

    for ch in text:
        if _is_cjk(ch):
            if not run_is_cjk:
                flush()
                run_is_cjk = True
            run.append(ch)
        elif unicodedata.category(ch)[0] in "LMN":  # letters, combining marks (Devanagari, Arabic), digits
            if run_is_cjk:
                flush()
                run_is_cjk = False
            run.append(ch)
        else:
            flush()
    flush()
    return tokens


@dataclass(frozen=True)
class Candidate:
    """One retrieved passage.

    Attributes:
        rank: 1 for the best.
        index: Position in the retriever's corpus.
        score: The retriever's score (BM25 score, or cosine similarity for dense).
        text: The passage.
    """

    rank: int
    index: int
    score: float
    text: str


def check_corpus(corpus: object) -> list[str]:
    if isinstance(corpus, str) or not isinstance(corpus, Sequence):
        raise TypeError(f"corpus must be a list of str, got {type(corpus).__name__}")
    if not corpus:
        raise ValueError("corpus is empty: pass at least one passage")
    for i, text in enumerate(corpus):
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"corpus[{i}] must be a non-empty str, got {text!r}")
    return list(corpus)


def check_query(query: object) -> str:
    if not isinstance(query, str) or not query.strip():
        raise ValueError(f"query must be a non-empty str, got {query!r}")
    return query


def ranked(scores: np.ndarray, corpus: list[str], k: int | None) -> list[Candidate]:
    check_positive_int(k, "k", allow_none=True)
    order = np.argsort(-scores, kind="stable")[: k or len(corpus)]  # ties keep corpus order
    return [Candidate(rank=r, index=int(i), score=float(scores[i]), text=corpus[i]) for r, i in enumerate(order, 1)]
