"""Who is asking: a Matrix access token, checked with the homeserver's whoami, cached briefly."""

from __future__ import annotations

import hashlib
import time
from urllib.parse import quote

import aiohttp
from aiohttp import web

from ..errors import ApiError
from ..http_client import HttpClient
from ..ids import Identities


class Authenticator:
    def __init__(self, http: HttpClient, homeserver_url: str, ids: Identities,
                 ttl_seconds: int) -> None:
        self.http = http
        self.whoami_url = f"{homeserver_url}/_matrix/client/v3/account/whoami"
        self.homeserver_url = homeserver_url
        self.ids = ids
        self.ttl = ttl_seconds
        self._cache: dict[str, tuple[str, float]] = {}

    async def user(self, request: web.Request) -> str:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or not header.removeprefix("Bearer ").strip():
            raise ApiError(401, "M_MISSING_TOKEN", "Missing access token")
        token = caller_token(request)
        key = hashlib.sha256(token.encode()).hexdigest()
        cached = self._cache.get(key)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        user_id = await self._whoami(token)
        if not self.ids.is_local_human(user_id):
            raise ApiError(403, "M_FORBIDDEN", "Only local users of this server can use the API")
        if len(self._cache) > 10000:
            self._cache.clear()
        self._cache[key] = (user_id, time.monotonic() + self.ttl)
        return user_id

    async def _whoami(self, token: str) -> str:
        try:
            async with self.http.session.get(
                self.whoami_url, headers={"Authorization": f"Bearer {token}"}
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

    async def is_server_admin(self, request: web.Request, user_id: str) -> bool:
        """Whether the caller is an admin of the homeserver, as its admin API says when asked
        with the caller's own token (Synapse: only an admin may read a user's admin flag).
        A homeserver without that API has no admins here."""
        token = caller_token(request)
        url = f"{self.homeserver_url}/_synapse/admin/v1/users/{quote(user_id, safe='')}/admin"
        try:
            async with self.http.session.get(
                    url, headers={"Authorization": f"Bearer {token}"}) as resp:
                data = await resp.json(content_type=None)
                return resp.status == 200 and isinstance(data, dict) and data.get("admin") is True
        except (aiohttp.ClientError, ValueError):
            return False


def caller_token(request: web.Request) -> str:
    """The caller's Matrix access token (Authenticator.user has checked it), for a request
    the homeserver must see as the caller's own device."""
    return request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
