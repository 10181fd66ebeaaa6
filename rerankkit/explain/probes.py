"""What-if probes: controlled edits of one pair and how the raw logit moves.

Each probe edits the query or the passage in one way a reader can name (repeat a query
term, append off-topic text, drop a query term, shuffle the words, swap the two texts,
negate the key sentence). All edited pairs are scored in one batched call.

The key term is the longest query word found in the passage (else the longest query word);
the key sentence is the passage sentence sharing most words with the query. Words are runs of
letters, digits and combining marks, so a Devanagari or Arabic word keeps its vowel signs (``\\w``
alone would cut "भारत" into "भ" and "रत"). Negation is a simple English rule ("is" -> "is not",
else "It is not true that ..."), applied to English sentences only. An edit the model never reads
(beyond the max_length cut of a long passage) is reported as such, not scored as a change of 0.
"""

from __future__ import annotations

import html
import random
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from rerankkit._utils.checks import check_positive_int, check_text
from rerankkit.text.words import is_unspaced

if TYPE_CHECKING:
    import pandas as pd

    from rerankkit.scoring.reranker import Reranker

__all__ = ["Probe", "ProbeTable", "probes", "OFF_TOPIC", "key_term", "key_sentence", "negate"]

OFF_TOPIC = "The recipe needs two cups of flour, a pinch of salt and forty minutes in a hot oven."
_SENTENCE = re.compile(r"(?<=[.!?。！？])\s*")
_AUXILIARIES = ("is", "are", "was", "were", "can", "could", "will", "would", "should", "has", "have", "had", "does",
                "do", "did", "must", "may", "might")


@dataclass(frozen=True)
class Probe:
    """One edit and its effect.

    Attributes:
        edit: What was changed, in words.
        side: Which text was edited: ``query``, ``passage`` or ``both``.
        query: The edited query.
        passage: The edited passage.
        score: Raw logit of the edited pair (NaN when the edit does not apply).
        change: ``score`` minus the original raw logit.
        note: Why an edit did not apply, or what it picked.
    """

    edit: str
    side: str
    query: str
    passage: str
    score: float
    change: float
    note: str = ""


def _is_word_char(char: str) -> bool:
    """Letters, digits, ``_`` and combining marks (Devanagari vowel signs, Arabic harakat): the parts of a word."""
    return char.isalnum() or char == "_" or unicodedata.category(char).startswith("M")


def _words(text: str) -> list[str]:
    """The words of a text, whole: combining marks stay with their letters.

    Example:
        >>> _words("भारत की राजधानी नई दिल्ली है।")
        ['भारत', 'की', 'राजधानी', 'नई', 'दिल्ली', 'है']
    """
    words, current = [], []
    for char in text:
        if _is_word_char(char):
            current.append(char)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words


def _is_english(sentence: str) -> bool:
    """Whether most letters are Latin (the negation rule is English)."""
    letters = [c for c in sentence if c.isalpha()]
    return bool(letters) and sum(ord(c) < 0x250 for c in letters) >= 0.8 * len(letters)


def key_term(query: str, passage: str) -> str | None:
    """The longest query word found in the passage (case-insensitive), else the longest query word; ``None`` when
    there is none, or when the only candidate is a run of a script written without spaces (Chinese, Japanese):
    that run is a whole phrase, not a word.

    Example:
        >>> key_term("What is the capital of France?", "Paris is the capital of France.")
        'capital'
        >>> key_term("中国的首都是哪里?", "Beijing is the capital of China.") is None
        True
    """
    words = [w for w in _words(query) if len(w) > 1] or _words(query)
    if not words:
        return None
    present = {w.lower() for w in _words(passage)}
    shared = [w for w in words if w.lower() in present]
    spaced = [w for w in words if not any(is_unspaced(c) for c in w)]
    candidates = shared or spaced
    return max(candidates, key=len) if candidates else None


def key_sentence(query: str, passage: str) -> str:
    """The passage sentence that shares most words with the query (the first one on a tie).

    Example:
        >>> key_sentence("capital of France", "It rains. Paris is the capital of France. It is big.")
        'Paris is the capital of France.'
    """
    sentences = [s for s in _SENTENCE.split(passage.strip()) if s.strip()] or [passage]
    query_words = {w.lower() for w in _words(query)}
    return max(sentences, key=lambda s: len(query_words & {w.lower() for w in _words(s)}))


