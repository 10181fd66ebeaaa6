"""Curated query/passage sets with graded relevance labels, checked against a schema when loaded.

Every set loads into one protocol: a :class:`CaseSet` whose ``cases`` are :class:`Case` objects
(a query and its labelled :class:`Passage` objects). ``cross_lingual`` is stored as facts written in
many languages; its ``cases`` are the facts expanded per query language (see :meth:`CaseSet.expand`).

Relevance grades: 2 answers the query (role ``relevant``), 1 helps but does not answer (``partial``),
0 is wrong (``distractor``, a trap full of the query's words, or ``negative``, unrelated).

Example:
    >>> from rerankkit import cases
    >>> cases.names()
    ['cross_lingual', 'keyword_traps', 'product_search', 'workplace_qa']
    >>> traps = cases.load("keyword_traps")
    >>> case = traps["kt-en-001"]
    >>> case.query
    'How to improve the generalization of deep learning models?'
    >>> [p.relevance for p in case.passages][:3]
    [2, 1, 0]
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from rerankkit.errors import CaseDataError

__all__ = ["names", "load", "CaseSet", "Case", "Passage", "Fact", "CaseDataError", "TRAPS", "ROLES", "DATA_DIR"]

DATA_DIR = Path(__file__).parent / "data"
ROLES = ("relevant", "partial", "distractor", "negative")
TRAPS = ("keyword_stuffing", "negation", "entity_swap", "wrong_aspect", "role_swap", "topic_neighbour")
_ROLE_GRADE = {"relevant": 2, "partial": 1, "distractor": 0, "negative": 0}
_LANG = re.compile(r"^[a-z]{2,3}$")


@dataclass(frozen=True)
class Passage:
    """One labelled passage of a case.

    Attributes:
        id: Id within its case (``p1``) or, for cross-lingual facts, ``<fact>:<lang>``.
        text: The passage.
        relevance: 2 answers the query, 1 partly, 0 not.
        role: ``relevant``, ``partial``, ``distractor`` or ``negative``.
        trap: For distractors, how they mislead (one of :data:`TRAPS`); else ``None``.
        language: ISO code of the passage's language, when known.
        uid: Id unique across the whole set (``<case>/<passage>``; cross-lingual passages are shared by queries).
    """

    id: str
    text: str
    relevance: int
    role: str
    trap: str | None = None
    language: str | None = None
    uid: str = ""


@dataclass(frozen=True)
class Case:
    """A query with labelled passages.

    Attributes:
        id: Unique id in its set, e.g. ``kt-en-001``.
        languages: The query's language first, then the passages' language when it differs.
        query: The query text.
        passages: Labelled passages, in file order (the relevant one is not always first).
        note: Why the case is hard, for readers.
        same_question_as: Ids of cases in the same file that ask the same question (in another language):
            their passages are judged for this query too, with their own grades.
        other_judgements: ``(passage uid, grade)`` of those cases' passages, for this query.
    """

    id: str
    languages: tuple[str, ...]
    query: str
    passages: tuple[Passage, ...]
    note: str = ""
    same_question_as: tuple[str, ...] = ()
    other_judgements: tuple[tuple[str, int], ...] = ()

    @property
    def query_language(self) -> str:
        """ISO code of the query's language."""
        return self.languages[0]

    @property
    def texts(self) -> list[str]:
        """Passage texts in file order."""
        return [p.text for p in self.passages]

    @property
    def relevance(self) -> list[int]:
        """Relevance grades in file order."""
        return [p.relevance for p in self.passages]

    def qrels(self, *, own_only: bool = False) -> dict[str, int]:
        """Grades keyed by passage ``uid`` (the form the metrics take), the passages of cases that ask the same
        question included unless ``own_only``."""
        own = {p.uid: p.relevance for p in self.passages}
        return own if own_only else {**dict(self.other_judgements), **own}

    def passage(self, passage_id: str) -> Passage:
        """The passage with this id; ``KeyError`` naming the ids that exist otherwise."""
        for p in self.passages:
            if p.id == passage_id:
                return p
        raise KeyError(f"case {self.id!r} has no passage {passage_id!r}; it has {[p.id for p in self.passages]}")


@dataclass(frozen=True)
class Fact:
    """One fact of the cross-lingual set: the same question and answer written in many languages."""

    id: str
    topic: str
    queries: dict[str, str]
    passages: dict[str, str]


