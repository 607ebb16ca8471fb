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
async def conduit_stack(tmp_path_factory):
    """Synapse configured to deliver to the appservice what Conduit delivers (room events
    only: no ephemeral or to-device events, no device lists or key counts; the bot may /sync),
    with the bridge on PostgreSQL."""
    stack = Stack(tmp_path_factory.mktemp("stack-conduit-like"), "postgres", conduit_like=True)
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


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
async def process_stack(request, tmp_path_factory):
    """A real Synapse and the bridge as a separate OS process (it can be killed)."""
    from .process_bridge import ProcessStack

    stack = ProcessStack(tmp_path_factory.mktemp(f"pstack-{request.param}"), request.param)
    try:
        await stack.start()
        yield stack
    finally:
        await stack.stop()


def pytest_collection_modifyitems(config, items):
    """Tests marked slow (the long reliability variants) run only when asked for: -m slow."""
    if "slow" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="long variant; run with -m slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
