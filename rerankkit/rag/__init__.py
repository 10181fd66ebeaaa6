"""Reranking inside a RAG pipeline: chunks, a Milvus vector store, the rerank step, context packing, evaluation.

* :mod:`~rerankkit.rag.chunks`: documents cut with the reranker's tokenizer, source offsets kept;
* :mod:`~rerankkit.rag.store`: Milvus Lite (one local file) or a Milvus server, filled by a dense encoder;
* :mod:`~rerankkit.rag.pipeline`: BM25, dense and hybrid (RRF) first stages, then the reranker;
* :mod:`~rerankkit.rag.rerank`: the rerank step the LangChain and LlamaIndex adapters call;
* :mod:`~rerankkit.rag.context`: the token budget, near-duplicates, citations, the prompt;
* :mod:`~rerankkit.rag.evaluate`: context recall and precision, tokens, added latency, the knee;
* :mod:`~rerankkit.rag.generate`: optional generation on an OpenAI-compatible endpoint.
"""

from rerankkit.rag.chunks import RagChunk, chunk_documents
from rerankkit.rag.context import Context, approximate_tokens, pack_context
from rerankkit.rag.corpus import RagCorpus, RagQuestion, crosslingual_corpus, pooled_corpus
from rerankkit.rag.pipeline import Hit, RagPipeline
from rerankkit.rag.rerank import CalibratedCut, arerank_texts, rerank_texts, shared_reranker
from rerankkit.rag.store import EncoderMismatchError, VectorStore, milvus_uri

__all__ = ["RagChunk", "chunk_documents", "Context", "approximate_tokens", "pack_context", "RagCorpus", "RagQuestion",
           "crosslingual_corpus", "pooled_corpus", "Hit", "RagPipeline", "CalibratedCut", "arerank_texts",
           "rerank_texts", "shared_reranker", "EncoderMismatchError", "VectorStore", "milvus_uri"]
