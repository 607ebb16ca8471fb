"""The appservice program: mautrix's Bridge lifecycle, our config, database, handlers and API."""

from __future__ import annotations

import asyncio
import os
import sys

from mautrix.bridge import Bridge
from mautrix.types import RoomID, UserID
from mautrix.util.async_db import Database
from mautrix.util.config import ConfigValueError, yaml

from . import __version__, log_redact, metrics
from .ai.ai_to_ai import AiToAi
from .ai.responder import Responder
from .api.app import make_api_app
from .background import Background
from .config import PLATFORMS, Config, ConfigError
from .db import pool, upgrade_table
from .matrix import ingest_batch
from .matrix.handler import MatrixHandler
from .matrix.ingest import Ingest
from .matrix.puppets import Puppets
from .matrix.rooms import FeedRooms
from .matrix.txn_guard import make_txn_guard
from .social.apps import Apps
from .social.explore import Explore
from .social.identity import Identities
from .social.messaging import Messaging
from .social.profile_service import Profiles
from .social.service import Social


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

    def __init__(self, argv: list[str] | None = None) -> None:
        super().__init__()
        self.argv = argv

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

    def prepare_log(self) -> None:
        super().prepare_log()
        tokens = [self.config["appservice.as_token"], self.config["appservice.hs_token"],
                  self.config["ai.openai.api_key"]]
        log_redact.install(*(t for t in tokens if t and not str(t).startswith("This value")))

    def check_config(self) -> None:
        try:
            self.config.validate()
            self.config.check_default_values()
        except (ConfigError, ConfigValueError) as e:
            _fail(str(e))

    def write_example_registration(self) -> None:
        config = Config(self.args.config, self.args.registration, self.base_config_path)
        config.load()
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

    def prepare_appservice(self) -> None:
        super().prepare_appservice()
        self.identities = Identities(
            domain=self.config["homeserver.domain"],
            bot_localpart=self.config["appservice.bot_username"],
            ai_suffix=self.config["bridge.ai_suffix"],
            platform_prefixes={p: self.config[f"bridge.platform_prefixes.{p}"] for p in PLATFORMS},
        )
        self.az.synchronous_handlers = True
        self.az.event_handlers.remove(self.az.state_store.update_state)
        self.az.app.middlewares.append(
            make_txn_guard(self.az.hs_token, self.db, self.az.transactions.discard,
                           batch=lambda: ingest_batch.collect(self.db))
        )
        self.background = Background()
        metrics.watch_database(self.db)
        self.puppets = Puppets(self)
        self.feed_rooms = FeedRooms(self)
        self.ingest = Ingest(self)
        self.social = Social(self)
        self.profiles = Profiles(self, self.social)
        self.apps = Apps(self, self.social, self.profiles)
        self.explore = Explore(self, self.social)
        self.messaging = Messaging(self, self.social)
        self.responder = Responder(self)
        self.ai_to_ai = AiToAi(self)
        self.az.app.add_subapp("/api/social", make_api_app(self))

    def prepare_db(self) -> None:
        """mautrix's, with our pool options (db/pool.py)."""
        self.db = Database.create(
            self.config["appservice.database"], upgrade_table=self.upgrade_table,
            db_args=pool.options(self.config["appservice.database"],
                                 self.config["appservice.database_opts"]),
            owner_name=self.name, ignore_foreign_tables=self.args.ignore_foreign_tables)

    def prepare_bridge(self) -> None:
        self.matrix = MatrixHandler(bridge=self)
        self.az.query_user = self.puppets.query_user
        self.az.query_alias = self.feed_rooms.query_alias

    async def start(self) -> None:
        await super().start()
        await self.explore.trending.start(self.background.spawn)

    async def stop(self) -> None:
        await self.background.stop()
        await self.explore.trending.stop()
        await super().stop()

    async def get_user(self, user_id: UserID, create: bool = True) -> None:
        return None

    async def get_portal(self, room_id: RoomID) -> None:
        return None

    async def get_puppet(self, user_id: UserID, create: bool = False) -> None:
        return None

    async def get_double_puppet(self, user_id: UserID) -> None:
        return None

    def is_bridge_ghost(self, user_id: UserID) -> bool:
        return self.identities.is_ghost(user_id)

    async def count_logged_in_users(self) -> int:
        return 0
