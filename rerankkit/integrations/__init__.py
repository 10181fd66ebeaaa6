"""Thin adapters that put rerankkit into RAG frameworks: :mod:`~rerankkit.integrations.langchain` and
:mod:`~rerankkit.integrations.llama_index`. They hold no logic of their own: the rerank step, the checks
and the metadata come from :mod:`rerankkit.rag`. Import the one you need (each needs its framework's extra).
"""
