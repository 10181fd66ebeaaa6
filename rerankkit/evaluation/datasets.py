"""One data protocol for every evaluation: the kit's case sets, your own files and benchmark sets.

An :class:`EvalData` holds ``queries`` (``{qid: text}``), ``docs`` (``{docid: text}``), ``qrels``
(``{qid: {docid: grade}}``) and optionally a first-stage ``run`` (``{qid: {docid: score}}``). Build one with

- :func:`from_cases` — a case set of :mod:`rerankkit.cases` (passages pooled into one corpus);
- :func:`from_files` — standard files (see :mod:`rerankkit.evaluation.formats`);
- :func:`load_benchmark` — NanoBEIR, BEIR or MIRACL dev through ``ir_datasets``, with the kit's BM25
  top 100 as the run, cached after the first download in the same standard files. The kit's BM25
  (``bm25s`` with the kit's tokenizer) is not the BM25 of published baselines (MIRACL's, for instance,
  is Pyserini's with per-language analysers): compare Reranked with this Base, not with published
  figures. Corpora larger than ``max_docs`` (MIRACL English has about 33M passages) are refused before
  anything is read, naming their size and the alternative: your own first-stage run
  (:func:`from_files` with ``run=``).

Without a run, :func:`first_stage_run` builds one with the kit's BM25 (or dense) retriever.

Example:
    >>> data = from_cases("keyword_traps")
    >>> data = data.with_run(first_stage_run(data, k=5), "bm25")
    >>> stats = data.check(top_n=5)
    >>> stats.n_queries == len(data.queries), stats.n_unjudged
    (True, 0)
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from rerankkit._utils.checks import check_positive_int
from rerankkit._utils.optional import require
from rerankkit.evaluation import formats

if TYPE_CHECKING:
    from rerankkit.cases import Case
    from rerankkit.retrieval import DenseEncoder

__all__ = [
    "FIXTURE_DIR",
    "DataStats",
    "DatasetUnavailableError",
    "EvalData",
    "benchmark_names",
    "dataset_cache_dir",
    "first_stage_run",
    "from_cases",
    "from_files",
    "load_benchmark",
    "load_fixture",
    "load_folder",
    "prepare",
    "save",
]

FIXTURE_DIR = Path(__file__).parent / "data"
# File names of a prepared folder (the standard formats).
QUERIES, CORPUS, QRELS, RUN = "queries.jsonl", "corpus.jsonl", "qrels.trec", "run.trec"
NANOBEIR = ("climate-fever", "dbpedia-entity", "fever", "fiqa", "hotpotqa", "msmarco", "nfcorpus", "nq", "quora",
            "scidocs", "arguana", "scifact", "webis-touche2020")
BEIR_EXAMPLES = ("beir/fiqa/test", "beir/arguana", "beir/scidocs", "beir/scifact/test", "beir/nfcorpus/test",
                 "beir/trec-covid")
MIRACL_DEV = ("ar", "bn", "de", "en", "es", "fa", "fi", "fr", "hi", "id", "ja", "ko", "ru", "sw", "te", "th", "yo",
              "zh")


class DatasetUnavailableError(FileNotFoundError):
    """A benchmark set is not cached and cannot be downloaded now; the message names the command that fetches it."""


class CorpusTooLargeError(MemoryError):
    """A benchmark corpus is too large to read into memory; the message gives its size and the alternative."""


@dataclass(frozen=True)
class DataStats:
    """What an evaluation will cover, counted before any scoring.

    Attributes:
        n_queries: Queries the run ranks (the ones that get reranked).
        n_judged: Of those, queries with at least one judged document (the ones metrics average over).
        n_unjudged: Queries with no judged document: reranked, written to the run, left out of the metrics.
        unjudged: Their ids (first 20).
        n_no_relevant: Judged queries whose judgements are all grade 0 (every metric is 0 for them).
        n_judged_missing: Judged queries the run does not rank at all (they score 0 in both stages).
        n_pairs: (query, document) pairs to score: the top ``top_n`` of each query.
        top_n: The cut-off.
    """

    n_queries: int
    n_judged: int
    n_unjudged: int
    unjudged: tuple[str, ...]
    n_no_relevant: int
    n_judged_missing: int
    n_pairs: int
    top_n: int

    def lines(self) -> list[str]:
        """Readable summary lines (for reports and the command line)."""
        out = [(f"{self.n_queries} queries in the run, {self.n_judged} with judgements; "
                f"{self.n_pairs} pairs to score (top {self.top_n})")]
        if self.n_unjudged:
            out.append(f"{self.n_unjudged} queries have no judged document: reranked but not in the metrics "
                       f"(e.g. {', '.join(self.unjudged[:5])})")
        if self.n_no_relevant:
            out.append(f"{self.n_no_relevant} judged queries have no relevant document: they score 0 in every metric")
        if self.n_judged_missing:
            out.append(f"{self.n_judged_missing} judged queries are absent from the run: they score 0 in both stages")
        return out


@dataclass(frozen=True)
class EvalData:
    """Queries, documents, judgements and (optionally) a first-stage run.

    Attributes:
        name: A label for reports.
        queries: ``{qid: query text}``.
        docs: ``{docid: text}`` (a title, when there is one, joined in front).
        qrels: ``{qid: {docid: grade}}``.
        run: ``{qid: {docid: first-stage score}}`` or ``None`` (build one with :func:`first_stage_run`).
        run_name: What produced the run (``bm25``, a file name).
        notes: Provenance lines (where the files came from).
    """

    name: str
    queries: Mapping[str, str]
    docs: Mapping[str, str]
    qrels: Mapping[str, Mapping[str, int]]
    run: Mapping[str, Mapping[str, float]] | None = None
    run_name: str = "run"
    notes: tuple[str, ...] = field(default_factory=tuple)

    def with_run(self, run: Mapping[str, Mapping[str, float]], run_name: str) -> EvalData:
        """A copy with another first-stage run."""
        return replace(self, run=run, run_name=run_name)

    def top(self, top_n: int) -> dict[str, list[str]]:
        """Each query's first ``top_n`` documents of the run, best first (ties keep the run's order)."""
        check_positive_int(top_n, "top_n")
        if self.run is None:
            raise ValueError(f"{self.name}: no first-stage run; pass a run file or build one with first_stage_run()")
        return {q: [d for d, _ in sorted(docs.items(), key=lambda kv: -kv[1])[:top_n]] for q, docs in self.run.items()}

    def check(self, top_n: int) -> DataStats:
        """Check that the run points at known queries and documents, and count what the metrics will cover."""
        top = self.top(top_n)
        missing_q = [q for q in top if q not in self.queries]
        if missing_q:
            raise ValueError(f"{self.name}: the run ranks {len(missing_q)} queries that are not in the queries "
                             f"(e.g. {missing_q[:3]}); check that the run and the queries file match")
        missing_d = sorted({d for docs in top.values() for d in docs if d not in self.docs})
        if missing_d:
            raise ValueError(f"{self.name}: the run's top {top_n} names {len(missing_d)} documents that are not in "
                             f"the corpus (e.g. {missing_d[:3]}); check that the run and the corpus file match")
        judged = [q for q in top if self.qrels.get(q)]
        unjudged = tuple(q for q in top if not self.qrels.get(q))
        no_relevant = sum(1 for q in judged if not any(g > 0 for g in self.qrels[q].values()))
        absent = sum(1 for q, labels in self.qrels.items() if labels and q not in top)
        return DataStats(n_queries=len(top), n_judged=len(judged), n_unjudged=len(unjudged), unjudged=unjudged[:20],
                         n_no_relevant=no_relevant, n_judged_missing=absent,
                         n_pairs=sum(len(d) for d in top.values()), top_n=top_n)


# -- the kit's case sets ------------------------------------------------------------------
def from_cases(cases: str | Sequence[Case]) -> EvalData:
    """A case set as evaluation data: every passage of every case pooled into one corpus (no run).

    A passage of another case counts as not relevant for a query, as in :mod:`rerankkit.evaluation.pipeline`.
    """
    from rerankkit import cases as case_sets

    name = cases if isinstance(cases, str) else getattr(cases, "name", "cases")
    items = list(case_sets.load(cases) if isinstance(cases, str) else cases)
    if not items:
        raise ValueError("cases is empty: pass a case set name or a non-empty list of cases")
    queries: dict[str, str] = {}
    docs: dict[str, str] = {}
    qrels: dict[str, dict[str, int]] = {}
    for case in items:
        if case.id in queries:
            raise ValueError(f"case id {case.id!r} appears twice; each query needs one id")
        queries[case.id] = case.query
        qrels[case.id] = case.qrels()
        for p in case.passages:
            docs.setdefault(p.uid, p.text)
    return EvalData(name=f"cases:{name}", queries=queries, docs=docs, qrels=qrels,
                    notes=(f"rerankkit case set {name!r}: hand-written cases, passages pooled",))


# -- files --------------------------------------------------------------------------------
def from_files(queries: str | os.PathLike, corpus: str | os.PathLike, qrels: str | os.PathLike,
               run: str | os.PathLike | None = None, *, name: str | None = None) -> EvalData:
    """Read queries, corpus, qrels and (optionally) a TREC run from standard files.

    Example:
        >>> data = from_files(FIXTURE_DIR / QUERIES, FIXTURE_DIR / CORPUS, FIXTURE_DIR / QRELS, FIXTURE_DIR / RUN)
        >>> data.run_name, len(data.queries) > 10
        ('run', True)
    """
    loaded_run = formats.read_run(run) if run is not None else None
    return EvalData(
        name=name or Path(queries).parent.name or "files",
        queries=formats.read_queries(queries), docs=formats.read_corpus(corpus), qrels=formats.read_qrels(qrels),
        run=loaded_run, run_name=Path(run).stem if run is not None else "run",
        notes=tuple(f"{kind}: {os.fspath(p)}" for kind, p in
                    (("queries", queries), ("corpus", corpus), ("qrels", qrels), ("run", run)) if p is not None),
    )


def save(data: EvalData, folder: str | os.PathLike) -> Path:
    """Write ``data`` as ``queries.jsonl``, ``corpus.jsonl``, ``qrels.trec`` and (if any) ``run.trec``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    formats.write_queries(data.queries, folder / QUERIES)
    formats.write_corpus(data.docs, folder / CORPUS)
    formats.write_qrels(data.qrels, folder / QRELS)
    if data.run is not None:
        formats.write_run(data.run, folder / RUN, tag=data.run_name.replace(" ", "_") or "run")
    return folder


