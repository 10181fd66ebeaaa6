"""Offline RAG corpora with known answers: the kit's evaluation fixture and its cross-lingual fact set.

Every question comes with the ids of the documents that answer it (graded 2 in the qrels, or the fact's own
passage); after chunking, a chunk is *answer-bearing* when it comes from such a document. That is what context
recall and precision are measured against (:mod:`rerankkit.rag.evaluate`).

* :func:`pooled_corpus`: the fixture's passages in some languages, pooled with the fact set's passages and
  negatives in those languages; the fixture's questions in those languages.
* :func:`crosslingual_corpus`: the fact set's questions in one language over the pooled documents of another
  (a subset of :func:`pooled_corpus`'s documents, so one vector collection serves both).

Example:
    >>> corpus = pooled_corpus(("en", "zh"))
    >>> len(corpus.documents) > 300, all(q.answer_docs <= corpus.documents.keys() for q in corpus.questions)
    (True, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rerankkit import cases
from rerankkit.evaluation.datasets import load_fixture

__all__ = ["RagQuestion", "RagCorpus", "pooled_corpus", "crosslingual_corpus"]


@dataclass(frozen=True)
class RagQuestion:
    """A question and the documents that answer it.

    Attributes:
        id: Question id.
        text: The question.
        answer_docs: Ids of the documents that answer it.
        language: ISO code of the question's language.
    """

    id: str
    text: str
    answer_docs: frozenset[str]
    language: str


@dataclass(frozen=True)
class RagCorpus:
    """Documents (``{doc_id: text}``) and questions with known answer documents."""

    name: str
    documents: dict[str, str]
    questions: tuple[RagQuestion, ...]


def _language(fixture_id: str) -> str:
    return fixture_id.split("/")[0].split("-")[1]  # kt-en-001/p1 -> en


def _doc_id(raw: str) -> str:
    return raw.replace("#", "_")  # '#' separates a document id from its chunk number


def _documents(language: str) -> dict[str, str]:
    facts = cases.load("cross_lingual")
    if language not in facts.languages:
        raise ValueError(f"language {language!r}: the fact set has {list(facts.languages)}")
    docs = {_doc_id(d): text for d, text in load_fixture().docs.items() if _language(d) == language}
    docs |= {f"{f.id}:{language}": f.passages[language] for f in facts.facts}
    docs |= {n.id: n.text for n in facts.negatives if n.language == language}
    return docs


def pooled_corpus(languages: Sequence[str] = ("en", "zh")) -> RagCorpus:
    """The fixture's questions in ``languages`` (those with a passage graded 2) over every document in them."""
    if isinstance(languages, str) or not languages:
        raise ValueError("languages must be a non-empty list of ISO codes, e.g. ['en', 'zh']")
    documents: dict[str, str] = {}
    for lang in languages:
        documents |= _documents(lang)
    data = load_fixture()
    questions = []
    for qid, text in data.queries.items():
        answers = frozenset(_doc_id(d) for d, grade in data.qrels.get(qid, {}).items() if grade >= 2)
        if answers and _language(qid) in languages:
            questions.append(RagQuestion(qid, text, answers, _language(qid)))
    return RagCorpus(f"evaluation fixture and fact set ({', '.join(languages)})", documents, tuple(questions))


def crosslingual_corpus(question_language: str = "zh", passage_language: str = "en") -> RagCorpus:
    """Questions in one language over documents in another, as in "Chinese questions over English documents".

    The answer is the fact's passage in ``passage_language``; the other documents in that language (the fixture's
    passages, the fact set's other passages and negatives) surround it.

    Example:
        >>> c = crosslingual_corpus("zh", "en")
        >>> q = c.questions[0]
        >>> q.language, sorted(q.answer_docs)[0] in c.documents, len(c.questions)
        ('zh', True, 27)
    """
    facts = cases.load("cross_lingual")
    if question_language not in facts.languages:
        raise ValueError(f"question_language={question_language!r}: the fact set has {list(facts.languages)}")
    documents = _documents(passage_language)
    questions = tuple(RagQuestion(f"{f.id}:{question_language}", f.queries[question_language],
                                  frozenset({f"{f.id}:{passage_language}"}), question_language) for f in facts.facts)
    return RagCorpus(f"fact set: {question_language} questions over {passage_language} documents", documents,
                     questions)
