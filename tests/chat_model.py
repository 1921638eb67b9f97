"""A small local HTTP server that speaks the Messages API (POST /v1/messages), for the
support chat's tests: it answers from a script and records every request it received.

    with model_standin(app, [tool_use("track_order", {...}), text("Pesanan ...")]) as model:
        ...  # the app's chat now talks to it
    model.requests  # the bodies the SDK sent, in order

A script entry is a message dict, a function of the request body returning one (to answer
from the tool results it was sent), or an int: that HTTP status as an API error.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count

_ids = count(1)


def message(content: list[dict], stop_reason: str) -> dict:
    return {"id": f"msg_{next(_ids)}", "type": "message", "role": "assistant",
            "model": "stand-in", "content": content, "stop_reason": stop_reason,
            "stop_sequence": None, "usage": {"input_tokens": 10, "output_tokens": 10}}


def text(words: str) -> dict:
    """An answer that ends the turn with `words`."""
    return message([{"type": "text", "text": words}], "end_turn")


def tool_use(name: str, arguments: dict, *, words: str | None = None) -> dict:
    """An answer that asks for one tool call."""
    blocks = [{"type": "text", "text": words}] if words else []
    blocks.append({"type": "tool_use", "id": f"toolu_{next(_ids)}", "name": name,
                   "input": arguments})
    return message(blocks, "tool_use")


def tool_results(body: dict) -> list[dict]:
    """The tool_result blocks of the last message of a request, with content parsed."""
    results = []
    for block in body["messages"][-1]["content"]:
        if isinstance(block, dict) and block.get("type") == "tool_result":
            results.append({**block, "content": json.loads(block["content"])})
    return results


class StandIn:
    def __init__(self, script: list):
        self.script = list(script)
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self.lock = threading.Lock()

    def answer(self, body: dict, headers: dict) -> tuple[int, dict]:
        with self.lock:
            self.requests.append(body)
            self.headers.append(headers)
            if not self.script:
                return 500, {"type": "error", "error": {"type": "api_error",
                                                        "message": "script exhausted"}}
            step = self.script.pop(0)
        if isinstance(step, int):
            return step, {"type": "error", "error": {"type": "api_error",
                                                     "message": "scripted failure"}}
        if callable(step):
            step = step(body)
        return 200, step


def _handler(standin: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the http.server API
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            status, answer = (standin.answer(body, dict(self.headers))
                              if self.path.startswith("/v1/messages")
                              else (404, {"type": "error"}))
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    return Handler


@contextmanager
def serving(script: list):
    """The stand-in on a free loopback port: (StandIn, base URL)."""
    standin = StandIn(script)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(standin))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    try:
        yield standin, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def model_standin(app, script: list, *, model: str = "claude-test"):
    """The app's support chat talks to a stand-in answering `script` (see the module): its
    settings point ANTHROPIC_BASE_URL at it, and the client is built from them again."""
    with serving(script) as (standin, url):
        saved = {name: app.config.get(name) for name in
                 ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "CHAT_MODEL")}
        app.config.update(ANTHROPIC_API_KEY="test-key", ANTHROPIC_BASE_URL=url,
                          CHAT_MODEL=model)
        app.extensions.pop("shop_chat", None)
        try:
            yield standin
        finally:
            app.config.update(saved)
            app.extensions.pop("shop_chat", None)

Script = list[dict | int | Callable[[dict], dict]]
