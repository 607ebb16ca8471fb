from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from . import delivery_log, file_weights
from .browser import launch, require_browser
from .harness import Stack, upgraded


@asynccontextmanager
async def running(stack: Stack) -> AsyncIterator[Stack]:
    try:
        await stack.start()
        yield stack
    finally:
        await stack.stop()


@pytest.fixture(scope="session")
async def stack(tmp_path_factory):
    """A real Synapse and the bridge on PostgreSQL (the production database). End-to-end tests
    run once, here; SQL that differs between the databases is tested on both without a
    homeserver (the `db` fixture), and the `remote` stack runs on SQLite. Anybody may sign up
    here (after accepting the terms of service); the `remote` server keeps registration
    closed, as Synapse does by default."""
    async with running(Stack(tmp_path_factory.mktemp("stack"), "postgres",
                             open_registration=True)) as started:
        yield started


@pytest.fixture(scope="session")
async def conduit_stack(tmp_path_factory):
    """Synapse configured to deliver to the appservice what Conduit delivers (room events
    only: no ephemeral or to-device events, no device lists or key counts; the bot may /sync),
    with the bridge on PostgreSQL."""
    conduit_like = Stack(tmp_path_factory.mktemp("stack-conduit-like"), "postgres",
                         conduit_like=True)
    async with running(conduit_like) as started:
        yield started


@pytest.fixture(scope="session")
async def remote(tmp_path_factory):
    """Another homeserver with its own matrix-social and database, federating with the
    stack's over loopback."""
    async with running(Stack(tmp_path_factory.mktemp("remote"), "sqlite")) as started:
        yield started


@pytest.fixture(scope="session")
async def process_stack(tmp_path_factory):
    """A real Synapse and the bridge as a separate OS process (it can be killed), on
    PostgreSQL."""
    from .process_bridge import ProcessStack

    async with running(ProcessStack(tmp_path_factory.mktemp("pstack"), "postgres")) as started:
        yield started


@pytest.fixture(scope="session")
async def browser():
    """One headless Chromium per worker, shared by every browser test (each test opens its own
    contexts: their own storage, so each is a new device)."""
    require_browser()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await launch(playwright)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture(params=["sqlite", "postgres"])
async def db(request, tmp_path):
    """A bare, upgraded database of each kind (no homeserver): for SQL that differs between
    SQLite and PostgreSQL."""
    from mautrix.util.async_db import Database

    from matrix_social.db import upgrade_table

    if request.param == "postgres":
        postgres = await upgraded.postgres()
        url = postgres.url
    else:
        postgres = None
        url = await upgraded.sqlite(tmp_path / "index.db")
    database = Database.create(url, upgrade_table=upgrade_table)
    await database.start()
    try:
        yield database
    finally:
        await database.stop()
        if postgres:
            await postgres.drop()


def pytest_configure(config):
    if not hasattr(config, "workerinput"):  # the process that starts the xdist workers
        delivery_log.prepare()


def pytest_sessionfinish(session):
    asyncio.run(upgraded.drop())


def pytest_terminal_summary(terminalreporter):
    lines = delivery_log.summary()
    if lines:
        terminalreporter.section("deliveries between Synapse and the bridge that failed")
        for line in lines[:60]:
            terminalreporter.line(line)
        if len(lines) > 60:
            terminalreporter.line(f"... {len(lines) - 60} more")


def pytest_collection_modifyitems(config, items):
    """The longest files first (tests/file_weights.py); tests marked slow (the long
    reliability variants) run only when asked for: -m slow."""
    _longest_files_first(items)
    if "slow" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="long variant; run with -m slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def _longest_files_first(items) -> None:
    """A stable sort: each file's tests stay together and in their order."""
    def file_of(item) -> str:
        return item.nodeid.split("::", 1)[0]

    tests_in = Counter(file_of(item) for item in items)
    items.sort(key=lambda item: -file_weights.SECONDS.get(file_of(item),
                                                          2 * tests_in[file_of(item)]))
