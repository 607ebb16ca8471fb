"""Link previews: asked of the homeserver's own URL preview API
(`/_matrix/client/v1/media/preview_url`) as the user who will see them, so the homeserver's
rules decide what may be fetched (Synapse refuses private addresses) and neither this service
nor the browser ever contacts the linked site. Answers are kept in the index for a day (a
refusal or failure for an hour), so a link shown to many people is asked for once."""

from __future__ import annotations

from typing import Any

from mautrix.api import Method, Path
from mautrix.errors import MatrixRequestError
from mautrix.util.async_db import Database

from ..clock import now_ms
from ..content.fields import clean_text
from ..db import link_previews
from ..errors import InvalidInput
from ..locks import KeyedLocks
from ..matrix.intents import Intents

FRESH_MS = 24 * 3600 * 1000
FAILED_FRESH_MS = 3600 * 1000
MAX_URL_CHARS = 2048


def _text(data: dict, key: str, limit: int) -> str | None:
    value = data.get(key)
    return value.strip()[:limit] or None if isinstance(value, str) else None


def _int(data: dict, key: str) -> int | None:
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 \
        else None


def preview_view(url: str, status: int, data: dict) -> dict[str, Any]:
    """The Open Graph fields a card shows, each checked (the linked page wrote them)."""
    image = data.get("og:image")
    view: dict[str, Any] = {
        "url": url, "available": status == 200 and bool(_text(data, "og:title", 300)),
        "title": _text(data, "og:title", 300),
        "description": _text(data, "og:description", 1000),
        "site_name": _text(data, "og:site_name", 100),
        "image": None}
    if isinstance(image, str) and image.startswith("mxc://") and len(image) <= 512:
        view["image"] = {"mxc": image, "width": _int(data, "og:image:width"),
                         "height": _int(data, "og:image:height")}
    return view


class LinkPreviews:
    def __init__(self, db: Database, intents: Intents) -> None:
        self.db = db
        self.intents = intents
        self._locks = KeyedLocks()

    async def get(self, user: str, url: Any) -> dict[str, Any]:
        url = clean_text(url, "url", max_chars=MAX_URL_CHARS)
        if not url.startswith(("https://", "http://")) or any(c.isspace() for c in url):
            raise InvalidInput("'url' must be an http(s) URL")
        async with self._locks.hold(url):  # many viewers of one new link: one request
            now = now_ms()
            stored = await link_previews.get(self.db, url)
            if stored is not None:
                status, data, fetched_at = stored
                if now - fetched_at < (FRESH_MS if status == 200 else FAILED_FRESH_MS):
                    return preview_view(url, status, data)
            status, data = await self._ask_homeserver(user, url)
            await link_previews.put(self.db, url, status, data, now)
            return preview_view(url, status, data)

    async def _ask_homeserver(self, user: str, url: str) -> tuple[int, dict]:
        intent = await self.intents.for_user(user)
        try:
            # No retries: a site that cannot be previewed answers 502 at once, and a card
            # is not worth a minute of backoff (the refusal is kept for an hour).
            data = await intent.api.request(Method.GET, Path.v1.media.preview_url,
                                            query_params={"url": url}, retry_count=0)
        except MatrixRequestError as e:
            return (e.http_status or 502), {}
        return 200, data if isinstance(data, dict) else {}
