"""Test-session defaults: hermetic and offline, notebooks on the tiny random model."""

import os

# Nothing in the suite may reach the Hugging Face Hub; notebooks read RERANKKIT_MODEL.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("RERANKKIT_MODEL", "tiny-random")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("MPLBACKEND", "Agg")
