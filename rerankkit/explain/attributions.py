"""Word attributions for one (query, passage) score: integrated gradients and occlusion.

Both methods explain the **raw logit** and report per-word values in logit units.

* ``integrated_gradients``: captum's ``LayerIntegratedGradients`` on the input word
  embeddings (``model.get_input_embeddings()``). The baseline is the same sequence with the
  special tokens kept and every other token replaced by ``<unk>``; position ids are passed
  explicitly so that baseline and input share them (XLM-R otherwise derives positions from
  the ids). Attributions add up to ``f(x) - f(baseline)`` up to the reported convergence delta.
* ``occlusion``: each word's tokens are deleted from the pair (not masked: the sequence gets
  shorter) and all variants are scored in one batched call; a word's value is
  ``f(x) - f(x without the word)``.

Subword values are summed into words (see :mod:`rerankkit.text.words`), so sums are kept.
"""

from __future__ import annotations

import inspect
import math
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, cast, get_args

import numpy as np

from rerankkit._utils.checks import check_positive_int, check_text
from rerankkit.errors import ConvergenceWarning, SlowExplanationWarning
from rerankkit.text.words import WordSpan, group_words

if TYPE_CHECKING:
    import pandas as pd
    import torch

    from rerankkit.scoring.reranker import Reranker

__all__ = [
    "explain",
    "Explanation",
    "WordAttribution",
    "ConvergenceWarning",
    "SlowExplanationWarning",
    "estimate_seconds",
    "Method",
]

Method = Literal["auto", "integrated_gradients", "occlusion"]
METHODS: tuple[str, ...] = get_args(Method)
# "auto" uses integrated gradients up to this many tokens per pair, occlusion above.
AUTO_IG_MAX_TOKENS = 256
# Relative convergence delta above which integrated gradients warns.
DELTA_TOLERANCE = 0.05
# Estimated runs longer than this (seconds) are announced before they start.
SLOW_SECONDS = 10.0
# Rule of thumb: a forward plus backward pass costs about three forward passes.
BACKWARD_FACTOR = 3.0
_ROBERTA_LIKE = {"xlm-roberta", "roberta", "camembert", "xlm-roberta-xl"}
_SIDES = ("query", "passage")


@dataclass(frozen=True)
class WordAttribution:
    """One word and its share of the score, in raw-logit units.

    Attributes:
        side: ``"query"`` or ``"passage"``.
        position: Word number within its side (0-based).
        text: The word as it appears in the text.
        start: Character offset of the word in its side's text.
        end: Character offset just past the word.
        attribution: Logit units; positive words raise the score.
        n_subwords: Tokens the word covers.
        score_without: Occlusion only: the raw logit with this word deleted.
    """

    side: str
    position: int
    text: str
    start: int
    end: int
    attribution: float
    n_subwords: int
    score_without: float | None = None


