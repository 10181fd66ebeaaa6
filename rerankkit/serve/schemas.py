"""The two rerank APIs as pydantic models, with the service's limits written into them.

``POST /rerank`` has the shape of Hugging Face Text Embeddings Inference (TEI) and ``POST /v1/rerank`` the
Cohere/Jina shape, so clients written for those services work unchanged. The limits (documents per request,
characters per text) are field constraints, so they appear in the OpenAPI schema the service publishes; the
token limits, known only after tokenizing, are in the descriptions and in ``GET /info``.

Example:
    >>> models = request_models(Limits(max_documents=2))
    >>> models.tei(query="q", texts=["a", "b"]).raw_scores
    False
    >>> try:
    ...     models.cohere(query="q", documents=["a", "b", "c"])
    ... except ValueError as exc:
    ...     print(error_body(exc.errors())["error"])
    documents: List should have at most 2 items after validation, not 3 (limit: 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Annotated, Any, NamedTuple

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictStr, create_model

__all__ = [
    "Limits",
    "RequestModels",
    "request_models",
    "TextDocument",
    "TEIRank",
    "CohereResult",
    "CohereResponse",
    "Usage",
    "ErrorBody",
    "Health",
    "error_body",
    "field_name",
]


@dataclass(frozen=True)
class Limits:
    """What one request may hold; over a limit, the service answers 4xx naming the field and the limit.

    Attributes:
        max_documents: Documents (texts) per request.
        max_chars: Characters per text (the query and each document).
        max_request_tokens: Tokens of all pairs of one request together, after truncation.
    """

    max_documents: int = 1000
    max_chars: int = 20_000
    max_request_tokens: int = 262_144

    def as_dict(self) -> dict[str, int]:
        """The limits as a plain dict (for ``GET /info``)."""
        return asdict(self)


def _valid_unicode(text: str) -> str:
    # JSON can carry lone surrogates ("\ud800"); no tokenizer can: say so instead of failing inside it.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"text holds a lone surrogate at character {exc.start}: send valid Unicode") from None
    return text


def _text(limits: Limits, what: str) -> Any:
    return Annotated[
        StrictStr,
        Field(min_length=1, max_length=limits.max_chars, pattern=r"\S",
              description=f"{what}: 1 to {limits.max_chars} characters, not only white space."),
        AfterValidator(_valid_unicode),
    ]


class TextDocument(BaseModel):
    """A document given as an object, as Cohere and Jina clients may send it."""

    model_config = ConfigDict(extra="ignore")
    text: StrictStr = Field(min_length=1, pattern=r"\S", description="The document's text.")


class TEIRank(BaseModel):
    """One row of ``POST /rerank``'s answer (best first)."""

    index: int = Field(ge=0, description="Position of the text in the request's texts.")
    score: float = Field(description="Sigmoid of the model's logit, in [0, 1]; the raw logit with raw_scores: true.")
    text: str | None = Field(default=None, description="The text, with return_text: true.")


class CohereDocument(BaseModel):
    text: str


class CohereResult(BaseModel):
    """One row of ``POST /v1/rerank``'s results (best first)."""

    index: int = Field(ge=0, description="Position of the document in the request's documents.")
    relevance_score: float = Field(ge=0.0, le=1.0, description="Sigmoid of the model's logit, in [0, 1].")
    document: CohereDocument | None = Field(default=None, description="The document, with return_documents: true.")


class Usage(BaseModel):
    total_tokens: int = Field(ge=0, description="Tokens of all scored pairs, special tokens included.")


class CohereResponse(BaseModel):
    """``POST /v1/rerank``'s answer: the Cohere fields (id, results, meta) and Jina's (model, usage)."""

    id: str
    model: str = Field(description="The model this service runs (whatever the request named).")
    results: list[CohereResult]
    usage: Usage
    meta: dict[str, Any] = Field(default_factory=dict)


