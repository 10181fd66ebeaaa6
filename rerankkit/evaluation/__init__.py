"""Evaluation: ranking metrics, retrieve-then-rerank pipelines, thresholds, scores across languages."""
