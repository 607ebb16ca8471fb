"""What every fake platform shares: request log and counters, injected failures, and rate
limits with their headers on every response."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from ..server import LoopbackServer


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class Failure:
    status: int
    times: int
    path: str  # prefix
    method: str | None
    reset_in_s: float | None  # 429: when the window resets (the platform's reset header)
    retry_after_s: float | None
    after: int = 0  # matching requests let through first


@dataclass
class Window:
    started: float
    used: int = 0


@dataclass
class RateLimits:
    """Per (token, group) fixed windows, as the platforms count them."""

    window_s: float
    limits: dict[str, int]
    default: int
    windows: dict[tuple[str, str], Window] = field(default_factory=dict)

    def take(self, key: str, group: str, now: float) -> tuple[int, int, float]:
        """(limit, remaining after this request, reset epoch); remaining < 0: over."""
        limit = self.limits.get(group, self.default)
        window = self.windows.get((key, group))
        if window is None or now >= window.started + self.window_s:
            window = self.windows[(key, group)] = Window(now)
        window.used += 1
        return limit, limit - window.used, window.started + self.window_s


class FakePlatform(LoopbackServer):
    """Subclasses add routes and say how their platform shapes errors and rate headers."""

    name = "fake"

    def __init__(self, window_s: float, limits: dict[str, int], default_limit: int) -> None:
        super().__init__()
        self.requests: list[Recorded] = []
        self.failures: list[Failure] = []
        self.stalls: list[list[Any]] = []  # [path, method, release, after]
        self.stalled = 0  # requests handled and then held by a stall
        self.rate = RateLimits(window_s, dict(limits), default_limit)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- test controls -----------------------------------------------------------------------

    def fail(self, status: int, times: int = 1, path: str = "/", method: str | None = None,
             reset_in_s: float | None = None, retry_after_s: float | None = None,
             after: int = 0) -> None:
        """The next `times` requests under `path` answer `status` in the platform's shape
        (once `after` of them have gone through: the second part of a thread fails)."""
        self.failures.append(Failure(status, times, path, method, reset_in_s, retry_after_s,
                                     after))

    def stall(self, path: str, method: str | None = None, after: int = 0) -> asyncio.Event:
        """The next request under `path` (once `after` of them have gone through) is handled
        (the platform does the work) but its answer is held until the returned event is set
        (or 60 s pass): a client that dies meanwhile never learns that it worked."""
        release = asyncio.Event()
        self.stalls.append([path, method, release, after])
        return release

    def count(self, path: str = "/", method: str | None = None) -> int:
        return sum(1 for r in self.requests if r.path.startswith(path)
                   and (method is None or r.method == method))

    def set_limit(self, group: str, limit: int) -> None:
        self.rate.limits[group] = limit
        self.rate.windows = {k: v for k, v in self.rate.windows.items() if k[1] != group}

    # --- to override -------------------------------------------------------------------------

    def rate_group(self, request: web.Request) -> str | None:
        """The rate-limit bucket of a request; None: not rate limited (OAuth endpoints)."""
        return None

    def rate_key(self, request: web.Request) -> str:
        return request.headers.get("Authorization") or request.remote or "anonymous"

    def rate_headers(self, limit: int, remaining: int, reset: float) -> dict[str, str]:
        return {}

    def error(self, status: int, reset: float | None = None) -> web.Response:
        raise NotImplementedError

    # --- plumbing ----------------------------------------------------------------------------

    def _take_failure(self, request: web.Request) -> Failure | None:
        for failure in self.failures:
            if failure.times > 0 and request.path.startswith(failure.path) and (
                    failure.method is None or failure.method == request.method):
                if failure.after > 0:
                    failure.after -= 1
                    continue
                failure.times -= 1
                return failure
        return None

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        # A multipart body is left to its handler (aiohttp cannot parse it after a read()).
        body = b"" if request.content_type.startswith("multipart/") else await request.read()
        self.requests.append(Recorded(request.method, request.path, dict(request.query),
                                      dict(request.headers), body))
        now = time.time()
        group = self.rate_group(request)
        headers: dict[str, str] = {}
        over = False
        if group is not None:
            limit, remaining, reset = self.rate.take(self.rate_key(request), group, now)
            over = remaining < 0
            headers = self.rate_headers(limit, max(remaining, 0), reset)
        failure = self._take_failure(request)
        if failure is not None:
            reset_at = now + failure.reset_in_s if failure.reset_in_s is not None else None
            response = self.error(failure.status, reset_at)
            if reset_at is not None and group is not None:  # the budget is spent until then
                headers = self.rate_headers(self.rate.limits.get(group, self.rate.default), 0,
                                            reset_at)
            if failure.retry_after_s is not None:
                response.headers["Retry-After"] = str(int(failure.retry_after_s))
        elif over:
            response = self.error(429, reset)
        else:
            try:
                response = await handler(request)
            except web.HTTPException as e:
                response = web.Response(status=e.status, body=e.body, headers=e.headers)
            for stall in list(self.stalls):
                if request.path.startswith(stall[0]) and stall[1] in (None, request.method):
                    if stall[3] > 0:
                        stall[3] -= 1
                        continue
                    self.stalls.remove(stall)
                    self.stalled += 1
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stall[2].wait(), timeout=60)
                    break
        for key, value in headers.items():
            response.headers.setdefault(key, value)
        return response

    def routes(self, app: web.Application) -> None:
        app.middlewares.append(self._middleware)
        app.router.add_get("/avatars/{name}", self.avatar)
        self.add_routes(app)

    async def avatar(self, request: web.Request) -> web.Response:
        """Profile pictures and images the platform links to: a real 8x8 PNG."""
        return web.Response(body=tiny_png(), content_type="image/png")

    def add_routes(self, app: web.Application) -> None:
        raise NotImplementedError


def iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch % 1 * 1000):03d}Z"


def tiny_png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 80, 40)).save(out, "PNG")
    return out.getvalue()
