"""Measuring: timing harness, padding per batch, agreement between two rerankers, cost of architectures."""