class ErrorBody(BaseModel):
    """Every 4xx and 5xx answer: TEI's ``error`` and ``error_type``, and which field and limit it was about."""

    error: str = Field(description="What was wrong and how to fix it.")
    error_type: str = Field(description="validation, too_large, overloaded, unavailable or http.")
    field: str | None = Field(default=None, description="The request field at fault, e.g. documents[3].")
    limit: int | float | None = Field(default=None, description="The limit that was exceeded, where one was.")
    detail: list[dict[str, Any]] | None = Field(default=None, description="Every validation problem found.")


class Health(BaseModel):
    status: str = Field(description='"ok": the model is loaded and answers.')
    model: str


class RequestModels(NamedTuple):
    tei: type[BaseModel]
    cohere: type[BaseModel]


def request_models(limits: Limits) -> RequestModels:
    """The request models of both APIs, their constraints set from ``limits``."""
    query = _text(limits, "The query")
    text = _text(limits, "One text")
    many = f"1 to {limits.max_documents} items; all pairs together at most {limits.max_request_tokens} tokens."
    tei = create_model(
        "TEIRerankRequest",
        __config__=ConfigDict(extra="ignore"),
        __doc__="POST /rerank, as in Hugging Face Text Embeddings Inference.",
        query=(query, ...),
        texts=(list[text], Field(min_length=1, max_length=limits.max_documents, description=f"The texts to rank: {many}")),  # type: ignore[valid-type]
        raw_scores=(StrictBool, Field(default=False, description="Return the raw logit instead of its sigmoid.")),
        return_text=(StrictBool, Field(default=False, description="Return each text beside its score.")),
        truncate=(StrictBool, Field(default=False, description=(
            "Cut pairs longer than the model's max_length (the passage loses its end). Without it, such a pair "
            "is refused with 413, as TEI does."))),
    )
    document = Annotated[text | TextDocument, Field(description="A string, or an object with a text field.")]  # type: ignore[valid-type]
    cohere = create_model(
        "CohereRerankRequest",
        __config__=ConfigDict(extra="ignore"),
        __doc__="POST /v1/rerank, as in the Cohere and Jina rerank APIs. Long documents are cut to max_length.",
        model=(StrictStr | None, Field(default=None, description="Accepted for compatibility; the service runs one model.")),
        query=(query, ...),
        documents=(list[document], Field(min_length=1, max_length=limits.max_documents,
                                         description=f"The documents to rank: {many}")),
        top_n=(int | None, Field(default=None, ge=1, strict=True, description="Return the best n (default: all).")),
        return_documents=(StrictBool, Field(default=False, description="Return each document's text.")),
    )
    return RequestModels(tei, cohere)


def field_name(loc: Sequence[Any]) -> str:
    """A pydantic error location as the field a client wrote, e.g. ``documents[3]``.

    Example:
        >>> field_name(("body", "documents", 3, "str"))
        'documents[3]'
    """
    name = ""
    for part in loc:
        if part == "body" and not name:
            continue
        if isinstance(part, int):
            name += f"[{part}]"
        elif part in {"str", "TextDocument", "function-after[_valid_unicode(), constrained-str]"}:
            continue  # the branch of a union, not a field
        elif str(part).startswith(("constrained-str", "function-after")):
            continue
        else:
            name += f".{part}" if name else str(part)
    return name or "body"


_LIMIT_KEYS = ("max_length", "min_length", "ge", "le", "gt", "lt", "pattern")


def error_body(errors: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The 422 body for pydantic's validation errors: the first problem named in ``error``, all in ``detail``."""
    detail = []
    for err in errors:
        ctx = err.get("ctx") or {}
        limit = next((ctx[k] for k in _LIMIT_KEYS if k in ctx), None)
        detail.append({"field": field_name(err.get("loc", ())), "message": str(err.get("msg", "")),
                       "type": str(err.get("type", "")),
                       "limit": limit if isinstance(limit, (int, float)) and not isinstance(limit, bool) else None})
    if not detail:
        detail = [{"field": "body", "message": "the request is not valid", "type": "invalid", "limit": None}]
    # A union reports each branch; a string's problem is the one a client wants to read first.
    first = detail[0]
    limit_note = f" (limit: {first['limit']})" if first["limit"] is not None else ""
    return {"error": f"{first['field']}: {first['message']}{limit_note}", "error_type": "validation",
            "field": first["field"], "limit": first["limit"], "detail": detail}