@dataclass(frozen=True, eq=False)  # holds arrays: compare fields, not objects
class Explanation:
    """Why one pair scored as it did: words with attributions in raw-logit units.

    Renders in Jupyter as the query and passage with words highlighted by sign (green raises,
    red lowers the logit) and size, with a legend in logit units.

    Attributes:
        query: The query explained.
        passage: The passage explained.
        method: ``integrated_gradients`` or ``occlusion``.
        words: Query words, then passage words.
        score: Raw logit of the pair, f(x).
        baseline_score: Integrated gradients: f(baseline); occlusion: None.
        delta: Integrated gradients: convergence delta, sum(attributions) - (f(x) - f(baseline)).
        tokens: Token strings of the pair, special tokens included.
        token_attributions: Per-token values (special tokens get 0 from integrated gradients).
        token_words: For each token, the index into ``words`` it belongs to (None for special tokens).
        n_steps: Integrated-gradients steps (None for occlusion).
        baseline_token: Token that replaced every non-special token in the baseline.
        passage_cut_at: Character offset where max_length cut the passage (None when it fit).
        seconds: Wall time of the attribution run.
        seconds_per_forward: Measured time of one forward pass of the pair (the cost estimate's basis).
        model_label: Model name, flagged when its weights are random.
        random_weights: The model's weights are random: the explanation shows the method, not meaning.
    """

    query: str
    passage: str
    method: str
    words: tuple[WordAttribution, ...]
    score: float
    baseline_score: float | None
    delta: float | None
    tokens: tuple[str, ...]
    token_attributions: np.ndarray = field(repr=False)
    token_words: tuple[int | None, ...] = field(repr=False)
    n_steps: int | None = None
    baseline_token: str | None = None
    passage_cut_at: int | None = None
    seconds: float = 0.0
    seconds_per_forward: float = 0.0
    model_label: str = ""
    random_weights: bool = False

    @property
    def query_words(self) -> list[WordAttribution]:
        """The query's words in order."""
        return [w for w in self.words if w.side == "query"]

    @property
    def passage_words(self) -> list[WordAttribution]:
        """The passage's words in order."""
        return [w for w in self.words if w.side == "passage"]

    @property
    def total(self) -> float:
        """Sum of all word attributions (logit units)."""
        return float(sum(w.attribution for w in self.words))

    @property
    def relative_delta(self) -> float | None:
        """|delta| / |f(x) - f(baseline)| for integrated gradients (None for occlusion)."""
        if self.delta is None or self.baseline_score is None:
            return None
        change = abs(self.score - self.baseline_score)
        return abs(self.delta) / change if change > 0 else (0.0 if self.delta == 0 else math.inf)

    def top(self, k: int = 5) -> list[WordAttribution]:
        """The k words with the largest absolute attribution."""
        return sorted(self.words, key=lambda w: -abs(w.attribution))[:k]

    def to_frame(self) -> pd.DataFrame:
        """One row per word: side, position, word, attribution (logit units), n_subwords[, score_without]."""
        import pandas as pd

        rows = [
            {"side": w.side, "position": w.position, "word": w.text, "attribution": w.attribution,
             "n_subwords": w.n_subwords}
            for w in self.words
        ]
        frame = pd.DataFrame(rows)
        if self.method == "occlusion":
            frame["score_without"] = [w.score_without for w in self.words]
        return frame

    def summary(self) -> str:
        """One line: method, score, baseline or occlusion, delta."""
        if self.method == "occlusion":
            return f"occlusion · raw logit {self.score:+.4f} · {len(self.words)} words deleted one at a time"
        return (
            f"integrated gradients ({self.n_steps} steps, baseline: {self.baseline_token}) · raw logit "
            f"{self.score:+.4f} · baseline {self.baseline_score:+.4f} · sum of attributions {self.total:+.4f} · "
            f"delta {self.delta:+.2e}"
        )

    def __repr__(self) -> str:
        head = f"Explanation of {self.query!r} / {_short(self.passage)!r} ({self.model_label})\n  {self.summary()}"
        lines = [head]
        for w in self.top(8):
            if w.score_without is not None:
                lines.append(f"  deleting {w.text!r}: {self.score:+.2f} -> {w.score_without:+.2f}")
            else:
                lines.append(f"  {w.side:>7} {w.text!r}: {w.attribution:+.4f}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from rerankkit.display.explanation import explanation_html

        return explanation_html(self)


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def estimate_seconds(method: str, *, seconds_per_forward: float, n_steps: int = 50, n_words: int = 1,
                     batch_size: int = 1, seconds_per_batch: float | None = None) -> float:
    """Rough wall time of an explanation from measured forward passes of the pair.

    Integrated gradients runs ``n_steps`` forward and backward passes (about three forwards each);
    occlusion runs one forward per word. Both run in batches of ``batch_size``; with the measured time of
    one such batch (``seconds_per_batch``) the estimate counts batches, which is what the run costs (a small
    model's batch of 50 costs little more than one pass). Without it, each step is priced as a single pass,
    which overestimates small models many times over.

    Example:
        >>> estimate_seconds("integrated_gradients", seconds_per_forward=0.5, n_steps=50)
        75.0
        >>> estimate_seconds("occlusion", seconds_per_forward=0.5, n_words=40)
        20.0
        >>> estimate_seconds("integrated_gradients", seconds_per_forward=0.01, n_steps=50, batch_size=50,
        ...                  seconds_per_batch=0.02)
        0.06
    """
    if method not in ("integrated_gradients", "occlusion"):
        raise ValueError(f"unknown method {method!r}: use 'integrated_gradients' or 'occlusion'")
    if seconds_per_batch is None:
        return (BACKWARD_FACTOR * n_steps if method == "integrated_gradients" else n_words) * seconds_per_forward
    if method == "integrated_gradients":
        return round(BACKWARD_FACTOR * math.ceil(n_steps / batch_size) * seconds_per_batch, 6)
    return round(math.ceil(n_words / batch_size) * seconds_per_batch, 6)


# -- inputs -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Pair:
    ids: list[int]
    pieces: list[str]
    spans: list[WordSpan]
    passage_cut_at: int | None


def _tokenize(reranker: Reranker, query: str, passage: str, max_length: int | None) -> _Pair:
    tok = reranker.tokenizer
    if not getattr(tok, "is_fast", False):
        raise TypeError(
            f"explain() needs a fast tokenizer (offsets and word ids); {type(tok).__name__} is not. "
            "Load the model with its tokenizer.json (transformers' fast tokenizer)."
        )
    encoded = reranker.encode([(query, passage)], max_length=max_length)
    ids = list(encoded.input_ids[0])
    enc = tok(query, passage, return_offsets_mapping=True, truncation="only_second", max_length=encoded.max_length)
    if list(enc["input_ids"]) != ids:
        warnings.warn(
            "This pair tokenizes differently when encoded directly than FlagEmbedding's decode-and-retokenize "
            "(usually a query longer than 3/4 of max_length). The explanation uses the direct tokenization, so "
            "its score can differ slightly from rr.score(). Raise max_length to avoid this.",
            UserWarning,
            stacklevel=3,
        )
        ids = list(enc["input_ids"])
    pieces = enc.tokens()
    spans = group_words(pieces, enc.word_ids(), enc.sequence_ids(), enc["offset_mapping"], (query, passage))
    cut_at = None
    if int(encoded.n_cut[0]) > 0:
        passage_ends = [e for (s, e), side in zip(enc["offset_mapping"], enc.sequence_ids()) if side == 1]
        cut_at = max(passage_ends) if passage_ends else 0
    return _Pair(ids=ids, pieces=pieces, spans=spans, passage_cut_at=cut_at)


def _check_method(method: str) -> Method:
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}: use one of {', '.join(METHODS)}")
    return cast(Method, method)


