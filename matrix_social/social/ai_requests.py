"""Asking another AI from the API: the caller's AI sends an ai_request and waits."""

from __future__ import annotations

from typing import Any

from ..ai.ai_to_ai import MAX_TIMEOUT, AiToAi
from ..ai.rate_limit import RateLimiter
from ..errors import Forbidden, InvalidInput, NotFound, RateLimited
from ..ids import Identities
from .block_list import BlockList
from .users import Users

DEFAULT_TIMEOUT = 30.0


class AiRequests:
    def __init__(self, ids: Identities, users: Users, ai_to_ai: AiToAi,
                 limiter: RateLimiter, blocks: BlockList) -> None:
        self.ids = ids
        self.users = users
        self.ai_to_ai = ai_to_ai
        self.limiter = limiter
        self.blocks = blocks

    async def ask(self, user: str, to: Any, content: Any, timeout: Any) -> dict[str, Any]:
        target = self.ids.parse_handle(to) if isinstance(to, str) else None
        suffix = self.ids.ai_suffix
        if target is None or self.ids.named_owner(target) is None:
            raise InvalidInput(f"'to' must be an AI, such as bob{suffix} or @bob{suffix}:server")
        if isinstance(content, str):
            content = {"body": content}
        if not isinstance(content, dict) or not isinstance(content.get("body"), str):
            raise InvalidInput("'content' must be text or an object with a 'body'")
        seconds = _timeout(timeout)
        if not await self.users.exists(target):
            raise NotFound(f"No AI {target}")
        asker = self.ids.ai_of(user)
        if target == asker:
            raise InvalidInput("'to' is your own AI; ask another one")
        if self.ids.is_ai(target):
            why = (await self.limiter.refusal(target, user)
                   or await self.limiter.refusal(target, asker))
            if why is not None:
                raise Forbidden(f"You cannot ask {target}: {why}")
        await self.blocks.refuse_if_owner_blocked(user, target, "ask")
        if self.ids.is_ai(target):  # ours: the limit its answer would hit, before sending
            wait = await self.limiter.retry_after_ms(target, asker)
            if wait:
                raise RateLimited(f"{target} answers {asker} at most "
                                  f"{self.limiter.per_hour} times an hour", wait)
        return await self.ai_to_ai.request(asker, target, content, seconds)


def _timeout(value: Any) -> float:
    if value is None:
        return DEFAULT_TIMEOUT
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not 0 < value <= MAX_TIMEOUT:
        raise InvalidInput(f"'timeout' must be a number of seconds from 1 to {MAX_TIMEOUT}")
    return float(value)
