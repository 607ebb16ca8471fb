"""Test harness: a real Synapse on loopback, the bridge in-process, users, nio clients."""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import asyncpg
from mautrix.util.async_db import Database, UpgradeTable
from nio import AsyncClient
from ruamel.yaml import YAML

from matrix_social.bridge import SocialBridge
from matrix_social.db import upgrade_table
from matrix_social.devstack.bridge_config import write_bridge_config
from matrix_social.devstack.conduit_like import write_conduit_like_registration
from matrix_social.devstack.ports import reserve_port
from matrix_social.devstack.synapse import Synapse

from . import delivery_log
from .fakes.agent import FakeAgent
from .fakes.platforms.all import PlatformFakes

POSTGRES_ADMIN_DSN = "postgres://postgres@127.0.0.1:5432/postgres"


def yaml_with(source: Path, target: Path, values: dict[str, Any]) -> Path:
    """`source` (a config, comments kept) written to `target` with `values` set by dotted
    path; the value KeyError removes the key."""
    yaml = YAML()
    data = yaml.load(source)
    for dotted, value in values.items():
        node = data
        *parents, leaf = dotted.split(".")
        for name in parents:
            node = node[name]
        if value is KeyError:
            del node[leaf]
        else:
            node[leaf] = value
    with open(target, "w") as f:
        yaml.dump(data, f)
    return target


def prepared_bridge(root: Path, monkeypatch) -> SocialBridge:
    """The bridge after mautrix's prepare(): config read, database and the whole object graph
    wired, nothing started and no homeserver contacted (it is not there)."""
    write_bridge_config(root / "config.yaml", root / "registration.yaml",
                        homeserver_url="http://127.0.0.1:9", domain="example.test", port=9,
                        database=f"sqlite:{root / 'db.sqlite'}")
    bridge = SocialBridge(["-c", str(root / "config.yaml"), "-n"])
    monkeypatch.setattr(bridge, "prepare_log", lambda: None)  # leave the test run's logging be
    bridge.preinit()
    bridge.prepare()
    return bridge