@dataclass(frozen=True)
class CaseSet(Sequence[Case]):
    """A named set of cases; iterate it, index it by position or by case id.

    Attributes:
        name: File name without ``.json``.
        description: What the set is for.
        languages: Every language that occurs, sorted (cross-lingual: in file order).
        facts: Cross-lingual facts (empty for other sets).
        negatives: Cross-lingual unrelated passages (empty for other sets).
    """

    name: str
    description: str
    languages: tuple[str, ...]
    stored_cases: tuple[Case, ...] = ()
    facts: tuple[Fact, ...] = ()
    negatives: tuple[Passage, ...] = ()
    _expanded: list = field(default_factory=list, repr=False, compare=False)

    @property
    def cases(self) -> tuple[Case, ...]:
        """The cases; for cross-lingual sets, every fact expanded for every query language."""
        if not self.facts:
            return self.stored_cases
        if not self._expanded:
            self._expanded.append(self.expand())
        return self._expanded[0]

    def __len__(self) -> int:
        return len(self.cases)

    def __iter__(self) -> Iterator[Case]:
        return iter(self.cases)

    def __getitem__(self, key):
        if isinstance(key, str):
            for case in self.cases:
                if case.id == key:
                    return case
            raise KeyError(f"{self.name} has no case {key!r}; ids look like {self.cases[0].id!r}")
        return self.cases[key]

    def __repr__(self) -> str:
        what = f"{len(self.facts)} facts, {len(self.negatives)} negatives" if self.facts else f"{len(self)} cases"
        return f"CaseSet({self.name!r}: {what}; languages {', '.join(self.languages)})"

    def fact(self, fact_id: str) -> Fact:
        """The cross-lingual fact with this id."""
        for f in self.facts:
            if f.id == fact_id:
                return f
        raise KeyError(f"{self.name} has no fact {fact_id!r}; ids: {[f.id for f in self.facts][:5]}...")

    def fact_passages(self, fact_ids: Sequence[str] | None = None,
                      languages: Sequence[str] | None = None) -> list[Passage]:
        """Passages of the chosen facts (default all) in the chosen languages, unlabelled (relevance 0)."""
        langs = self._check_languages(languages, "languages")
        chosen = self.facts if fact_ids is None else [self.fact(f) for f in fact_ids]
        return [
            Passage(id=f"{f.id}:{lang}", text=f.passages[lang], relevance=0, role="negative", language=lang,
                    uid=f"{f.id}:{lang}")
            for f in chosen for lang in langs
        ]

    def expand(self, query_languages: Sequence[str] | None = None, passage_languages: Sequence[str] | None = None,
               facts: Sequence[str] | None = None, with_negatives: bool = True) -> tuple[Case, ...]:
        """Cross-lingual facts as cases: one per fact and query language.

        Each case's passages are every chosen fact's passage in every passage language: the same
        fact's are relevant (2), other facts' and the negatives are not (0).

        Args:
            query_languages: Languages to ask in (default: all).
            passage_languages: Languages of the candidate passages (default: all).
            facts: Fact ids to use, both as queries and as passages (default: all).
            with_negatives: Add the unrelated negatives written in the passage languages.

        Example:
            >>> from rerankkit import cases
            >>> xl = cases.load("cross_lingual")
            >>> c = xl.expand(["en"], ["en", "zh"], facts=["f01", "f02"])[0]
            >>> c.id, [(p.id, p.relevance) for p in c.passages if p.role != "negative"]
            ('f01-en', [('f01:en', 2), ('f01:zh', 2)])
        """
        if not self.facts:
            raise ValueError(f"{self.name} has no facts to expand; only cross_lingual does")
        q_langs = self._check_languages(query_languages, "query_languages")
        p_langs = self._check_languages(passage_languages, "passage_languages")
        chosen = self.facts if facts is None else [self.fact(f) for f in facts]
        negatives = [n for n in self.negatives if n.language in p_langs] if with_negatives else []
        out = []
        for f in chosen:
            for q_lang in q_langs:
                passages = [
                    Passage(id=f"{g.id}:{lang}", text=g.passages[lang], relevance=2 if g is f else 0,
                            role="relevant" if g is f else "negative", language=lang, uid=f"{g.id}:{lang}")
                    for g in chosen for lang in p_langs
                ] + negatives
                out.append(Case(id=f"{f.id}-{q_lang}", languages=(q_lang, *[x for x in p_langs if x != q_lang]),
                                query=f.queries[q_lang], passages=tuple(passages), note=f.topic))
        return tuple(out)

    def _check_languages(self, languages: Sequence[str] | None, name: str) -> list[str]:
        if languages is None:
            return list(self.languages)
        if isinstance(languages, str):
            languages = [languages]
        unknown = [x for x in languages if x not in self.languages]
        if unknown or not languages:
            raise ValueError(f"{name}={list(languages)!r}: {self.name} has languages {list(self.languages)}")
        return list(languages)


