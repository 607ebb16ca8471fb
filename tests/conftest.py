from __future__ import annotations

import pytest

from .harness import RemoteServer, Stack


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
    """Another homeserver on loopback that federates with the stack's."""
    server = RemoteServer(tmp_path_factory.mktemp("remote"))
    try:
        await server.synapse.start()
        yield server
    finally:
        await server.stop()