def _position_ids(model, length: int, device) -> torch.Tensor | None:
    """Explicit position ids shared by input and baseline, or None if the model takes none."""
    import torch

    try:
        params: Mapping[str, inspect.Parameter] = inspect.signature(model.forward).parameters
    except (TypeError, ValueError):
        params = {}
    if "position_ids" not in params and not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return None
    config = getattr(model, "config", None)
    offset = 0
    if getattr(config, "model_type", "") in _ROBERTA_LIKE:
        offset = (getattr(config, "pad_token_id", 1) or 0) + 1  # RoBERTa numbers positions from pad + 1
    return (torch.arange(length, device=device) + offset).unsqueeze(0)


def _logits(model, input_ids, attention_mask, position_ids, segments=None):
    kwargs = {"input_ids": input_ids, "attention_mask": attention_mask}
    if position_ids is not None:
        kwargs["position_ids"] = position_ids.expand(input_ids.shape[0], -1)
    if segments is not None:  # BERT-style token types, the same for input and baseline
        kwargs["token_type_ids"] = segments.expand(input_ids.shape[0], -1)
    out = model(**kwargs)
    logits = out.logits if hasattr(out, "logits") else out
    return logits.reshape(logits.shape[0], -1)[:, 0]


def _check_model(model) -> None:
    import torch

    dtype = next(model.parameters()).dtype
    if dtype != torch.float32:
        raise ValueError(
            f"explain() runs in fp32 for faithful gradients, but the model is in {dtype}. "
            "Load a separate copy with rerankkit.load(..., dtype='fp32') to explain."
        )


def _words_from(spans: list[WordSpan], values: np.ndarray, texts: tuple[str, str],
                without: np.ndarray | None = None) -> tuple[tuple[WordAttribution, ...], dict[int, int]]:
    words = []
    token_words: dict[int, int] = {}
    counters = [0, 0]
    for n, span in enumerate(spans):
        for t in span.tokens:
            token_words[t] = n
        words.append(
            WordAttribution(
                side=_SIDES[span.side],
                position=counters[span.side],
                text=texts[span.side][span.start : span.end],
                start=span.start,
                end=span.end,
                attribution=float(values[n]),
                n_subwords=len(span.tokens),
                score_without=None if without is None else float(without[n]),
            )
        )
        counters[span.side] += 1
    return tuple(words), token_words


