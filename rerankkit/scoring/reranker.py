"""The :class:`Reranker`: score query-passage pairs and rank passages.

For encoder-only models scoring runs its own batched loop over FlagEmbedding's model
and tokenizer: every pair is tokenized once exactly as ``FlagReranker.compute_score``
does (query cut to 3/4 of max_length, then the passage cut to fit), pairs are sorted by
length, padded per batch and put back in input order. Decoder (LLM) rerankers and
multi-device runs are delegated to FlagEmbedding's own ``compute_score``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np

from rerankkit._utils.checks import check_flag, check_passages, check_positive_int, check_text, validate_pairs
from rerankkit._utils.hf import quiet_flag_progress, quiet_transformers
from rerankkit.errors import TruncationWarning
from rerankkit.score_scale import resolve_threshold, sigmoid
from rerankkit.scoring.decoder import decoder_input_ids
from rerankkit.scoring.info import ModelInfo, check_max_length
from rerankkit.scoring.results import Ranking

__all__ = ["Reranker", "EncodedPairs"]

# Above this many pairs a progress bar is worth showing.
PROGRESS_MIN_PAIRS = 256


@dataclass(frozen=True)
class EncodedPairs:
    """Pairs tokenized for the model, with truncation accounting.

    Attributes:
        input_ids: Token ids per pair, special tokens included, after truncation.
        n_tokens: Tokens kept per pair.
        n_cut: Tokens removed per pair to fit max_length (0 when nothing was cut).
        max_length: The limit applied.
    """

    input_ids: list[list[int]]
    n_tokens: np.ndarray
    n_cut: np.ndarray
    max_length: int

    def __len__(self) -> int:
        return len(self.input_ids)




def _batch_starts(sorted_lengths: np.ndarray, batch_size: int, max_batch_tokens: int | None) -> list[int]:
    """Where each batch starts in pairs sorted longest first: at most batch_size rows and, when given,
    at most max_batch_tokens padded tokens (rows times the first row's length; always at least one row).

    Example:
        >>> _batch_starts(np.array([300, 200, 100, 50, 40]), 4, None), _batch_starts(np.array([300, 200, 100, 50, 40]), 4, 400)
        ([0, 4], [0, 1, 3])
    """
    n = len(sorted_lengths)
    if max_batch_tokens is None:
        return list(range(0, n, batch_size))
    starts, start = [], 0
    while start < n:
        starts.append(start)
        rows = max(1, min(batch_size, max_batch_tokens // max(int(sorted_lengths[start]), 1)))
        start += rows
    return starts


class Reranker:
    """A loaded cross-encoder reranker. Create it with :func:`rerankkit.load`.

    Scores are raw logits unless ``normalize=True`` (sigmoid, in [0, 1]); the logit is what
    ranks, the sigmoid is easier to threshold.

    Example:
        >>> import rerankkit
        >>> rr = rerankkit.load("tiny-random")
        >>> isinstance(rr.score("what is panda?", "hi"), float)
        True
        >>> rr.rerank("capital of France?", ["Paris.", "Berlin."]).top_k(1)[0].rank
        1
    """

    def __init__(self, flag: Any, info: ModelInfo, *, batch_size: int = 32, max_batch_tokens: int | None = None) -> None:
        self.flag = flag
        self.info = info
        self.batch_size = batch_size
        self.max_batch_tokens = max_batch_tokens

    @property
    def model(self):
        """The Hugging Face model (shared with FlagEmbedding)."""
        return self.flag.model

    @property
    def tokenizer(self):
        """The Hugging Face tokenizer (shared with FlagEmbedding)."""
        return self.flag.tokenizer

    @property
    def instruction(self) -> str | None:
        """The task instruction of decoders that take one (Qwen3-Reranker, mxbai-rerank-v2); ``None`` for others.

        Set it to change what the model is asked (``None`` restores the model's default).

        Example:
            >>> import rerankkit
            >>> rr = rerankkit.load("tiny-random:Qwen/Qwen3-Reranker-0.6B")
            >>> rr.instruction = "Given a product title, retrieve matching product pages"
            >>> rr.instruction
            'Given a product title, retrieve matching product pages'
        """
        return getattr(self.flag, "instruction", None)

    @instruction.setter
    def instruction(self, value: str | None) -> None:
        if not hasattr(self.flag, "layout"):
            raise AttributeError(f"{self.info.model_id} takes no instruction: only Qwen3-Reranker and "
                                 "mxbai-rerank-v2 models do")
        self.flag.instruction = self.flag.layout.default_instruction if value is None else check_text(
            value, "instruction")

    def __repr__(self) -> str:
        return f"Reranker({self.info.label!r}, device={self.info.device!r}, dtype={self.info.dtype!r})"

    # -- tokenization -------------------------------------------------------------------
    def _max_length(self, max_length: int | None) -> int:
        return self.info.max_length if max_length is None else check_max_length(
            max_length, self.info.model_max_length, self.info.model_id
        )

    def encode(self, pairs: Sequence[tuple[str, str]], *, max_length: int | None = None) -> EncodedPairs:
        """Tokenize pairs exactly as ``FlagReranker.compute_score`` does, counting cut tokens.

        The query keeps at most 3/4 of max_length tokens; the passage is then cut from its end
        so that the pair, special tokens included, fits max_length. Decoder rerankers give the ids
        their scorer builds, prompt included (:func:`rerankkit.scoring.decoder.decoder_input_ids`).
        """
        max_length = self._max_length(max_length)
        if self.info.kind != "encoder":
            return self._encode_decoder(pairs, max_length)
        tok = self.tokenizer
        queries = [q for q, _ in pairs]
        passages = [p for _, p in pairs]
        with quiet_transformers():  # untruncated on purpose: the full length is what we count
            q_full = tok(queries, add_special_tokens=False, truncation=False)["input_ids"]
            p_full = tok(passages, add_special_tokens=False, truncation=False)["input_ids"]
        q_max = max_length * 3 // 4
        q_cut = [ids[:q_max] for ids in q_full]
        p_cut = [ids[:max_length] for ids in p_full]
        # transformers 5 tokenizers lost the id-level prepare_for_model; FlagEmbedding decodes
        # the cut ids and tokenizes the pair again. Doing the same, batched, keeps ids identical.
        decode = dict(skip_special_tokens=False, clean_up_tokenization_spaces=False)
        q_text = tok.batch_decode(q_cut, **decode)
        p_text = tok.batch_decode(p_cut, **decode)
        input_ids = tok(q_text, p_text, truncation="only_second", max_length=max_length)["input_ids"]
        special = tok.num_special_tokens_to_add(pair=True)
        full = np.array([len(q) + len(p) + special for q, p in zip(q_full, p_full)], dtype=np.int64)
        kept = np.array([len(ids) for ids in input_ids], dtype=np.int64)
        # Decoding and re-tokenizing can shift a count by a token (e.g. around <unk>): only pairs
        # that really exceeded a limit count as cut.
        over = (full > max_length) | np.array([len(q) > q_max for q in q_full], dtype=bool)
        n_cut = np.where(over, np.maximum(full - kept, 0), 0)
        return EncodedPairs(input_ids=input_ids, n_tokens=kept, n_cut=n_cut, max_length=max_length)

    def _encode_decoder(self, pairs: Sequence[tuple[str, str]], max_length: int) -> EncodedPairs:
        # Decoders put each pair into a prompt: the ids are those their scorer feeds the model.
        input_ids, full = decoder_input_ids(self.flag, pairs, max_length)
        kept = np.array([len(ids) for ids in input_ids], dtype=np.int64)
        return EncodedPairs(input_ids=input_ids, n_tokens=kept, n_cut=np.maximum(full - kept, 0),
                            max_length=max_length)

    # -- scoring ------------------------------------------------------------------------
    def forward(
        self, input_ids: Sequence[Sequence[int]], *, batch_size: int | None = None, show_progress: bool | None = None,
        max_batch_tokens: int | None = None,
    ) -> np.ndarray:
        """Raw logits for already-tokenized pairs: sorted by length, padded per batch, input order restored.

        ``max_batch_tokens`` (default: the reranker's ``max_batch_tokens``, None for no limit) also caps
        each batch's padded size, rows times its longest pair, so long pairs go in smaller batches.
        """
        import torch

        batch_size = self._batch_size(batch_size)
        budget = self.max_batch_tokens if max_batch_tokens is None else max_batch_tokens
        check_positive_int(budget, "max_batch_tokens", allow_none=True)
        check_flag(show_progress, "show_progress", allow_none=True)
        n = len(input_ids)
        lengths = np.fromiter((len(ids) for ids in input_ids), dtype=np.int64, count=n)
        order = np.argsort(-lengths, kind="stable")
        pad_id = self.tokenizer.pad_token_id
        device = self.model.device
        logits = np.empty(n, dtype=np.float64)
        starts = _batch_starts(lengths[order], batch_size, budget)
        batches: Any = zip(starts, [*starts[1:], n])
        if show_progress is None:
            show_progress = n >= PROGRESS_MIN_PAIRS
        if show_progress:
            from tqdm.auto import tqdm

            batches = tqdm(batches, desc="Scoring", unit="batch", total=len(starts))
        with torch.inference_mode():
            for start, stop in batches:
                idx = order[start:stop]
                width = int(lengths[idx[0]])
                ids = torch.full((len(idx), width), pad_id, dtype=torch.long)
                mask = torch.zeros((len(idx), width), dtype=torch.long)
                for row, i in enumerate(idx):
                    ids[row, : lengths[i]] = torch.as_tensor(input_ids[i])
                    mask[row, : lengths[i]] = 1
                inputs = {"input_ids": ids.to(device), "attention_mask": mask.to(device)}
                segments = self.token_type_ids(ids, mask)
                if segments is not None:
                    inputs["token_type_ids"] = segments.to(device)
                out = self.model(**inputs).logits
                logits[idx] = out.view(-1).float().cpu().numpy()
        return logits

    def token_type_ids(self, input_ids, attention_mask):
        """The token types a BERT-style model reads for padded pairs, or ``None`` for models with one type (XLM-R).

        0 up to and including the first separator, 1 after it (``[CLS] q [SEP] p [SEP]``), 0 on padding:
        what the tokenizer gives for a pair.
        """
        if "token_type_ids" not in getattr(self.tokenizer, "model_input_names", ()) or \
                getattr(getattr(self.model, "config", None), "type_vocab_size", 1) <= 1:
            return None
        sep = (input_ids == self.tokenizer.sep_token_id).long()
        return ((sep.cumsum(dim=1) - sep) > 0).long() * attention_mask

    def _batch_size(self, batch_size: object) -> int:
        # None means the reranker's own; 0, negatives and floats are errors, never silently replaced.
        return self.batch_size if batch_size is None else int(check_positive_int(batch_size, "batch_size"))

    def _delegated(self) -> bool:
        return self.info.kind != "encoder" or "," in self.info.device

    def _score_pairs(
        self,
        pairs: list[tuple[str, str]],
        *,
        batch_size: int | None,
        max_length: int | None,
        show_progress: bool | None,
    ) -> tuple[np.ndarray, EncodedPairs]:
        batch_size = self._batch_size(batch_size)
        check_flag(show_progress, "show_progress", allow_none=True)
        encoded = self.encode(pairs, max_length=max_length)
        if self._delegated():
            show = show_progress if show_progress is not None else len(pairs) >= PROGRESS_MIN_PAIRS
            with quiet_flag_progress(show):
                raw = self.flag.compute_score(
                    [list(p) for p in pairs], batch_size=batch_size,
                    max_length=encoded.max_length, normalize=False,
                )
            logits = np.asarray(raw, dtype=np.float64).reshape(-1)
        else:
            logits = self.forward(encoded.input_ids, batch_size=batch_size, show_progress=show_progress)
        bad = np.flatnonzero(~np.isfinite(logits))
        if bad.size:
            raise FloatingPointError(
                f"the model returned a non-finite logit for {bad.size} of {len(pairs)} pairs (first at index "
                f"{int(bad[0])}): the weights or the dtype overflowed. Try dtype='fp32', or check the model folder."
            )
        n_truncated = int((encoded.n_cut > 0).sum())
        if n_truncated:
            warnings.warn(
                f"{n_truncated} of {len(pairs)} pairs were longer than max_length={encoded.max_length} tokens "
                f"and lost up to {int(encoded.n_cut.max())} tokens from the end of the passage. "
                "Raise max_length or chunk long passages (rerankkit.text.chunking.chunk).",
                TruncationWarning,
                stacklevel=3,
            )
        return logits, encoded

    # A str is also a Sequence[str]: this overload, listed first, wins for it.
    @overload
    def score(  # type: ignore[overload-overlap]
        self, query: str, passage: str, /, *, normalize: bool = ..., batch_size: int | None = ...,
              max_length: int | None = ..., show_progress: bool | None = ...) -> float: ...
    @overload
    def score(self, query: str, passages: Sequence[str], /, *, normalize: bool = ..., batch_size: int | None = ...,
              max_length: int | None = ..., show_progress: bool | None = ...) -> np.ndarray: ...
    @overload
    def score(self, pairs: Sequence[tuple[str, str]], /, *, normalize: bool = ..., batch_size: int | None = ...,
              max_length: int | None = ..., show_progress: bool | None = ...) -> np.ndarray: ...

    def score(
        self,
        query_or_pairs: str | Sequence[tuple[str, str]],
        passages: str | Sequence[str] | None = None,
        /,
        *,
        normalize: bool = False,
        batch_size: int | None = None,
        max_length: int | None = None,
        show_progress: bool | None = None,
    ) -> float | np.ndarray:
        """Score pairs: one float for ``(query, passage)``, an array otherwise.

        Args:
            query_or_pairs: A query string, or a list of ``(query, passage)`` pairs.
            passages: One passage (gives a float) or a list of passages for the query.
            normalize: Return sigmoid scores in [0, 1] instead of raw logits.
            batch_size: Pairs per forward pass (default: the reranker's).
            max_length: Tokens per pair kept (default: the reranker's).
            show_progress: Force the progress bar on or off (default: on for large inputs).

        Example:
            >>> import rerankkit
            >>> rr = rerankkit.load("tiny-random")
            >>> rr.score("q", ["a", "b"]).shape
            (2,)
            >>> 0.0 <= rr.score("q", "a", normalize=True) <= 1.0
            True
        """
        pairs, single = validate_pairs(query_or_pairs, passages)
        check_flag(normalize, "normalize")
        logits, _ = self._score_pairs(pairs, batch_size=batch_size, max_length=max_length, show_progress=show_progress)
        values = sigmoid(logits) if normalize else logits
        return float(np.asarray(values).reshape(-1)[0]) if single else np.asarray(values, dtype=np.float64)

    def rerank(
        self,
        query: str,
        passages: Sequence[str],
        *,
        top_k: int | None = None,
        threshold: float | str | None = None,
        batch_size: int | None = None,
        max_length: int | None = None,
        show_progress: bool | None = None,
    ) -> Ranking:
        """Rank passages for a query, best first.

        Args:
            query: The query.
            passages: Candidate passages.
            top_k: Keep only the best k rows (default: all).
            threshold: Sigmoid score (0-1) or preset name (``strict``, ``balanced``,
                ``permissive``; uncalibrated starting points) that marks rows as passing; rows are
                marked, not dropped. Default: ``None``, no row is marked (the order within the query is
                what the model learned); cut per query with ``ranking.with_top_k(k)`` or
                ``ranking.with_gap(logits)``, or pass a threshold calibrated on labelled pairs.

        Example:
            >>> import rerankkit
            >>> rr = rerankkit.load("tiny-random")
            >>> ranking = rr.rerank("capital of France?", ["Paris.", "Berlin.", "Rome."], top_k=2)
            >>> len(ranking), [row.rank for row in ranking]
            (2, [1, 2])
        """
        query = check_text(query, "query")
        texts = check_passages(passages)
        check_positive_int(top_k, "top_k", allow_none=True)
        cut = None if threshold is None else resolve_threshold(threshold)
        logits, encoded = self._score_pairs(
            [(query, p) for p in texts], batch_size=batch_size, max_length=max_length, show_progress=show_progress
        )
        ranking = Ranking.from_scores(
            query=query,
            texts=texts,
            logits=logits,
            n_tokens=encoded.n_tokens,
            n_cut=encoded.n_cut,
            threshold=cut,
            model_label=self.info.label,
            random_weights=self.info.random_weights,
        )
        if isinstance(threshold, str):  # a preset keeps its name (and "uncalibrated") in the ranking's label
            ranking = ranking.with_threshold(threshold)
        return ranking.top_k(top_k) if top_k is not None else ranking
