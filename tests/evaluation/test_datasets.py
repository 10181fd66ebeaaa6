"""One data protocol: case sets, files and cached benchmarks; counts of unjudged queries; offline errors."""

from __future__ import annotations

import pytest

from rerankkit.evaluation import (
    DatasetUnavailableError,
    EvalData,
    first_stage_run,
    from_cases,
    from_files,
    load_benchmark,
    load_fixture,
    save,
)
from rerankkit.evaluation.datasets import dataset_cache_dir


def test_cases_adapter_pools_passages_and_keeps_grades():
    from rerankkit import cases

    data = from_cases("workplace_qa")
    source = cases.load("workplace_qa")
    assert set(data.queries) == {c.id for c in source}
    case = source[0]
    assert data.qrels[case.id] == case.qrels()
    assert data.docs[case.passages[0].uid] == case.passages[0].text
    assert len(data.docs) == sum(len(c.passages) for c in source)


def test_first_stage_run_ranks_by_bm25():
    data = from_cases("keyword_traps")
    run = first_stage_run(data, k=3)
    assert set(run) == set(data.queries)
    for docs in run.values():
        scores = list(docs.values())
        assert len(docs) == 3 and scores == sorted(scores, reverse=True)


def test_files_round_trip_through_save(tmp_path):
    data = load_fixture()
    folder = save(data, tmp_path / "copy")
    again = from_files(folder / "queries.jsonl", folder / "corpus.jsonl", folder / "qrels.trec", folder / "run.trec")
    assert dict(again.queries) == dict(data.queries)
    assert dict(again.docs) == dict(data.docs)
    assert again.qrels == data.qrels
    assert again.top(5) == data.top(5)


def test_unjudged_queries_are_counted_not_dropped():
    data = EvalData(name="t", queries={"q1": "a", "q2": "b", "q3": "c"}, docs={"d1": "x", "d2": "y"},
                    qrels={"q1": {"d1": 1}, "q2": {"d2": 0}, "q4": {"d1": 1}},
                    run={"q1": {"d1": 1.0, "d2": 0.5}, "q2": {"d2": 1.0}, "q3": {"d1": 2.0}})
    stats = data.check(top_n=1)
    assert (stats.n_queries, stats.n_judged, stats.n_unjudged, stats.unjudged) == (3, 2, 1, ("q3",))
    assert stats.n_no_relevant == 1 and stats.n_judged_missing == 1 and stats.n_pairs == 3
    text = "\n".join(stats.lines())
    assert "1 queries have no judged document" in text and "q3" in text
    assert "absent from the run" in text


def test_run_pointing_outside_the_corpus_is_an_error():
    data = EvalData(name="t", queries={"q1": "a"}, docs={"d1": "x"}, qrels={"q1": {"d1": 1}},
                    run={"q1": {"d1": 1.0, "ghost": 0.5}})
    with pytest.raises(ValueError, match="not in the corpus.*ghost"):
        data.check(top_n=10)
    assert data.check(top_n=1).n_pairs == 1  # only the top N must exist


def test_missing_benchmark_offline_names_the_fetch_command(tmp_path):
    with pytest.raises(DatasetUnavailableError) as info:
        load_benchmark("nanobeir/scifact", download=False, cache_dir=tmp_path)
    message = str(info.value)
    assert "rerankkit prepare --dataset nanobeir/scifact" in message
    assert "ir_datasets.load('nano-beir/scifact')" in message


def test_cached_benchmark_loads_without_network(tmp_path):
    save(load_fixture(), dataset_cache_dir("beir/fiqa/test", tmp_path))
    data = load_benchmark("beir/fiqa/test", download=False, cache_dir=tmp_path)
    assert data.name == "beir/fiqa/test" and data.run_name == "bm25"
    assert len(data.queries) == len(load_fixture().queries)


def test_unknown_benchmark_names_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown NanoBEIR set"):
        load_benchmark("nanobeir/nope", download=False, cache_dir=tmp_path)
    with pytest.raises(ValueError, match="miracl/<lang>/dev"):
        load_benchmark("miracl/xx/dev", download=False, cache_dir=tmp_path)


class _Corpus:
    """An ir_datasets stand-in with a known size: only the refusal is under test, nothing is downloaded."""

    def __init__(self, count, n_docs=0):
        self._count, self._n_docs, self.drawn = count, n_docs, 0

    def has_docs(self):
        return True

    has_queries = has_qrels = has_docs

    def docs_count(self):
        return self._count

    def docs_iter(self):
        from types import SimpleNamespace

        for i in range(self._n_docs):
            self.drawn += 1
            yield SimpleNamespace(doc_id=str(i), title="", text=f"passage {i}")


def test_a_corpus_too_large_for_memory_is_refused_before_it_is_read(monkeypatch, tmp_path):
    # Before: miracl/en (about 33M passages) was read whole into a dict to build the kit's BM25.
    import ir_datasets

    from rerankkit.evaluation import CorpusTooLargeError
    from rerankkit.evaluation.datasets import prepare

    huge = _Corpus(32_893_221)
    monkeypatch.setattr(ir_datasets, "load", lambda _id: huge)
    with pytest.raises(CorpusTooLargeError, match="32,893,221 documents") as info:
        prepare("miracl/en/dev", cache_dir=tmp_path)
    assert "--run run.trec" in str(info.value) and "published BM25 run" in str(info.value)
    uncounted = _Corpus(None, n_docs=50)
    monkeypatch.setattr(ir_datasets, "load", lambda _id: uncounted)
    with pytest.raises(CorpusTooLargeError, match="more than 10 documents"):
        prepare("miracl/en/dev", cache_dir=tmp_path, max_docs=10)
    assert uncounted.drawn <= 11  # reading stopped at the bound


def test_the_kits_bm25_is_not_called_the_published_baseline():
    from rerankkit.evaluation.datasets import KIT_BM25_NOTE

    assert "not the BM25 of the published baselines" in KIT_BM25_NOTE
