"""The appservice program: mautrix's Bridge lifecycle, our config, database, handlers and API."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading

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

    def preinit(self) -> None:
        self.prepare_arg_parser()
        self.args = self.parser.parse_args(self.argv)
        if self.args.example_registration:
            self.write_example_registration()
            sys.exit(0)
        self.prepare_config()
        self.prepare_log()
        self.check_config()
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

    def prepare_bridge(self) -> None:
        """The one place the object graph is wired (services.py builds each component)."""
        services = self.services = Services(self.config, self.az, self.db, self.clock)
        dispatcher = EventDispatcher()
        self.matrix = MatrixHandler(bridge=self, dispatcher=dispatcher,
                                    background=services.background, ids=services.ids,
                                    capabilities=services.capabilities,
                                    e2be_route=services.e2be_route,
                                    e2be_notices=services.e2be_notices)
        services.use_e2ee(self.matrix.e2ee)
        services.connect(dispatcher)
        mautrix_seams.route_events(self.az, self.matrix.handle_direct, services.txn_watcher)
        mautrix_seams.guard_transactions(self.az, self.db, services.ingest.transaction)
        mautrix_seams.use_crypto_state_store(self.matrix, RoomCryptoStateStore(self.db))
        self.az.query_user = services.puppets.query_user
        self.az.query_alias = services.feed_rooms.query_alias
        self.az.app.add_subapp("/api/social", services.api_app)
        add_web_app(self.az.app, services.settings,
                    platform_registry.web_list(services.platforms_config.enabled()))

    async def start_db(self) -> None:
        """The database, then this process's lease, before the API takes any request."""
        await super().start_db()
        await self.services.process_lease.start()

    async def stop_db(self) -> None:
        """The lease goes once the API has stopped taking requests: its claims are free."""
        await self.services.process_lease.stop()
        await super().stop_db()

    async def start(self) -> None:
        await self.services.http.start()
        await super().start()
        mautrix_seams.limit_idle_connections(
            self.az, self.services.settings.api.header_timeout_seconds)
        await self.services.quarantine.prune()
        await self.services.activity_scheduler.start()
        await self.services.platform_scheduler.start()
        await self.services.trending.start(self.services.background.spawn)

    def prepare_stop(self) -> None:
        super().prepare_stop()
        arm_stop_deadline(self.config.view().bridge.stop_timeout_seconds, self.loop, self.log)

    async def stop(self) -> None:
        await self.services.platform_scheduler.stop()
        await self.services.activity_scheduler.stop()
        await self.services.background.stop()
        await self.services.trending.stop()
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
