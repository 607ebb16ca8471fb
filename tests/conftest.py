from __future__ import annotations

import pytest

from .harness import Stack


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
async def stack(request, tmp_path_factory):
    """A real Synapse and the bridge, once per database backend."""
    stack = Stack(tmp_path_factory.mktemp(f"stack-{request.param}"), request.param)
    try:
        await stack.start()
        yield stack
    finally:
        await stack.stop()


@pytest.fixture(scope="session")
async def remote(tmp_path_factory):
    """Another homeserver with its own matrix-social and database, federating with the
    stack's over loopback."""
    server = Stack(tmp_path_factory.mktemp("remote"), "sqlite")
    try:
        await server.start()
        yield server
    finally:
        await server.stop()
