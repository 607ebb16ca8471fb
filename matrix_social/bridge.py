"""The appservice program: mautrix's Bridge lifecycle, our config, database, handlers and API.

One program, three roles (`--role`, docs/replicas.md): `all` (the default) does everything in
one process; `ingest` receives the homeserver's transactions and runs the schedulers, without
the API; `api` serves /api/social and /social/ only (any number of them on one PostgreSQL): it
sends to the homeserver with the appservice token but receives no transactions, runs no
schedulers and holds no encryption keys (the ingest process's device does)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading

from aiohttp import web
from mautrix.bridge import Bridge
from mautrix.types import RoomID, UserID
from mautrix.util.async_db import Database
from mautrix.util.config import ConfigValueError, yaml

from . import __version__, log_redact, metrics
from .api.web_app import add_web_app
from .clock import Clock
from .config import Config
from .db import pool, upgrade_table
from .errors import ConfigError
from .external import registry as platform_registry
from .matrix import mautrix_seams
from .matrix.dispatch import EventDispatcher
from .matrix.encryption import RoomCryptoStateStore
from .matrix.handler import MatrixHandler
from .services import Services


def arm_stop_deadline(seconds: float, loop: asyncio.AbstractEventLoop,
                      log: logging.Logger) -> threading.Timer:
    """Exit the process if stopping takes longer than `seconds`, naming what still runs.

    A stop can hang on a call that retries against a homeserver that died with us (a killed
    dev stack, a host going down), and a process that never ends keeps its port and files."""
    def expire() -> None:
        # Read from another thread: only for the log line, the loop is stuck anyway.
        running = [repr(task) for task in asyncio.all_tasks(loop)][:20]
        log.error("Stopping took longer than %s s; exiting now. Still running: %s",
                  seconds, running)
        logging.shutdown()
        os._exit(1)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    return timer


ROLES = ("all", "api", "ingest")
NOT_HERE = {"errcode": "M_UNRECOGNIZED",
            "error": "This process is an API replica (--role api): transactions and queries "
                     "go to the ingest process"}


def refuse_appservice_routes() -> web.middleware:
    """An API replica answers no homeserver transaction nor query: the homeserver retries
    them until they reach the ingest process (a proxy that sends them here is misconfigured)."""
    @web.middleware
    async def middleware(request: web.Request, handler):
        path = request.path
        if path.startswith("/_matrix/app/") or path.startswith(("/transactions/", "/rooms/",
                                                                "/users/")):
            return web.json_response(NOT_HERE, status=404)
        return await handler(request)
    return middleware


def _fail(message: str) -> None:
    print(f"matrix-social: {message}", file=sys.stderr)
    sys.exit(11)


class SocialBridge(Bridge):
    name = "matrix-social"
    module = "matrix_social"
    command = "matrix-social"
    description = "A Matrix application service that turns a homeserver into a social network"
    version = __version__
    repo_url = "https://example.invalid/matrix-social"
    markdown_version = ""
    config_class = Config
    matrix_class = MatrixHandler
    upgrade_table = upgrade_table

    config: Config
    matrix: MatrixHandler
    services: Services
    role = "all"  # --role (preinit)

    def __init__(self, argv: list[str] | None = None, clock: Clock | None = None) -> None:
        super().__init__()
        self.argv = argv
        self.clock = clock

    def prepare_arg_parser(self) -> None:
        super().prepare_arg_parser()
        self.parser.add_argument(
            "--example-registration",
            action="store_true",
            help="write a registration with placeholder tokens to -r and quit (for docs)",
        )
        self.parser.add_argument(
            "--role", choices=ROLES, default="all",
            help="all: one process does everything (default); ingest: the homeserver's "
                 "transactions and the schedulers; api: /api/social and /social only, beside "
                 "one ingest (or all) process on the same PostgreSQL (docs/replicas.md)")
        self.parser.add_argument(
            "--port", type=int, default=None,
            help="listen on this port instead of appservice.port (an API replica's own)")

    def preinit(self) -> None:
        self.prepare_arg_parser()
        self.args = self.parser.parse_args(self.argv)
        if self.args.example_registration:
            self.write_example_registration()
            sys.exit(0)
        self.prepare_config()
        self.role = self.args.role
        if self.args.port is not None:
            self.config["appservice.port"] = self.args.port
        self.prepare_log()
        self.check_config()
        self.check_role()
        if self.args.generate_registration:
            self.generate_registration()
            sys.exit(0)
        self.init_loop()

    def prepare_config(self) -> None:
        if not os.path.exists(self.args.config):
            _fail(f"config file {self.args.config} not found "
                  "(copy config.example.yaml there and edit it)")
        try:
            super().prepare_config()
        except Exception as e:
            _fail(f"config file {self.args.config} could not be read: {e}".replace("\n", " "))
        platform_registry.fill_prefixes(self.config)

    def prepare_log(self) -> None:
        # dictConfig disables every logger made before it (tweepy's, urllib3's, ours made at
        # import) unless told otherwise, and their warnings would never be seen.
        self.config["logging"].setdefault("disable_existing_loggers", False)
        super().prepare_log()
        settings = self.config.view()
        tokens = [settings.appservice.as_token, settings.appservice.hs_token,
                  settings.ai.openai.api_key]
        log_redact.install(*(t for t in tokens if t and not str(t).startswith("This value")))

    def check_config(self) -> None:
        try:
            self.config.validate()
            platform_registry.check_config(self.config)
            self.config.check_default_values()
        except (ConfigError, ConfigValueError) as e:
            _fail(str(e))

    def check_role(self) -> None:
        database = str(self.config.view().appservice.database)
        if self.role == "api" and not database.startswith("postgres"):
            _fail("--role api needs PostgreSQL (appservice.database): API replicas share the "
                  "database and tell each other what changed with LISTEN/NOTIFY; an SQLite "
                  "deployment runs as one process (--role all)")

    @property
    def serves_api(self) -> bool:
        return self.role in ("all", "api")

    @property
    def ingests(self) -> bool:
        return self.role in ("all", "ingest")

    def write_example_registration(self) -> None:
        config = Config(self.args.config, self.args.registration, self.base_config_path)
        config.load()
        platform_registry.fill_prefixes(config)
        config["appservice.as_token"] = "AS_TOKEN_PLACEHOLDER"
        config["appservice.hs_token"] = "HS_TOKEN_PLACEHOLDER"
        with open(self.args.registration, "w") as stream:
            yaml.dump(config.registration(), stream)
        print(f"Example registration written to {self.args.registration}")

    def init_loop(self) -> None:
        try:
            self.loop = asyncio.get_running_loop()
        except RuntimeError:
            super().init_loop()

    def prepare_db(self) -> None:
        """mautrix's database with our pool options (db/pool.py), and a broken PostgreSQL
        connection dropped from the pool, the operation failing (the homeserver retries the
        transaction), instead of the process exiting (mautrix's default on asyncpg internal
        errors)."""
        appservice = self.config.view().appservice
        url = str(appservice.database)
        options = pool.options(url, appservice.database_opts)
        if url.startswith("postgres"):
            options.setdefault("meow_exit_on_ice", False)
        self.db = Database.create(url, upgrade_table=self.upgrade_table, db_args=options,
                                  owner_name=self.name,
                                  ignore_foreign_tables=self.args.ignore_foreign_tables)
        metrics.watch_database(self.db)
        # An API replica's pure reads may go to a read-only PostgreSQL replica.
        read_url = appservice.read_database
        self.read_db = None
        if read_url and self.role == "api":
            self.read_db = Database.create(
                str(read_url), db_args=pool.options(str(read_url), appservice.database_opts),
                ignore_foreign_tables=True)

    def prepare_bridge(self) -> None:
        """The one place the object graph is wired (services.py builds each component)."""
        services = self.services = Services(self.config, self.az, self.db, self.clock,
                                            read_db=self.read_db)
        dispatcher = EventDispatcher()
        self.matrix = MatrixHandler(bridge=self, dispatcher=dispatcher,
                                    background=services.background, ids=services.ids,
                                    capabilities=services.capabilities,
                                    e2be_route=services.e2be_route,
                                    e2be_notices=services.e2be_notices,
                                    receives_transactions=self.ingests)
        if not self.ingests:
            # The ingest process's device holds the keys; a second OlmMachine on the same
            # crypto store would fork its sessions.
            self.matrix.e2ee = None
            self.az.app.middlewares.append(refuse_appservice_routes())
        services.use_e2ee(self.matrix.e2ee)
        services.connect(dispatcher)
        mautrix_seams.route_events(self.az, self.matrix.handle_direct, services.txn_watcher)
        mautrix_seams.guard_transactions(self.az, self.db, services.ingest.transaction,
                                         services.delivery_recovery)
        mautrix_seams.use_crypto_state_store(self.matrix, RoomCryptoStateStore(self.db))
        self.az.query_user = services.puppets.query_user
        self.az.query_alias = services.feed_rooms.query_alias
        if self.serves_api:
            self.az.app.add_subapp("/api/social", services.api_app)
            add_web_app(self.az.app, services.settings,
                        platform_registry.web_list(services.platforms_config.enabled()))

    async def start_db(self) -> None:
        """The database, then this process's lease, before the API takes any request."""
        await super().start_db()
        if self.read_db is not None:
            await self.read_db.start()
        await self.services.process_lease.start()
        await self.services.broadcast.start()

    async def stop_db(self) -> None:
        """The lease goes once the API has stopped taking requests: its claims are free."""
        await self.services.broadcast.stop()
        await self.services.process_lease.stop()
        if self.read_db is not None:
            await self.read_db.stop()
        await super().stop_db()

    async def start(self) -> None:
        await self.services.http.start()
        await super().start()
        mautrix_seams.limit_idle_connections(
            self.az, self.services.settings.api.header_timeout_seconds)
        if not self.ingests:
            return  # the schedulers run in the one ingest process
        await self.services.quarantine.prune()
        await self.services.activity_scheduler.start()
        await self.services.platform_scheduler.start()
        await self.services.trending.start(self.services.background.spawn)
        self.services.background.spawn(self.services.msc4501_backfill.run())
        self.services.background.spawn(self.services.policy_lists.start())

    def prepare_stop(self) -> None:
        super().prepare_stop()
        # A second SIGTERM or Ctrl-C (an impatient supervisor, a test's teardown) would break
        # the stop off half-way with a traceback; the deadline bounds it instead.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        arm_stop_deadline(self.config.view().bridge.stop_timeout_seconds, self.loop, self.log)

    async def stop(self) -> None:
        await self.services.platform_scheduler.stop()
        await self.services.activity_scheduler.stop()
        await self.services.background.stop()
        await self.services.delivery_recovery.stop()
        await self.services.trending.stop()
        self.services.live.end_all()
        await super().stop()
        await self.services.http.stop()

    async def get_user(self, user_id: UserID, create: bool = True) -> None:
        return None

    async def get_portal(self, room_id: RoomID) -> None:
        return None

    async def get_puppet(self, user_id: UserID, create: bool = False) -> None:
        return None

    async def get_double_puppet(self, user_id: UserID) -> None:
        return None

    def is_bridge_ghost(self, user_id: UserID) -> bool:
        return self.services.ids.is_ghost(user_id)

    async def count_logged_in_users(self) -> int:
        return 0
