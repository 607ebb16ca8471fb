from __future__ import annotations

import pytest
from mautrix.util.async_db import Database

from matrix_social.db import upgrade_table

from ..harness import PostgresDatabase


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
