from __future__ import annotations

import pytest
from mautrix.util.async_db import Database

from matrix_social.db import upgrade_table

from ..fakes.platforms.image_host import ImageHost
from ..fakes.platforms.instagram import FakeInstagram
from ..fakes.platforms.mastodon import FakeMastodon
from ..fakes.platforms.x import FakeX
from ..harness import PostgresDatabase
from .stack import callback


@pytest.fixture(params=["sqlite", "postgres"])
async def db(request, tmp_path):
    """A bare database with every upgrade applied, on both backends (no homeserver)."""
    postgres = PostgresDatabase() if request.param == "postgres" else None
    if postgres:
        await postgres.create()
    url = postgres.url if postgres else f"sqlite:{tmp_path / 'platforms.db'}"
    database = Database.create(url, upgrade_table=upgrade_table)
    await database.start()
    try:
        yield database
    finally:
        await database.stop()
        if postgres:
            await postgres.drop()


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
