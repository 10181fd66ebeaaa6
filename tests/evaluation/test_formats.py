"""Standard formats: round trips, and malformed lines named by file and line number."""

from __future__ import annotations

import pytest

from rerankkit.evaluation import (
    FormatError,
    read_corpus,
    read_qrels,
    read_queries,
    read_run,
    write_corpus,
    write_qrels,
    write_queries,
    write_run,
)

QUERIES = {"q1": "what is a panda?", "q2": "中国的首都是哪里?", "q 3": "tabs\tand\nnewlines are flattened"}
DOCS = {"d1": "The giant panda is a bear.", "d2": "北京是中国的首都。", "d3": "Berlin is in Germany."}


@pytest.mark.parametrize("suffix", ["tsv", "jsonl"])
def test_queries_round_trip(tmp_path, suffix):
    path = tmp_path / f"queries.{suffix}"
    clean = {k.replace(" ", "_"): v for k, v in QUERIES.items()}
    write_queries(clean, path)
    back = read_queries(path)
    assert list(back) == list(clean)
    assert back["q2"] == clean["q2"]
    assert back["q_3"] == ("tabs and newlines are flattened" if suffix == "tsv" else clean["q_3"])


@pytest.mark.parametrize("suffix", ["jsonl", "tsv", "parquet"])
def test_corpus_round_trip(tmp_path, suffix):
    path = tmp_path / f"corpus.{suffix}"
    write_corpus(DOCS, path)
    assert read_corpus(path) == DOCS


def test_corpus_title_is_joined_in_front(tmp_path):
    path = tmp_path / "corpus.jsonl"
    path.write_text('{"_id": "d1", "title": "Panda", "text": "A bear."}\n{"_id": 7, "text": "No title."}\n')
    assert read_corpus(path) == {"d1": "Panda A bear.", "7": "No title."}


def test_qrels_and_run_round_trip(tmp_path):
    qrels = {"q1": {"d1": 2, "d3": 0}, "q2": {"d2": 1}}
    write_qrels(qrels, tmp_path / "qrels.trec")
    assert read_qrels(tmp_path / "qrels.trec") == qrels
    run = {"q1": {"d3": 0.25, "d1": 3.5, "d2": -1.0}, "q2": {"d2": 1e-9}}
    write_run(run, tmp_path / "run.trec", tag="bm25")
    back = read_run(tmp_path / "run.trec")
    assert back == run
    assert list(back["q1"]) == ["d1", "d3", "d2"]  # best first
    ranks = [line.split()[3] for line in (tmp_path / "run.trec").read_text().splitlines()[:3]]
    assert ranks == ["1", "2", "3"]


@pytest.mark.parametrize(
    ("name", "text", "reader", "line", "expected"),
    [
        ("queries.tsv", "q1\tok\nq2 no tab here\n", read_queries, 2, "2 tab-separated fields"),
        ("queries.jsonl", '{"_id": "q1", "text": "a"}\n\n{"_id": "q2"}\n', read_queries, 3, '"_id" and "text"'),
        ("queries.jsonl", '{"_id": "q1", "text": "a"}\n{not json}\n', read_queries, 2, "one JSON object per line"),
        ("queries.tsv", "q1\ta\nq1\tb\n", read_queries, 2, "each query id once"),
        ("corpus.jsonl", '{"_id": "d1", "text": "a"}\n{"_id": "d2", "text": 5}\n', read_corpus, 2, '"text"'),
        ("corpus.tsv", "d1\ta\td\textra\n", read_corpus, 1, "2 or 3 tab-separated fields"),
        ("qrels.trec", "q1 0 d1 1\nq1 0 d2\n", read_qrels, 2, "qid 0 docid grade"),
        ("qrels.trec", "q1 0 d1 high\n", read_qrels, 1, "an integer"),
        ("run.trec", "q1 Q0 d1 1 2.0 t\nq1 Q0 d2 2 nan t\n", read_run, 2, "qid Q0 docid rank score tag"),
        ("run.trec", "q1 Q0 d1 1 2.0 t\nq1 Q0 d1 2 1.0 t\n", read_run, 2, "each docid once per query"),
    ],
)
def test_malformed_line_names_file_line_and_format(tmp_path, name, text, reader, line, expected):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FormatError) as info:
        reader(path)
    message = str(info.value)
    assert f"{path}, line {line}: expected" in message
    assert expected in message
    assert info.value.line == line


def test_empty_and_missing_files_are_named(tmp_path):
    (tmp_path / "run.trec").write_text("\n")
    with pytest.raises(FormatError, match="run.trec: expected at least one ranked document"):
        read_run(tmp_path / "run.trec")
    with pytest.raises(FileNotFoundError, match="nope.tsv"):
        read_queries(tmp_path / "nope.tsv")
    (tmp_path / "queries.csv").write_text("q1,a\n")
    with pytest.raises(FormatError, match=r"\.tsv, \.jsonl"):
        read_queries(tmp_path / "queries.csv")


def test_parquet_needs_id_and_text_columns(tmp_path):
    import pandas as pd

    pd.DataFrame({"docid": ["d1"], "body": ["x"]}).to_parquet(tmp_path / "c.parquet")
    with pytest.raises(FormatError, match="'text'"):
        read_corpus(tmp_path / "c.parquet")
