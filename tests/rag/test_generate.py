"""Generation through the openai client against a real HTTP server on 127.0.0.1 that returns a canned
completion; without an endpoint, nothing is generated and the reason is said."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rerankkit.rag.context import pack_context
from rerankkit.rag.generate import endpoint_status, generate

pytest.importorskip("openai")
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("serial")]  # a server


@pytest.fixture
def server():
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
            reply = json.dumps({
                "id": "cmpl-1", "object": "chat.completion", "created": 0, "model": body["model"],
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": "Paris [1]."}}],
                "usage": {"prompt_tokens": 42, "completion_tokens": 3, "total_tokens": 45}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):  # keep the test output clean
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1", received
    httpd.shutdown()
    httpd.server_close()


def test_generate_sends_the_exact_prompt_and_returns_the_answer(server):
    base_url, received = server
    ctx = pack_context([("a#0", "Paris is the capital of France.")], budget=100)
    messages = ctx.messages("What is the capital of France?")
    answer = generate(messages, model="local-model", base_url=base_url, api_key="test-key")
    assert answer.text == "Paris [1]." and answer.model == "local-model" and answer.prompt_tokens == 42
    assert received[0]["path"] == "/v1/chat/completions" and received[0]["auth"] == "Bearer test-key"
    assert received[0]["body"]["messages"] == messages and received[0]["body"]["temperature"] == 0


def test_without_an_endpoint_nothing_is_generated(monkeypatch):
    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "RERANKKIT_LLM"):
        monkeypatch.delenv(name, raising=False)
    ready, why = endpoint_status()
    assert not ready and "OPENAI_BASE_URL" in why and "RERANKKIT_LLM" in why
    with pytest.raises(RuntimeError, match="no LLM endpoint is configured"):
        generate([{"role": "user", "content": "hi"}])