def negate(sentence: str) -> str:
    """Negate an English sentence with a simple rule; a sentence in another language comes back unchanged
    (wrapping it in an English clause would test language mixing, not negation).

    Example:
        >>> negate("Paris is the capital of France.")
        'Paris is not the capital of France.'
        >>> negate("Pandas eat bamboo.")
        'It is not true that pandas eat bamboo.'
        >>> negate("नई दिल्ली भारत की राजधानी है।")
        'नई दिल्ली भारत की राजधानी है।'
    """
    if not _is_english(sentence):
        return sentence
    pattern = re.compile(r"\b(" + "|".join(_AUXILIARIES) + r")\b(?!\s+not\b)", re.IGNORECASE)
    match = pattern.search(sentence)
    if match:
        return sentence[: match.end()] + " not" + sentence[match.end() :]
    body = sentence.strip()
    if body[:1].isupper() and body[1:2].islower():
        body = body[0].lower() + body[1:]
    return "It is not true that " + body


def _drop(term: str, text: str) -> str:
    """``text`` without every whole-word occurrence of ``term`` (never a part of a longer word).

    Example:
        >>> _drop("रत", "भारत की राजधानी"), _drop("भारत", "भारत की राजधानी")
        ('भारत की राजधानी', 'की राजधानी')
    """
    if not term:
        return text
    kept, last = [], 0
    for match in re.finditer(re.escape(term), text, flags=re.IGNORECASE):
        start, end = match.span()
        if (start > 0 and _is_word_char(text[start - 1])) or (end < len(text) and _is_word_char(text[end])):
            continue  # inside a longer word
        kept.append(text[last:start])
        last = end
    kept.append(text[last:])
    return re.sub(r"\s{2,}", " ", "".join(kept)).strip()


def _shown_score(row: Probe) -> str:
    if not np.isnan(row.score):
        return f"{row.score:+.3f}"
    return "never read" if row.note.startswith("never read") else "not run"


class ProbeTable:
    """The probes of one pair: a row per edit, with the new raw logit and the change.

    Renders as a table in Jupyter; :meth:`to_frame` gives a DataFrame.
    """

    def __init__(self, query: str, passage: str, score: float, rows: list[Probe], *, model_label: str = "",
                 random_weights: bool = False) -> None:
        self.query = query
        self.passage = passage
        self.score = score
        self.rows = rows
        self.model_label = model_label
        self.random_weights = random_weights

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __getitem__(self, edit: str) -> Probe:
        for row in self.rows:
            if row.edit == edit:
                return row
        raise KeyError(f"no probe named {edit!r}; probes: {[r.edit for r in self.rows]}")

    def to_frame(self) -> pd.DataFrame:
        """One row per edit: edit, side, edited text, score (raw logit), change, note."""
        import pandas as pd

        return pd.DataFrame(
            [
                {"edit": r.edit, "side": r.side,
                 "edited text": r.query if r.side == "query" else r.passage if r.side == "passage"
                 else f"{r.query} || {r.passage}", "score": r.score, "change": r.change, "note": r.note}
                for r in self.rows
            ]
        )

    def __repr__(self) -> str:
        lines = [f"Probes of {self.query!r} (raw logit {self.score:+.4f}, model {self.model_label})"]
        lines += [f"  {r.edit:<28} " + (f"{_shown_score(r)}: {r.note}" if np.isnan(r.score)
                                         else f"{r.score:+8.3f}  ({r.change:+.3f})") for r in self.rows]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return self.to_html()

    def to_html(self, *, banner: bool = False) -> str:
        """The table as HTML; the header names the model with its label (which says "random weights" when it
        applies); ``banner=True`` adds the yellow random-weights banner."""
        from rerankkit.display.style import FAIL_COLOUR, PASS_COLOUR, random_weights_banner, styled

        def cell(r: Probe) -> str:
            text = r.query if r.side == "query" else r.passage if r.side == "passage" else f"{r.query} ‖ {r.passage}"
            return html.escape(text if len(text) <= 160 else text[:159] + "…")

        body = "".join(
            f"<tr data-edit='{html.escape(r.edit)}'><td>{html.escape(r.edit)}</td><td>{r.side}</td>"
            f"<td>{cell(r)}</td><td>{_shown_score(r)}</td>"
            f"<td style='color:{PASS_COLOUR if r.change > 0 else FAIL_COLOUR};font-weight:600'>"
            f"{'' if np.isnan(r.change) else f'{r.change:+.3f}'}</td>"
            f"<td style='color:#666'>{html.escape(r.note)}</td></tr>"
            for r in self.rows
        )
        warning = random_weights_banner(self.model_label) if banner and self.random_weights else ""
        return styled(
            f"<div class='rk-probes'>{warning}<div>What-if probes · original raw logit <b>{self.score:+.4f}</b> · "
            f"model {html.escape(self.model_label)}</div><table class='rk-table'><thead><tr><th>edit</th><th>side</th>"
            f"<th>edited text</th><th>raw logit</th><th>change</th><th>note</th></tr></thead>"
            f"<tbody>{body}</tbody></table></div>"
        )


