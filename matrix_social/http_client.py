"""The one HTTP client session for calls out of the service (AI backends, platforms), opened
when the service starts and closed when it stops, like the database pool."""

from __future__ import annotations

import aiohttp


class HttpClient:
    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession()

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("the HTTP client is used before the service started")
        return self._session
