from __future__ import annotations

import pytest

from ..fakes.platforms.image_host import ImageHost
from ..fakes.platforms.instagram import FakeInstagram
from ..fakes.platforms.mastodon import FakeMastodon
from ..fakes.platforms.x import FakeX
from .stack import callback


@pytest.fixture
async def fakes():
    servers = {"x": FakeX(redirect_uri=callback("x")), "mastodon": FakeMastodon(),
               "instagram": FakeInstagram(redirect_uri=callback("instagram"))}
    for server in servers.values():
        await server.start()
    try:
        yield servers
    finally:
        for server in servers.values():
            await server.stop()


@pytest.fixture
async def images():
    host = ImageHost()
    await host.start()
    try:
        yield host
    finally:
        await host.stop()