def load_folder(folder: str | os.PathLike, *, name: str | None = None) -> EvalData:
    """Read a folder written by :func:`save` (the run is optional)."""
    folder = Path(folder)
    run = folder / RUN
    data = from_files(folder / QUERIES, folder / CORPUS, folder / QRELS, run if run.is_file() else None,
                      name=name or folder.name)
    return data if not run.is_file() else replace(data, run_name=_run_tag(run))


def _run_tag(path: Path) -> str:
    with open(path, encoding="utf-8") as f:
        first = f.readline().split()
    return first[5] if len(first) == 6 else path.stem


def load_fixture() -> EvalData:
    """The small evaluation set shipped with the package (built from the kit's case sets, BM25 top 20 run).

    Example:
        >>> data = load_fixture()
        >>> data.check(top_n=20).n_unjudged
        2
    """
    return load_folder(FIXTURE_DIR, name="rerankkit fixture")


# -- first stage --------------------------------------------------------------------------
def first_stage_run(data: EvalData, *, kind: Literal["bm25", "dense"] = "bm25", k: int = 100,
                    encoder: DenseEncoder | str | None = None, show_progress: bool = False
                    ) -> dict[str, dict[str, float]]:
    """Rank ``data.docs`` for every query with the kit's BM25 (or dense) retriever; the top ``k`` per query."""
    from rerankkit.retrieval import BM25Retriever, DenseRetriever

    check_positive_int(k, "k")
    ids = list(data.docs)
    texts = [data.docs[d] for d in ids]
    retriever: BM25Retriever | DenseRetriever
    if kind == "bm25":
        retriever = BM25Retriever(texts)
    elif kind == "dense":
        retriever = DenseRetriever(texts, encoder)
    else:
        raise ValueError(f"kind must be 'bm25' or 'dense', got {kind!r}")
    queries = data.queries.items()
    if show_progress:
        from tqdm.auto import tqdm

        queries = tqdm(queries, desc=f"{kind} first stage", unit="query")
    run: dict[str, dict[str, float]] = {}
    for qid, text in queries:
        run[qid] = {ids[c.index]: c.score for c in retriever.retrieve(text, k=k)}
    return run