# -- the public entry point -----------------------------------------------------------------
def explain(
    reranker: Reranker,
    query: str,
    passage: str,
    method: Method = "auto",
    *,
    n_steps: int = 50,
    internal_batch_size: int | None = None,
    baseline_token: str | None = None,
    max_length: int | None = None,
    show_progress: bool | None = None,
    on_progress: Callable[[int, int, float], None] | None = None,
) -> Explanation:
    """Explain the raw logit of one (query, passage) pair word by word.

    Args:
        reranker: A loaded :class:`~rerankkit.scoring.reranker.Reranker` (fp32; CPU or GPU).
        query: The query.
        passage: The passage.
        method: ``"integrated_gradients"``, ``"occlusion"``, or ``"auto"`` (integrated gradients
            for pairs of at most 256 tokens, occlusion above).
        n_steps: Integrated-gradients steps along the path from baseline to input.
        internal_batch_size: Integrated-gradients steps per forward pass (default: as many as
            fit about 4096 tokens).
        baseline_token: Token that fills the baseline (default: the tokenizer's ``<unk>``).
        max_length: Tokens per pair (default: the reranker's); the passage is cut as in scoring.
        show_progress: Progress bar on or off (default: on for runs estimated over 2 seconds).
        on_progress: Called as ``on_progress(done, total, estimated_seconds)``: once with ``done=0`` before the
            run (after any :class:`SlowExplanationWarning`), then after each forward pass, so a front end can show
            the estimate first and then move its own progress bar.

    Returns:
        An :class:`Explanation`: words with attributions in logit units, the score, the
        baseline score and convergence delta (integrated gradients), the method.

    Warns:
        SlowExplanationWarning: Before a run estimated to exceed 10 seconds, with the estimate.
        ConvergenceWarning: When |delta| exceeds 5% of |f(x) - f(baseline)|, naming the
            n_steps to try.

    Example:
        >>> import rerankkit
        >>> rr = rerankkit.load("tiny-random")
        >>> ex = rerankkit.explain(rr, "capital of France?", "Paris is the capital.", n_steps=16)
        >>> [w.text for w in ex.passage_words]
        ['Paris', 'is', 'the', 'capital.']
        >>> abs(ex.total - (ex.score - ex.baseline_score)) <= abs(ex.delta) + 1e-6
        True
    """
    import torch


    query = check_text(query, "query")
    passage = check_text(passage, "passage")
    method = _check_method(method)
    check_positive_int(n_steps, "n_steps")
    check_positive_int(internal_batch_size, "internal_batch_size", allow_none=True)
    if reranker.info.kind != "encoder":
        raise ValueError(
            f"explain() supports cross-encoder rerankers; {reranker.info.model_id} is a {reranker.info.kind} reranker."
        )
    model = reranker.model
    _check_model(model)
    tok = reranker.tokenizer
    if baseline_token is None:
        baseline_token = tok.unk_token
    baseline_id = tok.convert_tokens_to_ids(baseline_token)
    if baseline_id is None or (baseline_token != tok.unk_token and baseline_id == tok.unk_token_id):
        raise ValueError(
            f"baseline_token={baseline_token!r} is not in the tokenizer's vocabulary; try {tok.unk_token!r}"
        )

    pair = _tokenize(reranker, query, passage, max_length)
    if not pair.spans:
        raise ValueError("nothing to explain: the pair has no query or passage tokens after tokenization")
    if method == "auto":
        method = "integrated_gradients" if len(pair.ids) <= AUTO_IG_MAX_TOKENS else "occlusion"

    device = model.device
    was_training = model.training
    model.eval()
    try:
        # Gradients are needed even if the caller sits inside inference_mode or no_grad.
        with torch.inference_mode(False), torch.enable_grad():
            ids = torch.tensor([pair.ids], device=device)
            special = set(tok.all_special_ids)
            baseline = torch.tensor([[t if t in special else baseline_id for t in pair.ids]], device=device)
            mask = torch.ones_like(ids)
            positions = _position_ids(model, ids.shape[1], device)
            segments = reranker.token_type_ids(ids, mask)
            with torch.no_grad():  # plain scores; the attribution run below has gradients
                f_x, f_b = _logits(model, torch.cat([ids, baseline]), torch.cat([mask, mask]), positions,
                                   segments).tolist()
                per_forward = _time_forward(model, ids, mask, positions)
                rows = (internal_batch_size or max(1, min(n_steps, 4096 // ids.shape[1]))
                        if method == "integrated_gradients" else min(len(pair.spans), reranker.batch_size))
                per_batch = _time_batch(model, ids, mask, positions, rows, per_forward)
            estimate = estimate_seconds(method, seconds_per_forward=per_forward, n_steps=n_steps,
                                        n_words=len(pair.spans), batch_size=rows, seconds_per_batch=per_batch)
            _announce(method, estimate, per_forward, n_steps, len(pair.spans), len(pair.ids), str(device))
            progress = estimate > 2.0 if show_progress is None else bool(show_progress)
            report: Callable[[int, int], None] | None = None
            if on_progress is not None:
                callback = on_progress
                report = lambda done, total: callback(done, total, estimate)  # noqa: E731
            started = time.perf_counter()
            if method == "integrated_gradients":
                values, token_values, delta = _integrated_gradients(
                    model, ids, baseline, mask, positions, pair, n_steps=n_steps,
                    internal_batch_size=internal_batch_size, progress=progress, report=report, segments=segments,
                )
                without = None
            else:
                values, token_values, without = _occlusion(reranker, pair, f_x, progress=progress, report=report)
                delta = None
            seconds = time.perf_counter() - started
    finally:
        model.train(was_training)

    words, token_words = _words_from(pair.spans, values, (query, passage), without)
    result = Explanation(
        query=query,
        passage=passage,
        method=method,
        words=words,
        score=float(f_x),
        baseline_score=float(f_b) if method == "integrated_gradients" else None,
        delta=delta,
        tokens=tuple(pair.pieces),
        token_attributions=token_values,
        token_words=tuple(token_words.get(i) for i in range(len(pair.ids))),
        n_steps=n_steps if method == "integrated_gradients" else None,
        baseline_token=baseline_token if method == "integrated_gradients" else None,
        passage_cut_at=pair.passage_cut_at,
        seconds=seconds,
        seconds_per_forward=per_forward,
        model_label=reranker.info.label,
        random_weights=reranker.info.random_weights,
    )
    if method == "integrated_gradients":
        _check_convergence(result)
    return result


def _time_forward(model, ids, mask, positions, *, budget: float = 0.5, repeats: int = 3) -> float:
    """Seconds of one forward pass of the pair: the fastest of a few runs (fewer for slow models)."""
    times: list[float] = []
    while len(times) < repeats and sum(times) < budget:
        started = time.perf_counter()
        _logits(model, ids, mask, positions)
        times.append(time.perf_counter() - started)
    return min(times)


def _time_batch(model, ids, mask, positions, rows: int, per_forward: float, *, probe_rows: int = 8,
                budget: float = 2.0) -> float:
    """Seconds of one forward pass of a batch of ``rows`` copies of the pair, as the run batches them.

    A batch of ``probe_rows`` is timed beside the single pass, and the time is extended along the line through
    both: a small model's batch costs about one pass (fixed overhead), a large model's grows with its rows.
    When even the probe batch would cost more than ``budget`` seconds, the model is large: ``rows`` passes.
    """
    if rows <= 1:
        return per_forward
    k = min(rows, probe_rows)
    if k * per_forward > budget:
        return rows * per_forward
    batch = _time_forward(model, ids.expand(k, -1), mask.expand(k, -1), positions, budget=budget, repeats=2)
    per_row = max(0.0, (batch - per_forward) / (k - 1))
    return max(per_forward, per_forward + per_row * (rows - 1))


def _announce(method: str, estimate: float, per_forward: float, n_steps: int, n_words: int, n_tokens: int,
              device: str) -> None:
    if estimate <= SLOW_SECONDS:
        return
    message = (
        f"Explaining with {method} is estimated to take about {estimate:.0f} s "
        f"(one forward pass of this {n_tokens}-token pair took {per_forward:.2f} s on {device}; "
        + (f"{n_steps} steps x forward and backward" if method == "integrated_gradients" else f"{n_words} words")
        + "; batching usually makes it faster)."
    )
    if method == "integrated_gradients" and device == "cpu":
        occl = estimate_seconds("occlusion", seconds_per_forward=per_forward, n_words=n_words)
        message += (
            f" On CPU, method='occlusion' needs no backward pass (estimated {occl:.0f} s here); "
            "fewer n_steps is faster but less exact."
        )
    if n_tokens > AUTO_IG_MAX_TOKENS:
        message += " For long documents, rerankkit.text.chunking.score_chunked finds the deciding chunk to explain."
    warnings.warn(message, SlowExplanationWarning, stacklevel=3)


def _integrated_gradients(model, ids, baseline, mask, positions, pair: _Pair, *, n_steps: int,
                          internal_batch_size: int | None, progress: bool,
                          report: Callable[[int, int], None] | None = None, segments=None):
    from captum.attr import LayerIntegratedGradients

    if internal_batch_size is None:
        internal_batch_size = max(1, min(n_steps, 4096 // ids.shape[1]))
    # Captum runs input and baseline, the step batches, then input and baseline again for the delta.
    total = math.ceil(n_steps / internal_batch_size) + 4
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc="Integrated gradients", unit="pass")
    done = 0
    if report is not None:
        report(0, total)

    def forward(input_ids, attention_mask, position_ids):
        nonlocal done
        logits = _logits(model, input_ids, attention_mask, position_ids, segments)
        done += 1
        if bar is not None:
            bar.update(1)
        if report is not None:
            report(min(done, total), total)
        return logits

    lig = LayerIntegratedGradients(forward, model.get_input_embeddings())
    try:
        attributions, delta = lig.attribute(
            ids,
            baselines=baseline,
            additional_forward_args=(mask, positions),
            n_steps=n_steps,
            internal_batch_size=internal_batch_size,
            return_convergence_delta=True,
        )
    finally:
        if bar is not None:
            bar.close()
    token_values = attributions.detach().sum(dim=-1)[0].double().cpu().numpy()
    values = np.array([token_values[list(span.tokens)].sum() for span in pair.spans])
    return values, token_values, float(delta.detach().reshape(-1)[0])


def _occlusion(reranker: Reranker, pair: _Pair, f_x: float, *, progress: bool,
               report: Callable[[int, int], None] | None = None):
    variants = []
    for span in pair.spans:
        drop = set(span.tokens)
        variants.append([t for i, t in enumerate(pair.ids) if i not in drop])
    if report is None:
        scores = reranker.forward(variants, show_progress=progress)
    else:  # in slices, so the caller's progress moves as the words are scored
        step = max(1, math.ceil(len(variants) / 20))
        report(0, len(variants))
        parts = []
        for start in range(0, len(variants), step):
            parts.append(reranker.forward(variants[start:start + step], show_progress=False))
            report(min(start + step, len(variants)), len(variants))
        scores = np.concatenate(parts)
    values = f_x - scores
    token_values = np.zeros(len(pair.ids))
    for span, value in zip(pair.spans, values):
        # A word's change is shared evenly by its tokens, so token values still sum to word values.
        token_values[list(span.tokens)] = value / len(span.tokens)
    return values, token_values, scores


def _check_convergence(result: Explanation) -> None:
    change = abs(result.score - (result.baseline_score or 0.0))
    if result.delta is None or abs(result.delta) <= DELTA_TOLERANCE * change:
        return
    assert result.n_steps is not None and result.baseline_score is not None  # integrated gradients ran
    ratio = abs(result.delta) / max(DELTA_TOLERANCE * change, 1e-12)
    suggested = max(2 * result.n_steps, int(math.ceil(result.n_steps * math.sqrt(ratio) / 10) * 10))
    warnings.warn(
        f"Integrated gradients did not converge: the attributions sum to {result.total:+.4f}, but "
        f"f(x) - f(baseline) = {result.score - result.baseline_score:+.4f} (delta {result.delta:+.4f}, more than "
        f"{DELTA_TOLERANCE:.0%} of the change). Run again with n_steps={suggested}.",
        ConvergenceWarning,
        stacklevel=3,
    )

