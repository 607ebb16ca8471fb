"""Who is asking: a Matrix access token, checked with the homeserver's whoami, cached briefly."""

from __future__ import annotations

import hashlib
import time
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web

from .errors import ApiError

if TYPE_CHECKING:
    from ..bridge import SocialBridge


class Authenticator:
    def __init__(self, bridge: SocialBridge) -> None:
        self.bridge = bridge
        self.ttl = bridge.config["api.token_cache_seconds"]
        self._cache: dict[str, tuple[str, float]] = {}

    async def user(self, request: web.Request) -> str:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or not header.removeprefix("Bearer ").strip():
            raise ApiError(401, "M_MISSING_TOKEN", "Missing access token")
        token = header.removeprefix("Bearer ").strip()
        key = hashlib.sha256(token.encode()).hexdigest()
        cached = self._cache.get(key)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        user_id = await self._whoami(token)
        if not self.bridge.identities.is_local_human(user_id):
            raise ApiError(403, "M_FORBIDDEN", "Only local users of this server can use the API")
        if len(self._cache) > 10000:
            self._cache.clear()
        self._cache[key] = (user_id, time.monotonic() + self.ttl)
        return user_id

    async def _whoami(self, token: str) -> str:
        url = f"{self.bridge.config['homeserver.address']}/_matrix/client/v3/account/whoami"
        try:
            async with self.bridge.az.http_session.get(
                url, headers={"Authorization": f"Bearer {token}"}
            ) as resp:
                data = await resp.json(content_type=None)
                status = resp.status
        except (aiohttp.ClientError, ValueError) as e:
            raise ApiError(502, "M_UNKNOWN", f"Homeserver unreachable: {type(e).__name__}") from e
        if status == 401:
            raise ApiError(401, "M_UNKNOWN_TOKEN", "Unknown or expired access token")
        if status != 200 or not isinstance(data, dict) or "user_id" not in data:
            raise ApiError(502, "M_UNKNOWN", f"Homeserver whoami answered {status}")
        if data.get("is_guest"):
            raise ApiError(403, "M_GUEST_ACCESS_FORBIDDEN", "Guests cannot use the API")
        return data["user_id"]