# -- benchmarks ---------------------------------------------------------------------------
def benchmark_names() -> list[str]:
    """Benchmark names :func:`load_benchmark` accepts (any other ``ir_datasets`` id with qrels works too)."""
    return ([f"nanobeir/{n}" for n in NANOBEIR] + list(BEIR_EXAMPLES) + [f"miracl/{lang}/dev" for lang in MIRACL_DEV])


def _ir_datasets_id(name: str) -> str:
    name = name.strip().strip("/")
    if name.startswith("nanobeir/"):
        short = name.split("/", 1)[1]
        if short not in NANOBEIR:
            raise ValueError(f"unknown NanoBEIR set {short!r}; choose one of {list(NANOBEIR)}")
        return f"nano-beir/{short}"
    if name.startswith("miracl/"):
        parts = name.split("/")
        if len(parts) != 3 or parts[2] != "dev" or parts[1] not in MIRACL_DEV:
            raise ValueError(f"MIRACL sets are miracl/<lang>/dev with lang one of {list(MIRACL_DEV)}, got {name!r}")
    if not name or name.startswith("cases:"):
        raise ValueError(f"not a benchmark name: {name!r}; see benchmark_names()")
    return name


def dataset_cache_dir(name: str, cache_dir: str | os.PathLike | None = None) -> Path:
    """Folder holding a prepared benchmark (``<cache>/datasets/<name with / as -->``)."""
    from rerankkit._utils.cache import cache_root

    root = Path(cache_dir) if cache_dir is not None else cache_root() / "datasets"
    return root / name.strip().strip("/").replace("/", "--")