def probes(reranker: Reranker, query: str, passage: str, *, off_topic: str = OFF_TOPIC, repeats: int = 3,
           seed: int = 0) -> ProbeTable:
    """Score controlled edits of one pair and report how the raw logit changes.

    Args:
        reranker: A loaded reranker.
        query: The query.
        passage: The passage.
        off_topic: Text appended by the "append off-topic text" probe.
        repeats: How often the key term is appended by the "repeat a query term" probe.
        seed: Seed of the word shuffle.

    Example:
        >>> import rerankkit
        >>> rr = rerankkit.load("tiny-random")
        >>> table = probes(rr, "capital of France?", "Paris is the capital of France.")
        >>> [r.edit for r in table][:2]
        ['repeat a query term', 'append off-topic text']
        >>> table.to_frame().shape[0]
        6
    """

    query, passage = check_text(query, "query"), check_text(passage, "passage")
    check_positive_int(repeats, "repeats")
    off_topic = check_text(off_topic, "off_topic")
    term = key_term(query, passage)
    in_passage = term is not None and term.lower() in {w.lower() for w in _words(passage)}
    words = passage.split()
    shuffled = words[:]
    random.Random(seed).shuffle(shuffled)
    sentence = key_sentence(query, passage)
    negated = negate(sentence)

    edits: list[tuple[str, str, str, str, str]] = [  # edit, side, query, passage, note
        ("repeat a query term", "passage", query, f"{passage} {' '.join([term] * repeats)}" if term else passage,
         f"appended {term!r} x{repeats}" if term else "no query word to repeat: the query has no space-separated "
         "word (Chinese and Japanese are written without spaces)"),
        ("append off-topic text", "passage", query, f"{passage} {off_topic}", ""),
        ("drop a query term", "passage", query, _drop(term or "", passage) if in_passage else passage,
         f"removed every {term!r}" if in_passage else "no query word occurs in the passage"),
        ("shuffle the passage words", "passage", query, " ".join(shuffled), f"seed {seed}"),
        ("swap query and passage", "both", passage, query, ""),
        ("negate the key sentence", "passage", query, passage.replace(sentence, negated, 1),
         f"{sentence!r} -> {negated!r} (English rule)" if negated != sentence
         else "the negation rule is English only and this sentence is not English: not run"),
    ]
    applies = [
        bool(term),
        True,
        in_passage and bool(_drop(term or "", passage).strip()),
        len(words) > 1,
        True,
        negated != sentence,
    ]
    # An edit the model never reads (beyond the max_length cut) leaves the tokens it reads unchanged.
    encoded = reranker.encode([(query, passage)] + [(q, p) for _, _, q, p, _ in edits])
    read = encoded.input_ids[0]
    unread = [ok and ids == read for ok, ids in zip(applies, encoded.input_ids[1:])]
    pairs = [(query, passage)] + [(q, p) for (_, _, q, p, _), ok, cut in zip(edits, applies, unread) if ok and not cut]
    scores = iter(reranker.score(pairs))
    original = float(next(scores))
    rows = []
    for (edit, side, q, p, note), ok, cut in zip(edits, applies, unread):
        score = float(next(scores)) if ok and not cut else float("nan")
        if cut:
            note = (f"never read: the edit lies beyond the {encoded.max_length}-token cut (max_length), so the model "
                    "read exactly the original tokens")
        if not ok and not note:
            note = "not applicable to this pair"
        if edit == "shuffle the passage words" and not ok:
            note = "the passage has one word"
        rows.append(Probe(edit=edit, side=side, query=q, passage=p, score=score, change=score - original, note=note))
    return ProbeTable(query, passage, original, rows, model_label=reranker.info.label,
                      random_weights=reranker.info.random_weights)
