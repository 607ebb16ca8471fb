"""AI backends against loopback servers: OpenAI-compatible chat completions, HTTP timeouts."""

from __future__ import annotations

import pytest

from matrix_social.ai.backends import HttpBackend, OpenAIBackend
from matrix_social.errors import BackendError
from matrix_social.http_client import HttpClient

from .fakes.agent import FakeAgent
from .fakes.openai import FakeOpenAI

REQUEST = {
    "kind": "message",
    "ai": {"user_id": "@a_ai:x", "display_name": "A's AI", "owner_name": "A",
           "owner_localpart": "a", "profile": {"personality": "Kind."}},
    "sender": {"handle": "b", "display_name": "B"},
    "message": {"event_id": "$m", "body": "how are you?"},
    "history": [{"sender": "@b:x", "body": "hi"}, {"sender": "@a_ai:x", "body": "hello"}],
}


async def test_openai_backend_sends_the_conversation_and_reads_the_answer():
    server = FakeOpenAI()
    await server.start()
    try:
        http = HttpClient()
        await http.start()
        try:
            backend = OpenAIBackend(http, server.base_url, "tiny", "sk-test", timeout=5)
            assert await backend.answer(REQUEST) == "model says: how are you?"
            wrong_key = OpenAIBackend(http, server.base_url, "tiny", "sk-wrong", timeout=5)
            with pytest.raises(BackendError, match="401"):
                await wrong_key.answer(REQUEST)
        finally:
            await http.stop()
    finally:
        await server.stop()
    sent = server.requests[0]
    assert sent["model"] == "tiny"
    roles = [m["role"] for m in sent["messages"]]
    assert roles == ["system", "user", "assistant", "user"]
    assert "A's AI" in sent["messages"][0]["content"]
    assert "Kind." in sent["messages"][0]["content"]


async def test_http_backend_timeout_and_bad_answers_are_errors():
    agent = FakeAgent()
    await agent.start()
    try:
        http = HttpClient()
        await http.start()
        try:
            agent.delay = 2
            slow = HttpBackend(http, agent.url_template, timeout=0.5)
            with pytest.raises(BackendError, match="unreachable"):
                await slow.answer(REQUEST)
            agent.delay = 0
            failing = HttpBackend(http, agent.url_template, timeout=5)
            with pytest.raises(BackendError, match="500"):
                await failing.answer({**REQUEST, "message": {"body": "please fail"}})
            closed = HttpBackend(http, "http://127.0.0.1:9/agents/{localpart}", timeout=2)
            with pytest.raises(BackendError):
                await closed.answer(REQUEST)
        finally:
            await http.stop()
    finally:
        await agent.stop()
    assert agent.requests[0]["_path"] == "/agents/a/matrix"
