"""Text before scoring: words and scripts, what truncation cuts, chunks of long documents, HTML cleaning."""