def _fetch_hint(name: str, k: int) -> str:
    return (f"run `rerankkit prepare --dataset {name} --k {k}` on a machine with network access (it calls "
            f"ir_datasets.load({_ir_datasets_id(name)!r}) and builds the BM25 top {k}), then copy "
            f"{dataset_cache_dir(name)} here, or set RERANKKIT_CACHE to where it is")


def _offline() -> bool:
    return any(os.environ.get(v, "").strip().lower() in {"1", "true", "yes", "on"}
               for v in ("HF_HUB_OFFLINE", "RERANKKIT_OFFLINE"))


# Corpora up to this many documents are read into memory to build the kit's BM25 (about 1-2 KB each).
MAX_CORPUS_DOCS = 2_000_000
KIT_BM25_NOTE = ("Base is the kit's own BM25 (bm25s, the kit's tokenizer), not the BM25 of the published baselines "
                 "(MIRACL's is Pyserini's with per-language analysers): compare Reranked with this Base, not with "
                 "published figures.")


def load_benchmark(name: str, *, k: int = 100, download: bool = True,
                   cache_dir: str | os.PathLike | None = None, max_docs: int = MAX_CORPUS_DOCS) -> EvalData:
    """A benchmark set with the kit's BM25 top ``k`` as its run; downloaded and prepared on first use.

    Args:
        name: ``nanobeir/<set>``, a BEIR id such as ``beir/fiqa/test``, or ``miracl/<lang>/dev``
            (see :func:`benchmark_names`).
        k: Run depth built at preparation (the cached run is reused when it is at least this deep).
        download: Allow downloading when the set is not cached.
        cache_dir: Where prepared sets live (default: ``$RERANKKIT_CACHE/datasets``).
        max_docs: Largest corpus read into memory to build the run (see :func:`prepare`).

    Raises:
        DatasetUnavailableError: Not cached and cannot be downloaded; the message names the command.
        CorpusTooLargeError: The corpus has more than ``max_docs`` documents.
    """
    folder = dataset_cache_dir(name, cache_dir)
    if (folder / RUN).is_file():
        return load_folder(folder, name=name)
    if not download or _offline():
        why = "HF_HUB_OFFLINE or RERANKKIT_OFFLINE is set" if _offline() else "download=False"
        raise DatasetUnavailableError(f"benchmark {name!r} is not cached at {folder} and {why}. To fetch it, "
                                      + _fetch_hint(name, k) + ".")
    prepare(name, k=k, cache_dir=cache_dir, max_docs=max_docs)
    return load_folder(folder, name=name)


