"""From subword tokens to the words a reader sees, for the query and the passage of one pair.

A *word* is a whitespace-separated run of text (the tokenizer's own pre-tokenization:
XLM-R's SentencePiece pieces that start a word begin with ``"▁"``), with one exception:
scripts written without spaces (Han, kana, Thai, Lao, Khmer, Myanmar) have no
whitespace words, so there each **tokenizer piece** is a word. For bge-reranker-v2-m3
those pieces are often whole Chinese words (北京, 首都); for small tokenizers they are
single characters. A bare ``"▁"`` piece is glued to the piece after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["WordSpan", "group_words", "is_unspaced"]

# Scripts written without spaces between words.
_UNSPACED_RANGES = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x3000, 0x30FF),  # CJK punctuation, hiragana, katakana
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF00, 0xFFEF),  # half- and full-width forms
    (0x20000, 0x2FFFF),  # CJK extensions B and later
)


def is_unspaced(char: str) -> bool:
    """Whether a character belongs to a script written without spaces.

    Example:
        >>> is_unspaced("北"), is_unspaced("a"), is_unspaced("한")
        (True, False, False)
    """
    code = ord(char)
    return any(lo <= code <= hi for lo, hi in _UNSPACED_RANGES)


@dataclass(frozen=True)
class WordSpan:
    """One word of the query (side 0) or the passage (side 1) and the tokens it covers."""

    side: int
    start: int
    end: int
    tokens: tuple[int, ...]


def group_words(
    pieces: Sequence[str],
    word_ids: Sequence[int | None],
    sequence_ids: Sequence[int | None],
    offsets: Sequence[tuple[int, int]],
    texts: tuple[str, str],
) -> list[WordSpan]:
    """Group token positions into words, in order (query words first, then passage words).

    Args:
        pieces: Token strings of the pair (``encoding.tokens()``).
        word_ids: The fast tokenizer's ``word_ids()``.
        sequence_ids: The fast tokenizer's ``sequence_ids()`` (0 query, 1 passage, None special).
        offsets: Character offsets of each token in its own text.
        texts: ``(query, passage)``.

    Example:
        >>> spans = group_words(["<s>", "▁Hi", "!", "</s>", "</s>", "▁北", "京", "</s>"],
        ...                     [None, 0, 0, None, None, 0, 0, None], [None, 0, 0, None, None, 1, 1, None],
        ...                     [(0, 0), (0, 2), (2, 3), (0, 0), (0, 0), (0, 1), (1, 2), (0, 0)], ("Hi!", "北京"))
        >>> [(s.side, s.start, s.end, s.tokens) for s in spans]
        [(0, 0, 3, (1, 2)), (1, 0, 1, (5,)), (1, 1, 2, (6,))]
    """
    spans: list[list] = []  # [side, start, end, [tokens], has_content, last_unspaced]
    current_key: tuple[int, int | None] | None = None
    for i, side in enumerate(sequence_ids):
        if side is None:
            current_key = None
            continue
        start, end = offsets[i]
        text = texts[side][start:end]
        bare = pieces[i].strip("▁") == ""
        unspaced = any(is_unspaced(c) for c in text)
        key = (side, word_ids[i])
        unit = spans[-1] if spans else None
        new = (
            unit is None
            or key != current_key
            or (unit[4] and not bare and (unspaced or unit[5]))
        )
        if new:
            spans.append([side, start, end, [i], not bare, unspaced and not bare])
        else:
            assert unit is not None
            unit[1], unit[2] = min(unit[1], start), max(unit[2], end)
            unit[3].append(i)
            if not bare:
                unit[4], unit[5] = True, unspaced
        current_key = key
    return [WordSpan(side=s[0], start=s[1], end=s[2], tokens=tuple(s[3])) for s in spans]
