"""The case library: schema checks with clear messages, counts and language coverage of every set."""

from __future__ import annotations

import json

import pytest

from rerankkit import cases
from rerankkit.cases import TRAPS, CaseDataError
from rerankkit.retrieval import tokenize


def _overlap(query: str, text: str) -> float:
    q = set(tokenize(query))
    return len(q & set(tokenize(text))) / len(q)


def test_every_packaged_set_loads_and_is_listed():
    assert cases.names() == ["cross_lingual", "keyword_traps", "product_search", "workplace_qa"]
    for name in cases.names():
        case_set = cases.load(name)
        assert case_set.name == name and len(case_set) > 0
        for case in case_set:
            assert case.id and case.query.strip() and case.languages
            assert any(p.relevance == 2 for p in case.passages)
            assert len({p.id for p in case.passages}) == len(case.passages)


def test_unknown_set_names_the_choices():
    with pytest.raises(KeyError, match="keyword_traps"):
        cases.load("keyword_trap")


def test_keyword_traps_counts_languages_and_traps():
    kt = cases.load("keyword_traps")
    assert len(kt) >= 40
    assert {"en", "zh"} <= set(kt.languages) and len(kt.languages) >= 4
    used = {p.trap for c in kt for p in c.passages if p.trap}
    assert used == set(TRAPS)
    for case in kt:
        distractors = [p for p in case.passages if p.role == "distractor"]
        relevant = [p for p in case.passages if p.role == "relevant"]
        assert len(distractors) >= 2, case.id
        # The relevant passage shares fewer query terms than the wordiest distractor: that is the trap.
        assert max(_overlap(case.query, p.text) for p in relevant) < max(
            _overlap(case.query, p.text) for p in distractors), case.id


def test_keyword_traps_hold_the_classic_cases():
    kt = cases.load("keyword_traps")
    by_query = {c.query: c for c in kt}
    dl = by_query["How to improve the generalization of deep learning models?"]
    assert any("TensorFlow" in p.text and "PyTorch" in p.text for p in dl.passages if p.role == "distractor")
    assert any("dropout" in p.text.lower() and "batch normalization" in p.text.lower()
               for p in dl.passages if p.role == "relevant")
    qc = by_query["What is the basic principle of quantum computing?"]
    assert any("superposition" in p.text.lower() and "entangle" in p.text.lower()
               for p in qc.passages if p.role == "relevant")
    assert any(p.trap == "keyword_stuffing" for p in qc.passages)
    france = [c for c in kt if "capital of France" in c.query]
    assert france and any("Berlin" in p.text for c in france for p in c.passages if p.relevance == 0)


def test_cross_lingual_facts_cover_the_languages():
    xl = cases.load("cross_lingual")
    assert len(xl.facts) >= 25
    assert {"en", "zh", "ja", "ko", "ar", "ru", "es", "de", "hi"} <= set(xl.languages)
    assert len(xl.languages) >= 8
    for fact in xl.facts:
        assert set(fact.queries) == set(fact.passages) == set(xl.languages)
    assert xl.negatives and {n.language for n in xl.negatives} <= set(xl.languages)
    # Texts differ across languages (a fact is written, not copied).
    assert all(len(set(f.passages.values())) == len(xl.languages) for f in xl.facts)


def test_cross_lingual_expands_into_labelled_cases():
    xl = cases.load("cross_lingual")
    expanded = xl.expand(["en", "zh"], ["ja", "ar"], facts=["f01", "f02", "f03"])
    assert [c.id for c in expanded] == ["f01-en", "f01-zh", "f02-en", "f02-zh", "f03-en", "f03-zh"]
    case = expanded[1]
    assert case.query == xl.fact("f01").queries["zh"]
    relevant = {p.id for p in case.passages if p.relevance == 2}
    assert relevant == {"f01:ja", "f01:ar"}
    negatives = [p for p in case.passages if p.role == "negative" and ":" not in p.id]
    assert negatives and {p.language for p in negatives} <= {"ja", "ar"}
    assert len(xl) == len(xl.facts) * len(xl.languages)
    with pytest.raises(ValueError, match="query_languages"):
        xl.expand(["xx"])


def test_product_search_queries_in_many_languages_against_english_listings():
    ps = cases.load("product_search")
    query_langs = {c.query_language for c in ps}
    assert len(query_langs - {"en"}) >= 4
    assert all(c.languages[-1] == "en" and all(p.language == "en" for p in c.passages) for c in ps)


def test_workplace_qa_covers_its_topics_with_graded_labels():
    wq = cases.load("workplace_qa")
    text = " ".join(c.query + " " + " ".join(c.texts) for c in wq)
    for needle in ("试用期", "年假", "报销", "nginx", "read_excel", "skiprows"):
        assert needle in text, needle
    grades = {p.relevance for c in wq for p in c.passages}
    assert grades == {0, 1, 2}


