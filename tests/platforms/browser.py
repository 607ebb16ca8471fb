"""What the user's browser does between the authorize URL and our callback."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import aiohttp


async def authorize(url: str) -> dict[str, str]:
    """Open the authorize URL (the fake approves as its logged-in user) and return the query
    of the redirect back to us (code and state, or error)."""
    async with aiohttp.ClientSession() as session, session.get(
            url, allow_redirects=False, timeout=aiohttp.ClientTimeout(total=10)) as response:
        assert response.status == 302, await response.text()
        location = response.headers["Location"]
    parts = urlsplit(location)
    return {k: v[0] for k, v in parse_qs(parts.query).items()}


async def authorize_error(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(
            url, allow_redirects=False, timeout=aiohttp.ClientTimeout(total=10)) as response:
        return response.status, await response.text()
