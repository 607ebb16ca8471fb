"""AI backends: an owner's agent over HTTP, an OpenAI-compatible API, or the built-in one."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp

from ..config.sections import AiSection
from ..errors import BackendError, Forbidden
from ..http_client import HttpClient
from ..safe_paths import url_segment

log = logging.getLogger("matrix_social.ai")

APOLOGY = "Sorry, I can't answer right now. Please try again later."


class Backend:
    async def answer(self, request: dict[str, Any]) -> str:
        raise NotImplementedError


class BuiltinBackend(Backend):
    """Answers from the AI profile, so the local stack works with no outside service."""

    async def answer(self, request: dict[str, Any]) -> str:
        ai = request["ai"]
        profile = ai.get("profile") or {}
        asker = request["sender"].get("display_name") or request["sender"]["handle"]
        lines = [f"Hi {asker}! I'm {ai['display_name']}."]
        if profile.get("personality"):
            lines.append(profile["personality"])
        if profile.get("skills"):
            lines.append("I can help with: " + ", ".join(profile["skills"]) + ".")
        if profile.get("capabilities"):
            lines.append("I can also: " + ", ".join(profile["capabilities"]) + ".")
        if len(lines) == 1:
            lines.append(f"{ai['owner_name']} hasn't told me much yet, but I got your "
                         f"message: \u201c{request['message']['body'][:200]}\u201d")
        return "\n".join(lines)


class HttpBackend(Backend):
    """POSTs the request as JSON to the owner's agent; expects {"reply": "..."}."""

    def __init__(self, http: HttpClient, url_template: str, timeout: float):
        self.http = http
        self.url_template = url_template
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def answer(self, request: dict[str, Any]) -> str:
        try:
            url = self.url_template.format(
                localpart=url_segment(request["ai"]["owner_localpart"]))
        except Forbidden as e:
            raise BackendError(f"no agent URL for this owner: {e}") from None
        try:
            async with self.http.session.post(url, json=request, timeout=self.timeout) as resp:
                if resp.status != 200:
                    raise BackendError(f"agent answered HTTP {resp.status}")
                data = await resp.json(content_type=None)
        except (TimeoutError, aiohttp.ClientError, ValueError) as e:
            raise BackendError(f"agent unreachable: {type(e).__name__}") from e
        reply = data.get("reply") if isinstance(data, dict) else None
        if not isinstance(reply, str) or not reply.strip():
            raise BackendError("agent answer has no 'reply' text")
        return reply


class OpenAIBackend(Backend):
    """An OpenAI-compatible /chat/completions endpoint."""

    def __init__(self, http: HttpClient, base_url: str, model: str,
                 api_key: str, timeout: float) -> None:
        self.http = http
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.api_key = api_key
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    def _messages(self, request: dict[str, Any]) -> list[dict[str, str]]:
        ai, sender = request["ai"], request["sender"]
        profile = ai.get("profile") or {}
        system = (f"You are {ai['display_name']}, the AI of {ai['owner_name']}. "
                  f"{profile.get('personality', '')} "
                  f"You are talking with {sender.get('display_name')} (@{sender['handle']}). "
                  "Answer briefly.")
        messages = [{"role": "system", "content": system.strip()}]
        for item in request["history"]:
            role = "assistant" if item["sender"] == ai["user_id"] else "user"
            messages.append({"role": role, "content": item["body"]})
        messages.append({"role": "user", "content": request["message"]["body"]})
        return messages

    async def answer(self, request: dict[str, Any]) -> str:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        body = {"model": self.model, "messages": self._messages(request)}
        try:
            async with self.http.session.post(self.url, json=body, headers=headers,
                                         timeout=self.timeout) as resp:
                if resp.status != 200:
                    raise BackendError(f"chat completions answered HTTP {resp.status}")
                data = await resp.json(content_type=None)
            return data["choices"][0]["message"]["content"]
        except (TimeoutError, aiohttp.ClientError, ValueError, KeyError, IndexError,
                TypeError) as e:
            raise BackendError(f"chat completions failed: {type(e).__name__}") from e


def make_backend(ai: AiSection, http: HttpClient) -> Backend:
    if ai.backend == "http":
        return HttpBackend(http, ai.http_url_template, ai.timeout_seconds)
    if ai.backend == "openai":
        return OpenAIBackend(http, ai.openai.base_url, ai.openai.model, ai.openai.api_key or "",
                             ai.timeout_seconds)
    return BuiltinBackend()