# -- the schema check names the file and the entry --------------------------------------------
def _case(**passage):
    base = {"id": "p1", "text": "Paris is the capital.", "relevance": 2, "role": "relevant"}
    other = {"id": "p2", "text": "Berlin.", "relevance": 0, "role": "distractor", "trap": "entity_swap"}
    return {"name": "bad", "description": "d",
            "cases": [{"id": "ok-1", "languages": ["en"], "query": "q", "passages": [dict(base), dict(other)]},
                      {"id": "kt-en-013", "languages": ["en"], "query": "q",
                       "passages": [{**base, **passage}, dict(other)]}]}


@pytest.mark.parametrize("change, message", [
    ({"relevance": 5}, "bad.json: cases[1] (id 'kt-en-013'): passage 'p1' has relevance 5; use 0, 1 or 2"),
    ({"role": "maybe"}, "passage 'p1' has role 'maybe'"),
    ({"relevance": 0}, "role 'relevant' but relevance 0"),
    ({"trap": "negation"}, "only distractors carry a trap"),
    ({"text": "  "}, "cases[1] (id 'kt-en-013'): 'p1.text' must be a non-empty string"),
    ({"colour": "red"}, "unknown keys ['colour']"),
])
def test_a_broken_case_file_names_file_entry_and_fix(tmp_path, change, message):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_case(**change)))
    with pytest.raises(CaseDataError) as info:
        cases.load(path)
    assert message in str(info.value)


def test_schema_rejects_duplicates_missing_traps_and_bad_json(tmp_path):
    data = _case()
    data["cases"][1]["id"] = "ok-1"
    (tmp_path / "dup.json").write_text(json.dumps(data))
    with pytest.raises(CaseDataError, match=r"dup.json: cases\[1\] \(id 'ok-1'\): duplicate case id"):
        cases.load(tmp_path / "dup.json")
    data = _case()
    del data["cases"][0]["passages"][1]["trap"]
    (tmp_path / "trap.json").write_text(json.dumps(data))
    with pytest.raises(CaseDataError, match=r"cases\[0\] \(id 'ok-1'\): passage 'p2' is a distractor without a 'trap'"):
        cases.load(tmp_path / "trap.json")
    (tmp_path / "broken.json").write_text('{"name": "x",')
    with pytest.raises(CaseDataError, match="broken.json: not valid JSON"):
        cases.load(tmp_path / "broken.json")


def test_schema_checks_cross_lingual_facts(tmp_path):
    good = json.loads((cases.DATA_DIR / "cross_lingual.json").read_text(encoding="utf-8"))
    del good["facts"][3]["passages"]["hi"]
    (tmp_path / "xl.json").write_text(json.dumps(good, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CaseDataError, match=r"xl.json: facts\[3\] \(id 'f04'\): 'passages' must have exactly the "
                                            r"file's languages: missing \['hi'\]"):
        cases.load(tmp_path / "xl.json")


# -- cases that ask the same question judge each other's passages -----------------------------
def test_keyword_traps_twins_judge_each_others_passages():
    traps = cases.load("keyword_traps")
    for en, zh in [("kt-en-001", "kt-zh-001"), ("kt-en-002", "kt-zh-002"), ("kt-en-003", "kt-zh-003")]:
        a, b = traps[en], traps[zh]
        assert a.same_question_as == (zh,) and b.same_question_as == (en,)
        qrels = a.qrels()
        for p in b.passages:  # the Chinese answer is an answer to the English question, with its own grade
            assert qrels[p.uid] == p.relevance
        assert a.qrels(own_only=True) == {p.uid: p.relevance for p in a.passages}
    # only these three pairs ask the same question
    assert {c.id for c in traps if c.same_question_as} == {f"kt-{lang}-00{n}" for lang in ("en", "zh") for n in (1, 2, 3)}


def test_same_question_as_must_name_a_case_of_the_file_and_go_both_ways(tmp_path):
    data = _case()
    data["cases"][0]["same_question_as"] = ["kt-en-999"]
    (tmp_path / "a.json").write_text(json.dumps(data))
    with pytest.raises(CaseDataError, match="names 'kt-en-999', which is not a case of this file"):
        cases.load(tmp_path / "a.json")
    data["cases"][0]["same_question_as"] = ["kt-en-013"]
    (tmp_path / "b.json").write_text(json.dumps(data))
    with pytest.raises(CaseDataError, match="'kt-en-013' does not name 'ok-1': the same question goes both ways"):
        cases.load(tmp_path / "b.json")
    data["cases"][1]["same_question_as"] = ["ok-1"]
    (tmp_path / "c.json").write_text(json.dumps(data))
    loaded = cases.load(tmp_path / "c.json")
    assert loaded["ok-1"].qrels()["kt-en-013/p1"] == 2
