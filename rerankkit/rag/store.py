"""A real vector database as the first stage: Milvus, embedded (Milvus Lite, one local file) or a server.

:class:`VectorStore` embeds :class:`~rerankkit.rag.chunks.RagChunk` rows with a dense encoder of
:func:`rerankkit.retrieval.load_encoder` and keeps them in one Milvus collection. The same code reaches

* Milvus Lite: a path ending in ``.db`` (default ``<cache>/rag/milvus.db``, see :func:`milvus_uri`); pymilvus
  starts the embedded server from the ``milvus-lite`` wheel;
* a Milvus server: ``http://host:19530`` given as ``uri=`` or in ``$RERANKKIT_MILVUS_URI``.

Building shows a progress bar and inserts batch by batch, so an interrupted build keeps what it embedded and
the next :meth:`VectorStore.build` embeds only the missing chunks; reopening a complete collection embeds
nothing. The collection records the encoder that filled it: opening it with another encoder is refused.
:meth:`VectorStore.retriever` is a first stage with the interface of the kit's BM25 and dense retrievers, so
:class:`~rerankkit.retrieval.HybridRetriever` fuses it with BM25 over the same chunks.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rerankkit._utils.cache import cache_root
from rerankkit._utils.checks import check_positive_int
from rerankkit._utils.optional import require
from rerankkit.rag.chunks import RagChunk
from rerankkit.retrieval.base import Candidate, check_query
from rerankkit.retrieval.dense import DenseEncoder

__all__ = ["VectorStore", "VectorRetriever", "milvus_uri", "URI_ENV", "EncoderMismatchError", "rag_encoder"]

URI_ENV = "RERANKKIT_MILVUS_URI"
_INSERT_BATCH = 64  # chunks embedded and inserted per step: what an interrupted build keeps
_MAX_QUERY = 16_384  # Milvus' largest query window
_QUERY_CACHE = 4096  # query vectors kept (a sweep asks each first stage about the same questions)
_PROPERTY = "rerankkit_build"  # collection property: encoder, dim and a fingerprint of the chunks


class EncoderMismatchError(ValueError):
    """A collection was filled by another encoder than the one given."""


def milvus_uri(uri: str | os.PathLike | None = None) -> str:
    """Where the collection lives: ``uri``, else ``$RERANKKIT_MILVUS_URI``, else Milvus Lite's file in the cache.

    Example:
        >>> milvus_uri("http://localhost:19530")
        'http://localhost:19530'
        >>> milvus_uri("/tmp/chunks.db")
        '/tmp/chunks.db'
    """
    if uri is None:
        uri = os.environ.get(URI_ENV) or cache_root() / "rag" / "milvus.db"
    text = os.fspath(uri).strip()
    if not text:
        raise ValueError(f"uri is empty: pass a Milvus Lite file (ending in .db) or a server URI such as "
                         f"http://localhost:19530 (or set {URI_ENV})")
    if "://" not in text:
        if not text.endswith(".db"):
            raise ValueError(f"uri={text!r}: a Milvus Lite file must end in .db; a server URI starts with http://")
        Path(text).expanduser().parent.mkdir(parents=True, exist_ok=True)
        text = os.fspath(Path(text).expanduser())
    return text


def rag_encoder() -> str:
    """The dense encoder to fill a store with: ``$RERANKKIT_ENCODER``, else BAAI/bge-m3 when it is in the Hugging
    Face cache, else the offline multilingual-e5-small (never a download, never a warning).

    Example:
        >>> rag_encoder() in ("BAAI/bge-m3", "multilingual-e5-small-q4", "tiny-random-encoder") or True
        True
    """
    from rerankkit.errors import ModelUnavailableError
    from rerankkit.models.hub import fetch_model
    from rerankkit.retrieval.dense import DEFAULT_ENCODER, offline_encoder

    if os.environ.get("RERANKKIT_ENCODER"):
        return os.environ["RERANKKIT_ENCODER"]
    try:
        fetch_model(DEFAULT_ENCODER, download=False)
        return DEFAULT_ENCODER
    except ModelUnavailableError:
        return offline_encoder()


def _fingerprint(chunks: Sequence[RagChunk]) -> str:
    digest = hashlib.sha256()
    for c in chunks:
        digest.update(f"{c.id}\x00{c.text}\x01".encode())
    return digest.hexdigest()[:16]


class VectorStore:
    """Chunks and their dense vectors in one Milvus collection.

    Args:
        encoder: The loaded dense encoder (its ``info.model_id`` is recorded in the collection).
        uri: Milvus Lite file or server URI (see :func:`milvus_uri`).
        collection: Collection name.
    """

    def __init__(self, encoder: DenseEncoder, *, uri: str | os.PathLike | None = None,
                 collection: str = "rerankkit_chunks") -> None:
        # gRPC's C core logs its keepalive chatter with Milvus Lite's local server ("too_many_pings") straight
        # to stderr, where a notebook shows it in red; pymilvus still raises every real error. Set
        # GRPC_VERBOSITY yourself to see that log.
        os.environ.setdefault("GRPC_VERBOSITY", "NONE")
        pymilvus = require("pymilvus", feature="the Milvus vector store")
        if not isinstance(encoder, DenseEncoder):
            raise TypeError(f"encoder must be a DenseEncoder from rerankkit.retrieval.load_encoder, got "
                            f"{type(encoder).__name__}")
        if not isinstance(collection, str) or not collection.replace("_", "").isalnum():
            raise ValueError(f"collection must be letters, digits and underscores, got {collection!r}")
        self.encoder = encoder
        self.uri = milvus_uri(uri)
        self.collection = collection
        self.client = pymilvus.MilvusClient(self.uri)
        self.chunks: list[RagChunk] = []
        self.embedded_now = 0  # chunks the last build() embedded (0 when it reopened a complete collection)
        self._query_vectors: dict[str, np.ndarray] = {}

    def __repr__(self) -> str:
        return f"VectorStore({self.collection!r} at {self.uri!r}, {len(self.chunks)} chunks, {self.encoder.info.model_id})"

    # -- what the collection records -------------------------------------------------------
    def _recorded(self) -> dict | None:
        if not self.client.has_collection(self.collection):
            return None
        properties = self.client.describe_collection(self.collection).get("properties", {})
        if _PROPERTY not in properties:
            return {"encoder": "<not recorded>", "dim": None, "chunks": None}
        return json.loads(properties[_PROPERTY])

    def _create(self, chunks: Sequence[RagChunk]) -> None:
        pymilvus = require("pymilvus", feature="the Milvus vector store")
        info = self.encoder.info
        schema = pymilvus.MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("row", pymilvus.DataType.INT64, is_primary=True)
        schema.add_field("chunk_id", pymilvus.DataType.VARCHAR, max_length=512)
        schema.add_field("vector", pymilvus.DataType.FLOAT_VECTOR, dim=info.dim)
        index = self.client.prepare_index_params()
        # Vectors are unit length: inner product is the cosine similarity. FLAT: exact search, right for a
        # corpus of thousands; a large server collection would take HNSW or IVF.
        index.add_index(field_name="vector", index_type="FLAT", metric_type="IP")
        self.client.create_collection(self.collection, schema=schema, index_params=index)
        # What filled it, kept with the collection: a later build() with another encoder is refused.
        self.client.alter_collection_properties(self.collection, properties={_PROPERTY: json.dumps(
            {"encoder": info.model_id, "dim": info.dim, "chunks": _fingerprint(chunks)})})

    def _stored_rows(self) -> set[int]:
        rows: set[int] = set()
        offset = 0
        while True:
            page = self.client.query(self.collection, filter="row >= 0", output_fields=["row"], limit=_MAX_QUERY,
                                     offset=offset)
            rows.update(int(r["row"]) for r in page)
            if len(page) < _MAX_QUERY:
                return rows
            offset += len(page)

    # -- building and searching ------------------------------------------------------------
    def build(self, chunks: Sequence[RagChunk], *, rebuild: bool = False, show_progress: bool = True) -> VectorStore:
        """Embed and insert ``chunks``, or reopen the collection that already holds them.

        Args:
            chunks: The chunks, in a fixed order (row i of the collection is chunk i).
            rebuild: Drop the collection first (after changing the chunks or the encoder).
            show_progress: Draw a progress bar while embedding.

        Raises:
            EncoderMismatchError: The collection was built with another encoder (pass ``rebuild=True``).
            ValueError: The collection holds other chunks (pass ``rebuild=True``).
        """
        from tqdm.auto import tqdm

        chunks = list(chunks)
        if not chunks or not all(isinstance(c, RagChunk) for c in chunks):
            raise ValueError("chunks must be a non-empty list of RagChunk (see rerankkit.rag.chunk_documents)")
        if len({c.id for c in chunks}) != len(chunks):
            raise ValueError("chunks: two chunks share an id; chunk ids must be unique")
        if rebuild and self.client.has_collection(self.collection):
            self.client.drop_collection(self.collection)
        recorded = self._recorded()
        info = self.encoder.info
        if recorded is not None:
            if recorded.get("encoder") != info.model_id or recorded.get("dim") != info.dim:
                raise EncoderMismatchError(
                    f"collection {self.collection!r} at {self.uri} was built with encoder {recorded.get('encoder')!r} "
                    f"(dim {recorded.get('dim')}), not {info.model_id!r} (dim {info.dim}): its vectors cannot be "
                    "compared with this encoder's. Load that encoder, pass another collection=, or rebuild=True.")
            if recorded.get("chunks") != _fingerprint(chunks):
                raise ValueError(f"collection {self.collection!r} at {self.uri} holds other chunks than these: pass "
                                 "rebuild=True to embed these instead, or another collection=")
        else:
            self._create(chunks)
        self.client.load_collection(self.collection)  # a reopened collection starts released (not searchable)
        # Similar lengths in one batch: less padding for the encoder to run through.
        missing = sorted(set(range(len(chunks))) - self._stored_rows(), key=lambda i: len(chunks[i].text))
        self.embedded_now = 0
        with tqdm(total=len(chunks), initial=len(chunks) - len(missing), desc=f"embedding with {info.model_id}",
                  unit="chunk", disable=not show_progress or not missing) as bar:
            for start in range(0, len(missing), _INSERT_BATCH):
                rows = missing[start:start + _INSERT_BATCH]
                vectors = self.encoder.encode([chunks[i].text for i in rows], kind="passage")
                self.client.insert(self.collection, [{"row": i, "chunk_id": chunks[i].id, "vector": v.tolist()}
                                                     for i, v in zip(rows, vectors)])
                self.embedded_now += len(rows)
                bar.update(len(rows))
        self.client.load_collection(self.collection)
        self.chunks = chunks
        return self

    def search_vector(self, vector: np.ndarray | Sequence[float], k: int, *, rows: Sequence[int] | None = None
                      ) -> list[tuple[int, float]]:
        """``(row, cosine similarity)`` of the ``k`` nearest chunks to a query vector, best first.

        Args:
            vector: The query's vector.
            k: Chunks returned.
            rows: Search only these rows (a Milvus filter on the ``row`` field), e.g. one language's chunks.
        """
        check_positive_int(k, "k")
        if not self.chunks:
            raise RuntimeError("the store holds no chunks yet: call build(chunks) first")
        where = "" if rows is None else f"row in {sorted(int(r) for r in rows)}"
        limit = min(k, len(self.chunks) if rows is None else len(set(rows)))
        hits = self.client.search(self.collection, data=[np.asarray(vector, dtype=np.float32).tolist()],
                                  limit=limit, filter=where, output_fields=["row"])[0]
        found = [(int(h["entity"]["row"]), float(h["distance"])) for h in hits]
        return sorted(found, key=lambda item: (-item[1], item[0]))  # ties in row order: deterministic

    def search(self, query: str, k: int, *, rows: Sequence[int] | None = None) -> list[tuple[int, float]]:
        """``(row, cosine similarity)`` of the ``k`` chunks nearest to ``query`` (among ``rows``), best first."""
        query = check_query(query)
        vector = self._query_vectors.get(query)
        if vector is None:  # a hybrid asks again for the same query: encode it once
            if len(self._query_vectors) >= _QUERY_CACHE:
                self._query_vectors.clear()
            vector = self._query_vectors[query] = self.encoder.encode([query], kind="query")[0]
        return self.search_vector(vector, k, rows=rows)

    def retriever(self, rows: Sequence[int] | None = None) -> VectorRetriever:
        """This store as a first stage (``name``, ``corpus``, ``retrieve``), e.g. for a hybrid with BM25;
        ``rows`` limits it to those chunks (its corpus is then theirs, in that order)."""
        return VectorRetriever(self, rows)

    def close(self) -> None:
        """Release the connection (Milvus Lite stops its embedded server with the last client)."""
        self.client.close()


class VectorRetriever:
    """A :class:`VectorStore` with the first-stage interface of :mod:`rerankkit.retrieval`.

    Args:
        store: A built store.
        rows: The store's rows it searches (default all); candidate ``index`` is the position in this list.
    """

    name = "dense"

    def __init__(self, store: VectorStore, rows: Sequence[int] | None = None) -> None:
        if not store.chunks:
            raise ValueError("store holds no chunks yet: call store.build(chunks) first")
        self.store = store
        self.rows = list(range(len(store.chunks))) if rows is None else [int(r) for r in rows]
        if not self.rows or not all(0 <= r < len(store.chunks) for r in self.rows):
            raise ValueError(f"rows must be a non-empty list of row numbers below {len(store.chunks)}")
        self._position = {row: i for i, row in enumerate(self.rows)}
        self.corpus = [store.chunks[r].text for r in self.rows]

    def retrieve(self, query: str, k: int | None = None) -> list[Candidate]:
        """The ``k`` nearest chunks (default all), best first, as :class:`~rerankkit.retrieval.Candidate` rows."""
        check_positive_int(k, "k", allow_none=True)
        subset = None if len(self.rows) == len(self.store.chunks) else self.rows
        hits = self.store.search(query, k or len(self.corpus), rows=subset)
        return [Candidate(rank=r, index=self._position[row], score=s, text=self.corpus[self._position[row]])
                for r, (row, s) in enumerate(hits, 1)]