def names() -> list[str]:
    """Names of the packaged case sets.

    Example:
        >>> "keyword_traps" in names()
        True
    """
    return sorted(p.stem for p in DATA_DIR.glob("*.json"))


def load(name: str | os.PathLike) -> CaseSet:
    """Load a packaged case set by name, or any file in the same schema by path.

    Raises:
        CaseDataError: The file breaks the schema (the message names the file, the entry and the fix).
        KeyError: No packaged set has that name.
    """
    path = Path(name) if isinstance(name, os.PathLike) or str(name).endswith(".json") else DATA_DIR / f"{name}.json"
    if not path.is_file():
        if path.parent == DATA_DIR:
            raise KeyError(f"no case set named {str(name)!r}; choose one of {names()}")
        raise FileNotFoundError(f"case file {path} does not exist")
    return _load_path(path.resolve(), path.stat().st_mtime_ns)


@lru_cache(maxsize=16)
def _load_path(path: Path, _mtime: int) -> CaseSet:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CaseDataError(f"{path.name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from exc
    return _parse(data, path.name)


# -- schema check -----------------------------------------------------------------------
def _fail(file: str, where: str, problem: str) -> None:
    raise CaseDataError(f"{file}: {where}: {problem}")


def _text(value: object, file: str, where: str, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        _fail(file, where, f"{key!r} must be a non-empty string, got {value!r}")
    return value  # type: ignore[return-value]


def _header(data: object, file: str) -> tuple[str, str]:
    if not isinstance(data, dict):
        raise CaseDataError(f"{file}: the top level must be an object with 'name' and 'description'")
    for key in ("name", "description"):
        _text(data.get(key), file, "top level", key)
    return data["name"], data["description"]


def _parse(data: object, file: str) -> CaseSet:
    name, description = _header(data, file)
    assert isinstance(data, dict)
    if "facts" in data:
        return _parse_facts(data, file, name, description)
    raw_cases = data.get("cases")
    if not isinstance(raw_cases, list) or not raw_cases:
        raise CaseDataError(f"{file}: 'cases' must be a non-empty list (or give 'facts' for a cross-lingual set)")
    seen: set[str] = set()
    cases = []
    for i, raw in enumerate(raw_cases):
        where = f"cases[{i}]"
        if not isinstance(raw, dict):
            _fail(file, where, "each case must be an object")
        case_id = _text(raw.get("id"), file, where, "id")
        where = f"cases[{i}] (id {case_id!r})"
        if case_id in seen:
            _fail(file, where, "duplicate case id; ids must be unique in a file")
        seen.add(case_id)
        unknown = set(raw) - {"id", "languages", "query", "note", "passages", "same_question_as"}
        if unknown:
            _fail(file, where, f"unknown keys {sorted(unknown)}; allowed: id, languages, query, note, passages, "
                               "same_question_as")
        twins = raw.get("same_question_as", [])
        if not isinstance(twins, list) or not all(isinstance(x, str) and x != case_id for x in twins):
            _fail(file, where, "'same_question_as' must be a list of other case ids of this file")
        langs = raw.get("languages")
        if not isinstance(langs, list) or not langs or not all(isinstance(x, str) and _LANG.match(x) for x in langs):
            _fail(file, where, f"'languages' must be a non-empty list of ISO 639-1 codes like 'en', got {langs!r}")
        query = _text(raw.get("query"), file, where, "query")
        note = raw.get("note", "")
        if not isinstance(note, str):
            _fail(file, where, "'note' must be a string")
        passages = _parse_passages(raw.get("passages"), file, where, case_id, langs[-1])
        cases.append(Case(id=case_id, languages=tuple(langs), query=query, passages=passages, note=note,
                          same_question_as=tuple(twins)))
    cases = _judge_across(cases, file)
    languages = tuple(sorted({x for c in cases for x in c.languages}))
    return CaseSet(name=name, description=description, languages=languages, stored_cases=tuple(cases))


def _judge_across(cases: list[Case], file: str) -> list[Case]:
    """Judge the passages of cases that ask the same question for each other (both ways, with their own grades)."""
    by_id = {c.id: c for c in cases}
    out = []
    for case in cases:
        for twin in case.same_question_as:
            if twin not in by_id:
                _fail(file, f"case {case.id!r}", f"'same_question_as' names {twin!r}, which is not a case of this file")
            if case.id not in by_id[twin].same_question_as:
                _fail(file, f"case {case.id!r}", f"'same_question_as' names {twin!r}, but {twin!r} does not name "
                                                 f"{case.id!r}: the same question goes both ways")
        judged = tuple((p.uid, p.relevance) for twin in case.same_question_as for p in by_id[twin].passages)
        out.append(replace(case, other_judgements=judged) if judged else case)
    return out


def _parse_passages(raw: object, file: str, where: str, case_id: str, language: str) -> tuple[Passage, ...]:
    if not isinstance(raw, list) or len(raw) < 2:
        _fail(file, where, "'passages' must be a list of at least two passages")
    assert isinstance(raw, list)
    out: list[Passage] = []
    for j, p in enumerate(raw):
        if not isinstance(p, dict):
            _fail(file, where, f"passages[{j}] must be an object")
        pid = _text(p.get("id"), file, where, f"passages[{j}].id")
        label = f"passage {pid!r}"
        if any(q.id == pid for q in out):
            _fail(file, where, f"{label} appears twice; passage ids must be unique in a case")
        unknown = set(p) - {"id", "text", "relevance", "role", "trap"}
        if unknown:
            _fail(file, where, f"{label} has unknown keys {sorted(unknown)}; allowed: id, text, relevance, role, trap")
        text = _text(p.get("text"), file, where, f"{pid}.text")
        rel = p.get("relevance")
        if isinstance(rel, bool) or rel not in (0, 1, 2):
            _fail(file, where, f"{label} has relevance {rel!r}; use 0, 1 or 2")
        role = p.get("role")
        if role not in ROLES:
            _fail(file, where, f"{label} has role {role!r}; use one of {', '.join(ROLES)}")
        if _ROLE_GRADE[role] != rel:
            _fail(file, where, f"{label} has role {role!r} but relevance {rel}; a {role} passage has relevance "
                               f"{_ROLE_GRADE[role]}")
        trap = p.get("trap")
        if trap is not None and (role != "distractor" or trap not in TRAPS):
            _fail(file, where, f"{label} has trap {trap!r}; only distractors carry a trap, one of {', '.join(TRAPS)}")
        if role == "distractor" and trap is None:
            _fail(file, where, f"{label} is a distractor without a 'trap'; name one of {', '.join(TRAPS)}")
        out.append(Passage(id=pid, text=text, relevance=rel, role=role, trap=trap, language=language,
                           uid=f"{case_id}/{pid}"))
    if not any(p.relevance == 2 for p in out):
        _fail(file, where, "no passage has relevance 2; every case needs at least one relevant passage")
    return tuple(out)


def _parse_facts(data: dict, file: str, name: str, description: str) -> CaseSet:
    langs = data.get("languages")
    if not isinstance(langs, list) or not langs or not all(isinstance(x, str) and _LANG.match(x) for x in langs):
        raise CaseDataError(f"{file}: 'languages' must be a non-empty list of ISO 639-1 codes, got {langs!r}")
    raw_facts = data.get("facts")
    if not isinstance(raw_facts, list) or not raw_facts:
        raise CaseDataError(f"{file}: 'facts' must be a non-empty list")
    facts: list[Fact] = []
    for i, raw in enumerate(raw_facts):
        where = f"facts[{i}]"
        if not isinstance(raw, dict):
            _fail(file, where, "each fact must be an object")
        fid = _text(raw.get("id"), file, where, "id")
        where = f"facts[{i}] (id {fid!r})"
        if any(f.id == fid for f in facts):
            _fail(file, where, "duplicate fact id")
        topic = _text(raw.get("topic"), file, where, "topic")
        texts = {}
        for key in ("queries", "passages"):
            block = raw.get(key)
            if not isinstance(block, dict):
                _fail(file, where, f"{key!r} must be an object mapping language to text")
            missing = [x for x in langs if x not in block]
            extra = [x for x in block if x not in langs]
            if missing or extra:
                _fail(file, where, f"{key!r} must have exactly the file's languages: missing {missing}, extra {extra}")
            texts[key] = {lang: _text(block[lang], file, where, f"{key}.{lang}") for lang in langs}
        facts.append(Fact(id=fid, topic=topic, queries=texts["queries"], passages=texts["passages"]))
    negatives: list[Passage] = []
    for i, raw in enumerate(data.get("negatives", [])):
        where = f"negatives[{i}]"
        if not isinstance(raw, dict):
            _fail(file, where, "each negative must be an object with id, language, text")
        nid = _text(raw.get("id"), file, where, "id")
        lang = raw.get("language")
        if lang not in langs:
            _fail(file, f"{where} (id {nid!r})", f"language {lang!r} is not one of the file's languages {langs}")
        if nid in {n.id for n in negatives} or nid in {f.id for f in facts}:
            _fail(file, f"{where} (id {nid!r})", "duplicate id")
        text = _text(raw.get("text"), file, where, "text")
        negatives.append(Passage(id=nid, text=text, relevance=0, role="negative", language=lang, uid=nid))
    return CaseSet(name=name, description=description, languages=tuple(langs), facts=tuple(facts),
                   negatives=tuple(negatives))