def prepare(name: str, *, k: int = 100, cache_dir: str | os.PathLike | None = None,
            show_progress: bool = True, max_docs: int = MAX_CORPUS_DOCS) -> Path:
    """Download a benchmark with ``ir_datasets``, build the BM25 top ``k`` and cache it in standard files.

    The cached corpus keeps only the documents the run or the qrels name (the rest is never scored). Building
    the kit's BM25 needs the whole corpus in memory, so a corpus of more than ``max_docs`` documents is
    refused before it is read (its size comes from ``ir_datasets``' own count; a corpus without one is
    refused as soon as reading passes ``max_docs``). The run is the kit's BM25, not a published baseline's.

    Raises:
        CorpusTooLargeError: The corpus has more than ``max_docs`` documents; the message gives its size and
            the alternative (a first-stage run of your own, e.g. the published BM25 run, with :func:`from_files`).
    """
    ir_datasets = require("ir_datasets", feature="Benchmark sets")
    check_positive_int(k, "k")
    dataset_id = _ir_datasets_id(name)
    folder = dataset_cache_dir(name, cache_dir)
    try:
        ds = ir_datasets.load(dataset_id)
    except KeyError as exc:
        raise ValueError(f"ir_datasets knows no dataset {dataset_id!r}; see benchmark_names() or "
                         "https://ir-datasets.com") from exc
    if not (ds.has_docs() and ds.has_queries() and ds.has_qrels()):
        raise ValueError(f"{dataset_id!r} lacks documents, queries or qrels; pick a test or dev split")
    check_positive_int(max_docs, "max_docs")
    count = getattr(ds, "docs_count", lambda: None)()
    if count is not None and count > max_docs:
        raise CorpusTooLargeError(_too_large(name, dataset_id, f"{count:,}", max_docs))
    try:
        docs: dict[str, str] = {}
        for d in ds.docs_iter():
            if len(docs) >= max_docs:  # no count known up front: stop before memory runs out
                raise CorpusTooLargeError(_too_large(name, dataset_id, f"more than {max_docs:,}", max_docs))
            if (text := _doc_text(d)).strip():
                docs[d.doc_id] = text
        queries = {q.query_id: q.text for q in ds.queries_iter()}
        qrels: dict[str, dict[str, int]] = {}
        for r in ds.qrels_iter():
            qrels.setdefault(r.query_id, {})[r.doc_id] = int(r.relevance)
    except CorpusTooLargeError:
        raise
    except Exception as exc:  # network or checksum errors surface from deep inside ir_datasets
        raise DatasetUnavailableError(f"could not download {dataset_id!r} ({type(exc).__name__}: {exc}). "
                                      "Check the network, then " + _fetch_hint(name, k)) from exc
    queries = {q: t for q, t in queries.items() if q in qrels}  # test/dev topics: the judged ones
    full = EvalData(name=name, queries=queries, docs=docs, qrels=qrels)
    run = first_stage_run(full, kind="bm25", k=k, show_progress=show_progress)
    kept = {d for ranked in run.values() for d in ranked} | {d for labels in qrels.values() for d in labels}
    small = EvalData(name=name, queries=queries, docs={d: t for d, t in docs.items() if d in kept}, qrels=qrels,
                     run=run, run_name=f"bm25_top{k}")
    tmp = folder.with_name(folder.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    save(small, tmp)
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)  # a half-written folder never looks prepared
    return folder


def _too_large(name: str, dataset_id: str, size: str, max_docs: int) -> str:
    return (f"{dataset_id!r} has {size} documents, more than max_docs={max_docs:,}: the kit's BM25 needs the whole "
            f"corpus in memory (about 1-2 KB a document). Instead, rerank a first-stage run of your own: for "
            f"{name}, e.g. the published BM25 run (Pyserini's prebuilt index), with "
            "`rerankkit evaluate --queries q.tsv --corpus corpus.jsonl --qrels qrels.trec --run run.trec` "
            "(the corpus file needs only the documents the run and the qrels name), or raise max_docs on a machine "
            "with the memory.")


def _doc_text(doc) -> str:
    title = getattr(doc, "title", "") or ""
    text = getattr(doc, "text", None)
    if text is None:
        text = doc.default_text()
    return f"{title} {text}".strip() if title.strip() else text
