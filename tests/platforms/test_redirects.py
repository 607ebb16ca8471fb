"""SSRF rules per hop (finding 11): every redirect the SDKs follow (a Mastodon instance's app
registration and instance check, an avatar or item image fetch) is checked against the same
address rules as the first URL, before any connection is opened; the unspecified addresses
(0.0.0.0, ::, and the spellings that mean them) are refused in every mode, loopback allowed
for tests or not.

Nothing here leaves the machine: a tripwire on socket.connect lets only host-local addresses
through (loopback, and the unspecified ones, which reach this host) and records every attempt,
so a regression shows up as a recorded attempt, never as traffic to a private network."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from aiohttp import web

from matrix_social.errors import Refused
from matrix_social.external.media_fetch import fetch_image
from matrix_social.external.net import address_allowed, checked_address
from matrix_social.external.platforms.mastodon import (
    MastodonAdapter,
    MastodonApp,
    MastodonSettings,
    register_app,
)

from ..fakes.platforms.base import tiny_png
from ..fakes.server import LoopbackServer

SETTINGS = MastodonSettings(redirect_uri="https://social.example.org/cb", allow_loopback=True)


class Listener(LoopbackServer):
    """A local service that must never be reached through a redirect."""

    def __init__(self) -> None:
        super().__init__()
        self.hits: list[str] = []

    def routes(self, app: web.Application) -> None:
        async def anything(request: web.Request) -> web.Response:
            self.hits.append(f"{request.method} {request.path}")
            if request.path.endswith(".png"):
                return web.Response(body=tiny_png(), content_type="image/png")
            return web.json_response({"client_id": "local", "client_secret": "local",
                                      "version": "4.3.0"})

        app.router.add_route("*", "/{tail:.*}", anything)


class Redirector(LoopbackServer):
    """A loopback 'instance' or image host whose every answer is a redirect to `target`
    (307, so a POST stays a POST)."""

    def __init__(self) -> None:
        super().__init__()
        self.target = ""
        self.hits = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def routes(self, app: web.Application) -> None:
        async def redirect(request: web.Request) -> web.Response:
            self.hits += 1
            raise web.HTTPTemporaryRedirect(self.target + request.path.lstrip("/"))

        app.router.add_route("*", "/{tail:.*}", redirect)


@pytest.fixture
async def servers():
    listener, redirector = Listener(), Redirector()
    await listener.start()
    await redirector.start()
    try:
        yield listener, redirector
    finally:
        await redirector.stop()
        await listener.stop()


def _host_local(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    mapped = getattr(ip, "ipv4_mapped", None) or ip
    return mapped.is_loopback or mapped.is_unspecified


@pytest.fixture
def connects(monkeypatch):
    """Every address a socket in this process tries to connect to; anything that is not
    host-local is refused here, before a packet leaves."""
    attempts: list[str] = []
    real = socket.socket.connect

    def connect(sock, address):
        host = address[0] if isinstance(address, tuple) else None
        if host is not None:
            attempts.append(host)
            if not _host_local(host):
                raise ConnectionRefusedError(f"test tripwire: {host} is not host-local")
        return real(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return attempts


def _unspecified(port: int) -> list[str]:
    return [f"http://0.0.0.0:{port}/", f"http://0:{port}/", f"http://0x0:{port}/",
            f"http://[::]:{port}/", f"http://[::ffff:0.0.0.0]:{port}/"]


def _outside(attempts: list[str]) -> list[str]:
    """Attempts to anything but real loopback (the fakes themselves)."""
    return [a for a in attempts if not ipaddress.ip_address(a.split("%", 1)[0]).is_loopback]


async def test_a_redirect_to_an_unspecified_address_reaches_no_local_listener(servers,
                                                                              connects):
    listener, redirector = servers
    for target in _unspecified(listener.port):
        redirector.target = target
        before = redirector.hits
        # An avatar or item image (platforms/media_fetch.py).
        assert await fetch_image(f"{redirector.base_url}/avatar.png", allow_loopback=True) \
            is None, target
        # The instance: app registration (POST, kept by the 307) and the instance check.
        with pytest.raises(Refused, match="private or local"):
            await register_app(SETTINGS, redirector.base_url)
        adapter = MastodonAdapter(SETTINGS, MastodonApp(redirector.base_url, "id", "secret",
                                                        SETTINGS.redirect_uri, "read write"))
        with pytest.raises(Refused, match="private or local"):
            await adapter.instance_info()
        assert redirector.hits >= before + 3, target  # the first hop was made each time
    assert listener.hits == [], listener.hits
    assert _outside(connects) == [], connects


async def test_a_redirect_to_a_private_address_is_refused_when_only_loopback_is_allowed(
        servers, connects):
    listener, redirector = servers
    for target in ("http://10.255.255.1:8080/", "http://192.168.77.1/",
                   "http://169.254.169.254/latest/", "http://[fd00::7]/", "http://100.64.0.1/",
                   "http://[::ffff:10.1.1.1]/", "http://224.0.0.1/"):
        redirector.target = target
        assert await fetch_image(f"{redirector.base_url}/a.png", allow_loopback=True) is None
        with pytest.raises(Refused, match="private or local"):
            await register_app(SETTINGS, redirector.base_url)
    assert _outside(connects) == [], connects
    # The first hop itself is fine: a loopback image host is fetched in test mode.
    redirector.target = f"http://127.0.0.1:{listener.port}/"
    fetched = await fetch_image(f"{redirector.base_url}/ok.png", allow_loopback=True)
    assert fetched is not None and fetched[1] == "image/png"
    assert listener.hits == ["GET /ok.png"]


async def test_without_the_test_setting_a_loopback_redirect_is_refused_too(servers, connects):
    listener, redirector = servers
    redirector.target = f"http://127.0.0.1:{listener.port}/"
    # Production mode refuses the loopback first hop itself, before connecting at all.
    assert await fetch_image(f"{redirector.base_url}/a.png") is None
    assert redirector.hits == 0 and listener.hits == [] and connects == []


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "::ffff:0.0.0.0", "0:0:0:0:0:0:0:0",
                                  "0.0.0.0%lo"])
@pytest.mark.parametrize("allow_loopback", [False, True])
def test_unspecified_addresses_are_never_allowed(host, allow_loopback):
    assert not address_allowed(host, allow_loopback)


@pytest.mark.parametrize("host", ["0", "0x0", "0.0.0.0", "::", "000.000.000.000"])
def test_unspecified_spellings_are_refused_when_resolved(host):
    with pytest.raises(OSError, match="not a public address"):
        checked_address(host, 80, allow_loopback=True)
    assert checked_address("127.0.0.1", 80, allow_loopback=True) == "127.0.0.1"
