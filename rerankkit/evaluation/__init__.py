"""Evaluation on standard data: formats, one data protocol, benchmark sets and a resumable reranking run."""
