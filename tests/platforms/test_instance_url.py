"""The user-given Mastodon instance URL is checked before any request is made to it."""

from __future__ import annotations

import socket

import pytest
import requests

from matrix_social.errors import Refused
from matrix_social.external.net import address_allowed, check_instance_url, guarded_session


@pytest.mark.parametrize("url", [
    "http://127.0.0.1", "https://127.0.0.1", "https://127.5.5.5:8443", "https://10.1.2.3",
    "https://172.16.0.1", "https://192.168.1.1", "https://169.254.169.254",
    "https://[::1]", "https://[fe80::1]", "https://[fc00::1]", "https://[::ffff:127.0.0.1]",
    "https://[::ffff:10.0.0.1]", "https://[2002:7f00:1::]", "https://224.0.0.1",
    "https://0.0.0.0", "https://100.64.0.1", "https://240.0.0.1", "https://255.255.255.255",
    "https://localhost", "https://foo.localhost", "https://printer.local", "https://intranet",
    "https://loopback.127.0.0.1.nip.invalid",
])
async def test_private_and_local_addresses_are_refused(url):
    with pytest.raises(Refused):
        await check_instance_url(url)


@pytest.mark.parametrize("url", [
    "ftp://mastodon.example", "https://user:pw@mastodon.example", "https://m.example/path",
    "https://m.example/?q=1", "https://m.example/#x", "https:// m.example", "", "   ",
    "https://m.example\r\nHost: evil", "https://" + "a" * 300 + ".example", "javascript:alert(1)",
    "http://93.184.215.14",  # public, but plain http outside tests
])
async def test_malformed_or_insecure_urls_are_refused(url):
    with pytest.raises(Refused):
        await check_instance_url(url)


async def test_a_hostname_resolving_to_loopback_is_refused(monkeypatch):
    async def fake_getaddrinfo(host, port, **kwargs):
        assert host == "evil.example"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    import asyncio
    loop = asyncio.get_running_loop()
    monkeypatch.setattr(loop, "getaddrinfo", fake_getaddrinfo)
    with pytest.raises(Refused, match="private or local"):
        await check_instance_url("evil.example")
    assert await check_instance_url("evil.example", allow_loopback=True) == "https://evil.example"


async def test_a_name_resolving_to_public_and_private_addresses_is_refused(monkeypatch):
    async def fake_getaddrinfo(host, port, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port))]

    import asyncio
    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", fake_getaddrinfo)
    with pytest.raises(Refused):
        await check_instance_url("mixed.example")


async def test_public_addresses_normalize(monkeypatch):
    async def fake_getaddrinfo(host, port, **kwargs):
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("2a01:4f8::1", port, 0, 0))]

    import asyncio
    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", fake_getaddrinfo)
    assert await check_instance_url(" Mastodon.Social/ ") == "https://mastodon.social"
    assert await check_instance_url("https://mastodon.social:8443") == \
        "https://mastodon.social:8443"
    assert await check_instance_url("https://mastodon.social:443/") == "https://mastodon.social"
    assert await check_instance_url("https://93.184.215.14") == "https://93.184.215.14"


async def test_loopback_only_behind_the_explicit_setting():
    assert await check_instance_url("http://127.0.0.1:8080", allow_loopback=True) == \
        "http://127.0.0.1:8080"
    with pytest.raises(Refused):
        await check_instance_url("http://10.0.0.1", allow_loopback=True)


def test_address_allowed():
    assert address_allowed("93.184.215.14") and address_allowed("2a01:4f8::1")
    assert not address_allowed("127.0.0.1") and address_allowed("127.0.0.1", True)
    assert not address_allowed("not an ip")


def test_guarded_session_refuses_to_connect_to_a_private_peer():
    """DNS rebinding and redirects: the peer address is checked at connect time."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    try:
        with pytest.raises(requests.ConnectionError, match="not a public address"):
            guarded_session(allow_loopback=False).get(f"http://127.0.0.1:{port}/", timeout=5)
    finally:
        server.close()
