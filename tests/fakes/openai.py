"""A loopback OpenAI-compatible /v1/chat/completions server with the real response shape."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from .server import LoopbackServer


class FakeOpenAI(LoopbackServer):
    def __init__(self, api_key: str = "sk-test") -> None:
        super().__init__()
        self.api_key = api_key
        self.requests: list[dict[str, Any]] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def completions(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return web.json_response({"error": {"message": "Incorrect API key provided",
                                                "type": "invalid_request_error",
                                                "code": "invalid_api_key"}}, status=401)
        body = await request.json()
        self.requests.append(body)
        last = body["messages"][-1]["content"]
        return web.json_response({
            "id": "chatcmpl-1", "object": "chat.completion", "created": int(time.time()),
            "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": f"model says: {last}"}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13},
        })

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/chat/completions", self.completions)
