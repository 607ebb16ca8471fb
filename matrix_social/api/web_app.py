"""The social web app: static files under /social/ with content types, caching and a CSP.

Every path under /social/ without a file extension is the app's page (it routes in the
browser). /social/config.json tells the app where the homeserver is and which external platforms
exist (as their modules declare them: external/registry.py, web_list), nothing secret.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from ..config.sections import Settings

STATIC_DIR = Path(__file__).resolve().parent.parent / "web"
PREFIX = "/social/"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".wasm": "application/wasm",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
}
COMPRESSIBLE = {".html", ".js", ".css", ".json", ".wasm", ".svg", ".txt"}
# Files whose name changes with their content (the build writes them) never need asking again.
IMMUTABLE_DIR = "vendor/immutable/"


@dataclass
class _File:
    mtime_ns: int
    etag: str
    raw: bytes
    gzipped: bytes | None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(homeserver_url: str) -> str:
    homeserver = _origin(homeserver_url)
    return "; ".join([
        "default-src 'none'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "style-src 'self'",
        "img-src 'self' blob: data:",
        "media-src 'self' blob:",
        f"connect-src 'self' {homeserver}",
        "manifest-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


class StaticFiles:
    """Reads each file once (again when it changes on disk), with its gzip form and ETag."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._cache: dict[Path, _File] = {}

    def _locate(self, relative: str) -> tuple[Path, int] | None:
        if "\x00" in relative or "\\" in relative:
            return None
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            return None
        if path.suffix not in CONTENT_TYPES or path.name.startswith("."):
            return None
        return path, path.stat().st_mtime_ns

    async def read(self, relative: str) -> tuple[Path, _File] | None:
        """The file at `relative` under the root (None if absent or not servable)."""
        found = await asyncio.to_thread(self._locate, relative)
        if found is None:
            return None
        path, mtime = found
        cached = self._cache.get(path)
        if cached is None or cached.mtime_ns != mtime:
            cached = await asyncio.to_thread(self._load, path, mtime)
            self._cache[path] = cached
        return path, cached

    @staticmethod
    def _load(path: Path, mtime: int) -> _File:
        raw = path.read_bytes()
        gzipped = gzip.compress(raw, 6, mtime=0) if path.suffix in COMPRESSIBLE else None
        if gzipped is not None and len(gzipped) >= len(raw):
            gzipped = None
        return _File(mtime, f'"{hashlib.sha256(raw).hexdigest()[:32]}"', raw, gzipped)


def add_web_app(app: web.Application, settings: Settings, platforms: list[dict[str, Any]]
                ) -> None:
    """Serve the app at /social/ on `app` (the service's root application); `platforms` is the
    list of external platforms the app shows."""
    files = StaticFiles(STATIC_DIR)
    homeserver_url = settings.api.web_homeserver_url or settings.homeserver.address
    security = {
        "Content-Security-Policy": content_security_policy(homeserver_url),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    client_config = json.dumps({
        "homeserver_url": homeserver_url,
        "server_name": settings.homeserver.domain,
        "ai_suffix": settings.bridge.ai_suffix,
        # AIs read encrypted rooms through this bot's device: a message must wait for it.
        "bot_user_id": f"@{settings.appservice.bot_username}:{settings.homeserver.domain}",
        "app_runner_url": settings.api.app_runner_url,
        "max_post_chars": 500,
        "platforms": platforms,
    }).encode()

    def respond(request: web.Request, body: bytes, content_type: str, cache: str,
                etag: str, gzipped: bytes | None = None) -> web.StreamResponse:
        headers = {**security, "Cache-Control": cache, "ETag": etag, "Vary": "Accept-Encoding"}
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers=headers)
        if gzipped is not None and "gzip" in request.headers.get("Accept-Encoding", ""):
            body = gzipped
            headers["Content-Encoding"] = "gzip"
        response = web.Response(body=body, headers=headers)
        response.content_type, _, charset = content_type.partition("; charset=")
        if charset:
            response.charset = charset
        return response

    async def serve(request: web.Request) -> web.StreamResponse:
        relative = request.match_info["path"]
        if relative == "config.json":
            etag = f'"{hashlib.sha256(client_config).hexdigest()[:32]}"'
            return respond(request, client_config, CONTENT_TYPES[".json"], "no-cache", etag)
        if not Path(relative).suffix:
            relative = "index.html"
        found = await files.read(relative)
        if found is None:
            return web.json_response({"errcode": "M_NOT_FOUND", "error": "No such file"},
                                     status=404, headers=security)
        path, file = found
        cache = "public, max-age=31536000, immutable" if relative.startswith(IMMUTABLE_DIR) \
            else "no-cache"
        return respond(request, file.raw, CONTENT_TYPES[path.suffix], cache, file.etag,
                       file.gzipped)

    async def to_app(_: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(PREFIX)

    app.router.add_get("/social", to_app)
    app.router.add_get(PREFIX + "{path:.*}", serve)