_names = itertools.count(1)


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 20.0,
                     interval: float = 0.1, what: str = "condition") -> Any:
    """Poll `check` until it returns something truthy; bounded in time."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"{what} not reached in {timeout}s (last value: {last!r})")


async def until_equal(check: Callable[[], Awaitable[Any]], expected: Any,
                      timeout: float = 20.0, what: str = "value") -> None:
    """Poll `check` until it returns `expected`; the failure shows the last value."""
    seen: list[Any] = []

    async def equal() -> bool:
        seen.append(await check())
        return seen[-1] == expected

    try:
        await eventually(equal, timeout=timeout, what=what)
    except AssertionError:
        raise AssertionError(f"{what}: wanted {expected!r}, last got {seen[-1:]!r}") from None


@dataclass
class User:
    localpart: str
    user_id: str
    password: str
    access_token: str


class PostgresDatabase:
    def __init__(self, template: str | None = None) -> None:
        self.name = f"matrix_social_test_{secrets.token_hex(4)}"
        self.template = template

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:5432/{self.name}"

    async def create(self) -> None:
        conn = await asyncpg.connect(POSTGRES_ADMIN_DSN)
        try:
            copy = f' TEMPLATE "{self.template}"' if self.template else ""
            await conn.execute(f'CREATE DATABASE "{self.name}"{copy}')
            # No durability past a PostgreSQL crash is needed here: commits stop waiting for
            # the WAL flush (what any session sees of a commit is unchanged).
            await conn.execute(f'ALTER DATABASE "{self.name}" SET synchronous_commit = off')
            # PostgreSQL looks for a deadlock once, this long after a statement began to wait:
            # the deadlock tests close their cycle after the API's write waits, which a busy
            # machine may not do within the default second (tests/test_deadlock_retry.py).
            await conn.execute(f'ALTER DATABASE "{self.name}" SET deadlock_timeout = \'5s\'')
        finally:
            await conn.close()

    async def drop(self) -> None:
        conn = await asyncpg.connect(POSTGRES_ADMIN_DSN)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        finally:
            await conn.close()


class UpgradedDatabases:
    """New databases already at the newest schema, for the `db` fixture and the stacks: copies
    of one database per kind upgraded once in this process (PostgreSQL's CREATE DATABASE …
    TEMPLATE, a file copy for SQLite). Running every upgrade costs 2-4 s a database on
    PostgreSQL under load, and about a hundred tests each ask for a fresh one. The upgrades
    themselves are tested from empty and from old schemas in tests/test_upgrades.py."""

    def __init__(self) -> None:
        self._postgres: PostgresDatabase | None = None
        self._sqlite: Path | None = None

    async def postgres(self, database: PostgresDatabase | None = None) -> PostgresDatabase:
        """`database` (a new one when not given) created as a copy of the upgraded one."""
        if self._postgres is None:
            template = PostgresDatabase()
            await template.create()
            await self._upgrade(template.url)
            self._postgres = template
        database = database or PostgresDatabase()
        database.template = self._postgres.name
        await database.create()
        return database

    async def sqlite(self, path: Path) -> str:
        if self._sqlite is None:
            folder = Path(tempfile.mkdtemp(prefix="matrix-social-schema-"))
            await self._upgrade(f"sqlite:{folder / 'index.db'}")
            self._sqlite = folder / "index.db"
        shutil.copyfile(self._sqlite, path)
        return f"sqlite:{path}"

    @staticmethod
    async def _upgrade(url: str) -> None:
        database = Database.create(url, upgrade_table=upgrade_table)
        await database.start()
        await database.stop()

    async def drop(self) -> None:
        if self._postgres is not None:
            await self._postgres.drop()
            self._postgres = None
        if self._sqlite is not None:
            shutil.rmtree(self._sqlite.parent, ignore_errors=True)
            self._sqlite = None


upgraded = UpgradedDatabases()


@asynccontextmanager
async def two_connections(url: str) -> AsyncIterator[tuple[asyncpg.Connection,
                                                          asyncpg.Connection]]:
    """Two connections of their own to the PostgreSQL database at `url`, for two writers at
    the same moment (one's transaction held open while the other writes); closed after."""
    first = await asyncpg.connect(url)
    try:
        second = await asyncpg.connect(url)
        try:
            yield first, second
        finally:
            await second.close()
    finally:
        await first.close()


class SchemaAt:
    """One new database, opened at an old schema (an upgrade's test fills it as that version
    left it), then again with every upgrade."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def open(self, upgrades: int | None = None) -> Database:
        """Started, with only the first `upgrades` upgrades run (all of them when None)."""
        table = upgrade_table
        if upgrades is not None:
            table = UpgradeTable()
            table.upgrades = list(upgrade_table.upgrades[:upgrades])
        database = Database.create(self.url, upgrade_table=table)
        await database.start()
        return database


@asynccontextmanager
async def new_database(kind: str, folder: Path) -> AsyncIterator[SchemaAt]:
    """A new, empty database of `kind` ("sqlite" in `folder`, or "postgres"), dropped after."""
    postgres = PostgresDatabase() if kind == "postgres" else None
    if postgres:
        await postgres.create()
    try:
        yield SchemaAt(postgres.url if postgres else f"sqlite:{folder / 'old.db'}")
    finally:
        if postgres:
            await postgres.drop()


@asynccontextmanager
async def concurrent_writers() -> AsyncIterator[tuple[Database, asyncpg.Connection,
                                                      asyncpg.Connection]]:
    """A new PostgreSQL database, upgraded (the service's pool on it), and two connections of
    their own to it (two_connections); all of it gone after."""
    postgres = await upgraded.postgres()
    try:
        db = Database.create(postgres.url, upgrade_table=upgrade_table)
        await db.start()
        try:
            async with two_connections(postgres.url) as (first, second):
                yield db, first, second
        finally:
            await db.stop()
    finally:
        await postgres.drop()


class Homeserver:
    """A Synapse under test: registers users and hands out matrix-nio clients."""

    synapse: Synapse

    def __init__(self) -> None:
        self.clients: list[AsyncClient] = []

    async def register(self, name: str = "user", admin: bool = False) -> User:
        """A new account (`admin`: one the homeserver's admin API says is an admin)."""
        localpart = f"{name}{next(_names)}{secrets.token_hex(2)}"
        password = secrets.token_urlsafe(12)
        data = await self.synapse.register_user(localpart, password, admin=admin)
        return User(localpart, data["user_id"], password, data["access_token"])

    def nio(self, user: User) -> AsyncClient:
        client = AsyncClient(self.synapse.url, user.user_id, store_path=None)
        client.access_token = user.access_token
        client.user_id = user.user_id
        self.clients.append(client)
        return client

    async def close_clients(self) -> None:
        for client in self.clients:
            await client.close()


class LogLines(logging.Handler):
    """Log lines of some loggers, as formatted messages (of every bridge in this process:
    loggers are global)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.name, record.getMessage()))


class Stack(Homeserver):
    """Synapse + matrix-social on loopback; the bridge can be restarted on the same database.

    conduit_like: Synapse delivers to the appservice what Conduit delivers (room events only;
    see matrix_social/devstack/conduit_like.py)."""

    def __init__(self, root: Path, db_kind: str, conduit_like: bool = False,
                 open_registration: bool = False,
                 registration_requires_token: bool = False,
                 captcha_siteverify_api: str | None = None) -> None:
        super().__init__()
        self.root = root
        self.db_kind = db_kind
        self.conduit_like = conduit_like
        self.hs_port = reserve_port()
        self.as_port = reserve_port()
        self.fed_port = reserve_port()
        self.domain = f"localhost:{self.fed_port}"
        self.postgres = PostgresDatabase() if db_kind == "postgres" else None
        registration = "registration-conduit-like.yaml" if conduit_like else "registration.yaml"
        self.synapse = Synapse(root / "synapse", self.hs_port, self.domain,
                               [root / registration], federation_port=self.fed_port,
                               appservice_extensions=not conduit_like,
                               sliding_sync=not conduit_like,
                               previews_of_loopback=True,
                               open_registration=open_registration,
                               registration_requires_token=registration_requires_token,
                               captcha_siteverify_api=captcha_siteverify_api)
        self.bridge: SocialBridge | None = None
        self.agent = FakeAgent()
        self.platforms = PlatformFakes(f"http://127.0.0.1:{self.as_port}")
        self.capability_log = LogLines()

    @property
    def database_url(self) -> str:
        return self.postgres.url if self.postgres else f"sqlite:{self.root / 'social.db'}"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.as_port}/api/social"

    @property
    def appservice_url(self) -> str:
        return f"http://127.0.0.1:{self.as_port}"

    def mxid(self, localpart: str) -> str:
        return f"@{localpart}:{self.domain}"

    async def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if self.postgres:
            await upgraded.postgres(self.postgres)
        elif not (self.root / "social.db").exists():
            await upgraded.sqlite(self.root / "social.db")
        self.config = write_bridge_config(
            self.root / "config.yaml",
            self.root / "registration.yaml",
            homeserver_url=self.synapse.url,
            domain=self.domain,
            port=self.as_port,
            database=self.database_url,
            log_level="DEBUG",
        )
        self.config["bridge.soul_path_template"] = str(self.root / "souls" / "{localpart}.md")
        self.config["ai.backend"] = "http"
        self.config["ai.http_url_template"] = self.agent.url_template
        self.config["ai.timeout_seconds"] = 5
        for key, value in self.platforms.config().items():
            self.config[f"platforms.{key}"] = value
        self.config.save()
        if self.conduit_like:
            write_conduit_like_registration(self.root / "registration-conduit-like.yaml",
                                            self.config.registration())
        await self.agent.start()
        await self.platforms.start()
        await self.synapse.start()
        await self.start_bridge()

    async def start_bridge(self, clock: Any = None) -> None:
        """`clock` (an object with now_ms()) replaces the time of what runs on a schedule."""
        bridge = SocialBridge(["-c", str(self.root / "config.yaml"), "-n"], clock=clock)
        bridge.preinit()
        delivery_log.watch_bridge()
        for name in ("matrix_social.capabilities", "matrix_social.encryption"):
            logger = logging.getLogger(name)
            if self.capability_log not in logger.handlers:
                logger.addHandler(self.capability_log)
        bridge.prepare()
        await bridge.start()
        self.bridge = bridge

    async def stop_bridge(self) -> None:
        if self.bridge is not None:
            await self.bridge.stop()
            self.bridge = None

    async def stop(self) -> None:
        await self.close_clients()
        await self.stop_bridge()
        self.synapse.stop()
        delivery_log.collect_synapse(self.synapse.log_path, self.root.name)
        await self.agent.stop()
        await self.platforms.stop()
        if self.postgres:
            await self.postgres.drop()

    async def request(self, method: str, url: str, *, token: str | None = None,
                      json: Any = None, headers: dict | None = None,
                      data: Any = None) -> tuple[int, Any]:
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        async with aiohttp.ClientSession() as session, session.request(
            method, url, json=json, data=data, headers=all_headers
        ) as resp:
            body = await resp.json(content_type=None) if resp.content_length != 0 else None
            return resp.status, body


async def api(stack: Stack, method: str, path: str, user: User | None = None,
              **kwargs) -> tuple[int, Any]:
    """Call /api/social as `user`."""
    return await stack.request(method, f"{stack.api_url}{path}",
                               token=user.access_token if user else None, **kwargs)


async def plain_dm_with_lines(stack: Stack, alice: User, bob: User,
                              lines: list[str]) -> str:
    """An unencrypted DM from alice to bob, joined by bob, who says `lines` in it."""
    dm = await api_ok(stack, "POST", "/messages/dm", alice,
                      json={"to": bob.user_id, "encrypted": False})
    room = quote(dm["room_id"], safe="")
    status, _ = await stack.request(
        "POST", f"{stack.synapse.url}/_matrix/client/v3/join/{room}", json={},
        token=bob.access_token)
    assert status == 200
    for line in lines:
        status, _ = await stack.request(
            "PUT", f"{stack.synapse.url}/_matrix/client/v3/rooms/{room}/send/m.room.message/"
                   f"line{secrets.token_hex(6)}",
            json={"msgtype": "m.text", "body": line}, token=bob.access_token)
        assert status == 200
    return dm["room_id"]


async def api_ok(stack: Stack, method: str, path: str, user: User | None = None,
                 expect: int | tuple[int, ...] = (200, 201), **kwargs) -> Any:
    status, body = await api(stack, method, path, user, **kwargs)
    expected = (expect,) if isinstance(expect, int) else expect
    assert status in expected, f"{method} {path}: {status} {body}"
    return body


async def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 180
                  ) -> tuple[int, str, str]:
    """`python -m matrix_social ARGS` as its own process: exit code, stdout, stderr."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "matrix_social", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=timeout)
    return proc.returncode, out.decode(), err.decode()


def synapse_rows(homeserver: Homeserver, sql: str, *args: Any) -> list[tuple]:
    """A read-only query of the harness Synapse's own SQLite database (blocking: call it
    through asyncio.to_thread)."""
    db = homeserver.synapse.data_dir / "homeserver.db"
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


async def appservice_not_down(homeserver: Homeserver) -> bool:
    """Whether Synapse delivers to our appservice normally. After a transaction failed (a
    bridge restart, a 500) it marks it down and, until it has replayed what it stored, drops
    every to-device event for it, room keys included (docs/testing.md, "The to-device
    probe"): an encrypted test sends its first message only once this holds."""
    rows = await asyncio.to_thread(synapse_rows, homeserver,
                                   "SELECT state FROM application_services_state")
    return all(state != "down" for (state,) in rows)


async def room_texts(client: AsyncClient, room_id: str, limit: int = 100) -> list[dict]:
    """Events of a room as a plain client reads them (newest first)."""
    from nio import RoomMessagesResponse

    resp = await client.room_messages(room_id, start="", limit=limit)
    assert isinstance(resp, RoomMessagesResponse), resp
    return [event.source for event in resp.chunk]


def record_ingested(stack: Stack, monkeypatch) -> list[str]:
    """The event ids the bridge's ingest is handed from now on (for this test)."""
    handled: list[str] = []
    real_handle = stack.bridge.services.ingest.handle

    async def spy(raw):
        handled.append(raw.get("event_id"))
        await real_handle(raw)

    monkeypatch.setattr(stack.bridge.services.ingest, "handle", spy)
    return handled


async def spend_the_hour(stack: Stack, ai: str, sender: str) -> None:
    """As if `sender` had written to `ai` as often as the AI rate limit allows in an hour."""
    from matrix_social.clock import now_ms
    from matrix_social.db import ai_rate

    for _ in range(stack.bridge.services.ai_rate_limit.per_hour):
        await ai_rate.record(stack.bridge.db, ai, sender, now_ms(), prune_before=0)


class RawSync:
    """A plain /sync loop, to see what any client sees: typing, receipts, messages."""

    def __init__(self, stack: Stack, user: User) -> None:
        self.stack = stack
        self.user = user
        self.since: str | None = None

    async def poll(self, timeout_ms: int = 500) -> dict:
        url = f"{self.stack.synapse.url}/_matrix/client/v3/sync?timeout={timeout_ms}"
        if self.since:
            url += f"&since={self.since}"
        status, body = await self.stack.request("GET", url, token=self.user.access_token)
        assert status == 200, body
        self.since = body["next_batch"]
        return body

    async def collect(self, room_id: str, until: Callable[[dict], bool],
                      timeout: float = 20.0) -> dict:
        """Gather the room's timeline and ephemeral events until `until(seen)` holds."""
        seen: dict[str, list] = {"timeline": [], "ephemeral": []}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            body = await self.poll()
            room = body.get("rooms", {}).get("join", {}).get(room_id, {})
            seen["timeline"] += room.get("timeline", {}).get("events", [])
            seen["ephemeral"] += room.get("ephemeral", {}).get("events", [])
            if until(seen):
                return seen
        raise AssertionError(f"sync did not show what was expected in {timeout}s: {seen}")


async def open_dm(stack: Stack, user: User, other: str) -> str:
    """A DM room from `user` to `other`, waiting until `other` has joined."""
    client = stack.nio(user)
    from nio import RoomCreateResponse

    resp = await client.room_create(invite=[other], is_direct=True)
    assert isinstance(resp, RoomCreateResponse), resp
    await wait_joined(client, resp.room_id, other)
    return resp.room_id


async def dm_to_ai(client: AsyncClient, ai: str, text: str) -> str:
    """A new DM from `client`'s user to `ai`, once the AI has joined it, with `text` said in
    it; the room's id."""
    from nio import RoomCreateResponse

    room = await client.room_create(is_direct=True, invite=[ai])
    assert isinstance(room, RoomCreateResponse), room
    await wait_joined(client, room.room_id, ai)
    await client.room_send(room.room_id, "m.room.message", {"msgtype": "m.text", "body": text})
    return room.room_id


async def wait_joined(client: AsyncClient, room_id: str, user_id: str) -> None:
    """Until `user_id` is a joined member of the room, as `client` sees it."""
    from nio import JoinedMembersResponse

    async def joined() -> bool:
        members = await client.joined_members(room_id)
        return isinstance(members, JoinedMembersResponse) and user_id in {
            m.user_id for m in members.members}

    await eventually(joined, what=f"{user_id} joined {room_id}")
