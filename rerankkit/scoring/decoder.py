"""Decoder rerankers that FlagEmbedding cannot load, read with plain transformers; token counts for all decoders.

:class:`AnswerTokenReranker` scores a pair by putting it into the model's own prompt and reading two
answer tokens at the last position: the raw score is ``logit(yes) - logit(no)`` (the sigmoid of it
is the probability of "yes" against "no"). Two prompt layouts are known:

- :data:`QWEN3` (Qwen/Qwen3-Reranker-*), the model card's: ``prefix + "<Instruct>: {instruction}\\n<Query>:
  {query}\\n<Document>: {passage}" + suffix``, read from "yes" and "no".
- :data:`MXBAI_V2` (mixedbread-ai/mxbai-rerank-base-v2), the ``mxbai-rerank`` package's: ChatML around
  ``"query: {query}" + "\\n" + "document: {passage}" + "\\n" + task prompt``, read from "1" and "0".

The raw score is what the kit reports; ``normalize=True`` gives plain ``sigmoid(raw)``, as for every
reranker of the kit (the ``mxbai-rerank`` package's own ``normalize`` shifts by half an estimated
maximum first, ``sigmoid(raw - 4.5)`` for the base model, so its 0-1 scores differ from these).

``max_length`` counts every token of the input, template included. Only the query and the passage
are ever cut (the query to at most 3/4 of what the template leaves, the passage to the rest), so
the template's first and last tokens are always intact: the answer is read right after them.

:func:`decoder_input_ids` gives the token ids (and what was cut) of every decoder reranker, also
those FlagEmbedding runs (``FlagLLMReranker``'s layout).

Example:
    >>> import rerankkit
    >>> rr = rerankkit.load("tiny-random:Qwen/Qwen3-Reranker-0.6B")
    >>> rr.flag.instruction
    'Given a web search query, retrieve relevant passages that answer the query'
    >>> rr.score("what is panda?", ["a bear", "a city"]).shape
    (2,)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rerankkit.score_scale import sigmoid

__all__ = ["PromptLayout", "QWEN3", "MXBAI_V2", "LAYOUTS", "AnswerTokenReranker", "decoder_input_ids",
           "load_answer_token_reranker"]


@dataclass(frozen=True)
class PromptLayout:
    """How one decoder reranker wants a pair laid out, and which two tokens it answers with.

    Attributes:
        name: Short name.
        prefix: Text before the pair (chat turns), tokenized on its own.
        suffix: Text after the pair, tokenized on its own; its last token is where the answer is read.
        body: The pair's text, tokenized as one piece, with ``{instruction}``, ``{query}``, ``{passage}``.
        pieces: Instead of ``body``: texts tokenized one by one (their ids joined), as the mxbai package does.
        yes: Answer token that means relevant.
        no: Answer token that means not relevant.
        default_instruction: Instruction used when none is given (``None``: none).
        instruction_prefix: How a given instruction goes before the query in ``pieces`` layouts.
    """

    name: str
    prefix: str
    suffix: str
    yes: str
    no: str
    body: str | None = None
    pieces: tuple[str, ...] = ()
    default_instruction: str | None = None
    instruction_prefix: str = ""

    def texts(self, query: str, passage: str, instruction: str | None) -> list[str]:
        """The texts to tokenize separately, in order (prefix and suffix included)."""
        if self.body is not None:
            return [self.prefix, self.body.format(instruction=instruction or "", query=query, passage=passage),
                    self.suffix]
        query_part = self.instruction_prefix.format(instruction=instruction) if instruction else ""
        return [self.prefix, *(p.format(instruction_part=query_part, query=query, passage=passage)
                               for p in self.pieces), self.suffix]


QWEN3 = PromptLayout(
    name="qwen3-reranker",
    prefix="<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and the "
           'Instruct provided. Note that the answer can only be "yes" or "no".<|im_end|>\n<|im_start|>user\n',
    body="<Instruct>: {instruction}\n<Query>: {query}\n<Document>: {passage}",
    suffix="<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
    yes="yes",
    no="no",
    default_instruction="Given a web search query, retrieve relevant passages that answer the query",
)

MXBAI_V2 = PromptLayout(
    name="mxbai-rerank-v2",
    prefix="<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
           "<|im_start|>user\n",
    pieces=(
        "{instruction_part}query: {query}",
        "\n",
        "document: {passage}",
        "\n",
        "You are a search relevance expert who evaluates how well documents match search queries. For each "
        "query-document pair, carefully analyze the semantic relationship between them, then provide your binary "
        "relevance judgment (0 for not relevant, 1 for relevant).\nRelevance:",
    ),
    suffix="<|im_end|>\n<|im_start|>assistant\n",
    yes="1",
    no="0",
    instruction_prefix="instruction: {instruction}\n",
)

# Catalogue family -> layout, for the decoders the kit reads itself.
LAYOUTS: dict[str, PromptLayout] = {"qwen3": QWEN3, "qwen2": MXBAI_V2}


def _single_token(tokenizer, word: str) -> int:
    ids = tokenizer(word, add_special_tokens=False)["input_ids"]
    if len(ids) != 1:
        raise ValueError(f"the tokenizer cuts the answer token {word!r} into {len(ids)} pieces {ids}: this model "
                         "does not have the vocabulary of the reranker it is loaded as")
    return int(ids[0])


class AnswerTokenReranker:
    """A causal LM read as a reranker: ``logit(yes) - logit(no)`` at the end of its prompt.

    It has FlagEmbedding's ``compute_score`` interface, so :class:`~rerankkit.scoring.reranker.Reranker`
    runs it the way it runs ``FlagLLMReranker``. Inputs are left-padded and batched by length.

    Args:
        model: A ``*ForCausalLM`` model.
        tokenizer: Its tokenizer.
        layout: The prompt layout (:data:`QWEN3` or :data:`MXBAI_V2`).
        instruction: The task instruction (default: the layout's own). Settable later.
        batch_size: Pairs per forward pass.
        max_length: Tokens per input, template included.
    """

    def __init__(self, model, tokenizer, layout: PromptLayout, *, instruction: str | None = None,
                 batch_size: int = 32, max_length: int = 512) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.layout = layout
        self.instruction = instruction if instruction is not None else layout.default_instruction
        self.batch_size = batch_size
        self.max_length = max_length
        self.yes_id = _single_token(tokenizer, layout.yes)
        self.no_id = _single_token(tokenizer, layout.no)
        if tokenizer.pad_token_id is None:
            raise ValueError("the tokenizer has no pad token: set tokenizer.pad_token (e.g. to its eos token)")

    def __repr__(self) -> str:
        return f"AnswerTokenReranker({self.layout.name!r}, instruction={self.instruction!r})"

    # -- tokenization -------------------------------------------------------------------
    def _ids(self, query: str, passage: str) -> list[int]:
        encoded = self.tokenizer(self.layout.texts(query, passage, self.instruction), add_special_tokens=False)
        return [i for ids in encoded["input_ids"] for i in ids]

    def template_length(self) -> int:
        """Tokens the template takes with an empty query and passage."""
        return len(self._ids("", ""))

    def encode_pairs(self, pairs: Sequence[tuple[str, str]], max_length: int | None = None
                     ) -> tuple[list[list[int]], np.ndarray]:
        """Token ids of every pair's input (at most ``max_length``), and each input's untruncated length.

        Too long a pair loses tokens from the end of the passage, then (when the query alone takes more
        than 3/4 of the room) from the end of the query; the template is never cut.
        """
        max_length = self.max_length if max_length is None else max_length
        room = max_length - self.template_length()
        if room < 2:
            raise ValueError(f"max_length={max_length} leaves no room for a pair: the {self.layout.name} template "
                             f"alone takes {self.template_length()} tokens. Use max_length >= "
                             f"{self.template_length() + 16}.")
        out: list[list[int]] = []
        full = np.empty(len(pairs), dtype=np.int64)
        for row, (query, passage) in enumerate(pairs):
            ids = self._ids(query, passage)
            full[row] = len(ids)
            out.append(ids if len(ids) <= max_length else self._cut(query, passage, room, max_length))
        return out, full

    def _cut(self, query: str, passage: str, room: int, max_length: int) -> list[int]:
        tok = self.tokenizer
        q_ids = tok(query, add_special_tokens=False)["input_ids"]
        p_ids = tok(passage, add_special_tokens=False)["input_ids"]
        q_keep = min(len(q_ids), room * 3 // 4)
        p_keep = min(len(p_ids), room - q_keep)
        decode = dict(skip_special_tokens=False, clean_up_tokenization_spaces=False)
        while True:
            # Cut texts are decoded and laid out again, so the template's tokens stay the template's.
            ids = self._ids(tok.decode(q_ids[:q_keep], **decode), tok.decode(p_ids[:p_keep], **decode))
            excess = len(ids) - max_length
            if excess <= 0:
                return ids
            if q_keep == 0 and p_keep == 0:
                raise ValueError(f"max_length={max_length} is too small for the {self.layout.name} template: use "
                                 f"max_length >= {self.template_length() + 16}")
            # Re-tokenizing cut text can take a token more: take it from a part already cut (passage first).
            if 0 < p_keep < len(p_ids) or q_keep == 0:
                p_keep = max(0, p_keep - excess)
            else:
                q_keep = max(0, q_keep - excess)

    # -- scoring ------------------------------------------------------------------------
    def logits(self, input_ids: Sequence[Sequence[int]], *, batch_size: int | None = None) -> np.ndarray:
        """``logit(yes) - logit(no)`` at the last token of each input: sorted by length, left-padded, batched."""
        import torch

        batch_size = batch_size or self.batch_size
        n = len(input_ids)
        lengths = np.fromiter((len(ids) for ids in input_ids), dtype=np.int64, count=n)
        order = np.argsort(-lengths, kind="stable")
        device = self.model.device
        out = np.empty(n, dtype=np.float64)
        with torch.inference_mode():
            for start in range(0, n, batch_size):
                idx = order[start : start + batch_size]
                width = int(lengths[idx[0]])
                ids = torch.full((len(idx), width), self.tokenizer.pad_token_id, dtype=torch.long)
                mask = torch.zeros((len(idx), width), dtype=torch.long)
                for row, i in enumerate(idx):  # left padding: every input ends at the last column
                    ids[row, width - lengths[i]:] = torch.as_tensor(input_ids[i])
                    mask[row, width - lengths[i]:] = 1
                last = self.model(input_ids=ids.to(device), attention_mask=mask.to(device),
                                  logits_to_keep=1).logits[:, -1, :].float()
                out[idx] = (last[:, self.yes_id] - last[:, self.no_id]).cpu().numpy()
        return out

    def compute_score(self, sentence_pairs, *, batch_size: int | None = None, max_length: int | None = None,
                      normalize: bool = False, **_: Any) -> list[float]:
        """Scores of ``[query, passage]`` pairs, as FlagEmbedding's ``compute_score`` returns them.

        Raw ``logit(yes) - logit(no)``; ``normalize=True`` gives its sigmoid.
        """
        if sentence_pairs and isinstance(sentence_pairs[0], str):
            sentence_pairs = [sentence_pairs]
        input_ids, _full = self.encode_pairs([(q, p) for q, p in sentence_pairs], max_length)
        raw = self.logits(input_ids, batch_size=batch_size)
        values = np.asarray(sigmoid(raw) if normalize else raw, dtype=np.float64).reshape(-1)
        return [float(x) for x in values]


def _flag_llm_input_ids(flag, pairs: Sequence[tuple[str, str]], max_length: int
                        ) -> tuple[list[list[int]], np.ndarray]:
    """The ids FlagEmbedding's ``FlagLLMReranker.compute_score`` builds, and each input's untruncated length.

    ``"A: "`` and ``"B: "`` before query and passage; ``<bos>`` + query (cut to 3/4 of max_length) +
    ``"\\n"`` + passage, cut to max_length plus the prompt, then ``"\\n"`` + the yes/no prompt.
    """
    from FlagEmbedding.utils.tokenizer_compat import prepare_for_model_compat

    tok = flag.tokenizer
    detailed = flag.get_detailed_inputs([[q, p] for q, p in pairs])
    prompt = flag.prompt or ("Given a query A and a passage B, determine whether the passage contains an answer to "
                             "the query by providing a prediction of either 'Yes' or 'No'.")
    prompt_ids = tok(prompt, add_special_tokens=False)["input_ids"]
    sep_ids = tok("\n", add_special_tokens=False)["input_ids"]
    q_max = flag.query_max_length or max_length * 3 // 4
    encode_max = max_length + len(sep_ids) + len(prompt_ids)
    bos = [tok.bos_token_id] if tok.bos_token_id is not None and tok.bos_token_id != tok.pad_token_id else []
    q_full = tok([q for q, _ in detailed], add_special_tokens=False)["input_ids"]
    p_full = tok([p for _, p in detailed], add_special_tokens=False)["input_ids"]
    out: list[list[int]] = []
    full = np.empty(len(pairs), dtype=np.int64)
    for row, (q_ids, p_ids) in enumerate(zip(q_full, p_full)):
        item = prepare_for_model_compat(tok, bos + q_ids[:q_max], sep_ids + p_ids[:max_length],
                                        truncation="only_second", max_length=encode_max, padding=False,
                                        return_attention_mask=False, return_token_type_ids=False,
                                        add_special_tokens=False)
        out.append(list(item["input_ids"]) + sep_ids + prompt_ids)
        full[row] = len(bos) + len(q_ids) + 2 * len(sep_ids) + len(p_ids) + len(prompt_ids)
    return out, full


def decoder_input_ids(flag, pairs: Sequence[tuple[str, str]], max_length: int) -> tuple[list[list[int]], np.ndarray]:
    """Token ids a decoder reranker's scorer feeds the model for each pair, and each input's untruncated length.

    ``flag`` is an :class:`AnswerTokenReranker` or FlagEmbedding's ``FlagLLMReranker``.
    """
    if isinstance(flag, AnswerTokenReranker):
        return flag.encode_pairs(pairs, max_length)
    if type(flag).__name__ == "BaseLLMReranker":
        return _flag_llm_input_ids(flag, pairs, max_length)
    raise TypeError(f"no decoder layout known for {type(flag).__name__}")


def load_answer_token_reranker(path: str, family: str, *, device: str, torch_dtype, instruction: str | None,
                               batch_size: int, max_length: int) -> AnswerTokenReranker:
    """Load the model and tokenizer in ``path`` with transformers and wrap them for ``family``'s layout."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from rerankkit._utils.hf import quiet_transformers

    if family not in LAYOUTS:
        raise ValueError(f"no prompt layout for family {family!r}: known are {sorted(LAYOUTS)}")
    with quiet_transformers():
        tokenizer = AutoTokenizer.from_pretrained(path, padding_side="left")
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch_dtype)
    model.eval()
    model.to(device)
    return AnswerTokenReranker(model, tokenizer, LAYOUTS[family], instruction=instruction, batch_size=batch_size,
                               max_length=max_length)
