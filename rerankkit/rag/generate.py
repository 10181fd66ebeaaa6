"""Optional, real generation: the packed context sent to any OpenAI-compatible endpoint (OpenAI, a local
Ollama or vLLM server) through the ``openai`` client. Without an endpoint nothing is generated and
:func:`endpoint_status` says why; nothing here ever makes an answer up.

The endpoint comes from arguments or the ``openai`` client's own variables, ``OPENAI_BASE_URL`` and
``OPENAI_API_KEY``; the model name from ``model=`` or ``$RERANKKIT_LLM``.

Example:
    >>> endpoint_status(base_url=None, api_key=None, model=None, environ={})[0]
    False
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from rerankkit._utils.optional import require

__all__ = ["Answer", "endpoint_status", "generate", "MODEL_ENV"]

MODEL_ENV = "RERANKKIT_LLM"


@dataclass(frozen=True)
class Answer:
    """What the LLM returned.

    Attributes:
        text: The completion's text.
        model: The model that answered (as the endpoint reports it).
        base_url: The endpoint.
        prompt_tokens: Prompt tokens the endpoint counted (None when it reports no usage).
    """

    text: str
    model: str
    base_url: str
    prompt_tokens: int | None


def endpoint_status(*, base_url: str | None = None, api_key: str | None = None, model: str | None = None,
                    environ: Mapping[str, str] | None = None) -> tuple[bool, str]:
    """``(ready, why)``: whether generation can run, and a sentence saying why not (or where it goes)."""
    env = os.environ if environ is None else environ
    base_url = base_url or env.get("OPENAI_BASE_URL")
    api_key = api_key or env.get("OPENAI_API_KEY")
    model = model or env.get(MODEL_ENV)
    missing = [name for name, value in (("OPENAI_BASE_URL (or base_url=)", base_url),
                                        ("OPENAI_API_KEY (or api_key=; any text for a local server)", api_key),
                                        (f"{MODEL_ENV} (or model=)", model)) if not value]
    if missing:
        return False, "no LLM endpoint is configured: set " + ", ".join(missing)
    return True, f"model {model} at {base_url}"


def generate(messages: list[dict[str, str]], *, model: str | None = None, base_url: str | None = None,
             api_key: str | None = None, timeout: float = 60.0, max_tokens: int = 512) -> Answer:
    """Send ``messages`` (e.g. :meth:`rerankkit.rag.context.Context.messages`) to the endpoint; return its answer.

    Raises:
        RuntimeError: No endpoint is configured (the message says which variable to set).
    """
    ready, why = endpoint_status(base_url=base_url, api_key=api_key, model=model)
    if not ready:
        raise RuntimeError(f"cannot generate: {why}")
    openai = require("openai", feature="generation")
    client = openai.OpenAI(base_url=base_url or os.environ["OPENAI_BASE_URL"],
                           api_key=api_key or os.environ["OPENAI_API_KEY"], timeout=timeout, max_retries=0)
    name = model or os.environ[MODEL_ENV]
    response = client.chat.completions.create(model=name, messages=messages, max_tokens=max_tokens,
                                              temperature=0)
    usage = getattr(response, "usage", None)
    return Answer(text=response.choices[0].message.content or "", model=response.model or name,
                  base_url=str(client.base_url), prompt_tokens=getattr(usage, "prompt_tokens", None))
