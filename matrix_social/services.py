"""Every component of the service and what it is built from (see container.py)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from mautrix.appservice import AppService
from mautrix.util.async_db import Database

from .ai.ai_to_ai import AiToAi
from .ai.backends import Backend, make_backend
from .ai.context import ContextBuilder
from .ai.rate_limit import RateLimiter
from .ai.responder import Responder
from .api.app import ROUTE_GROUPS, make_api_app
from .api.auth import Authenticator
from .api.idempotency import make_idempotency_middleware
from .api.params import PageLimit
from .api.process_lease import ProcessLease
from .background import Background, Wakeup
from .clock import Clock
from .config import Config
from .container import assemble, component
from .db.notify import Broadcast
from .external.bridging import ItemBridge
from .external.commands import ConnectionCommands
from .external.connections import BrokenNotices, Connections
from .external.crossposting import CrossPosting
from .external.delivery import Deliveries, DeliveryWorker, StatusBoard
from .external.grants import Grants
from .external.login import LoginFlow
from .external.management import ManagementRooms
from .external.media_links import SIGNING_PURPOSE, MediaLinks
from .external.poller import Poller
from .external.portals import PortalRooms
from .external.previews import Previews
from .external.puppets import PlatformPuppets
from .external.registry import (
    Platforms,
    PlatformsConfig,
    brandings,
    cross_post_targets,
    puppet_prefixes,
)
from .external.scheduler import PlatformScheduler
from .external.tokens import TokenCipher
from .http_client import HttpClient
from .ids import Identities
from .matrix.ai_puppets import Puppets
from .matrix.bars import Bars
from .matrix.bio_topic import BioTopicSync
from .matrix.capabilities import CapabilityCheck
from .matrix.delivery_recovery import DeliveryRecovery
from .matrix.discovery import RemoteFeedDiscovery
from .matrix.dispatch import EventDispatcher
from .matrix.e2be_notices import EncryptionNotices
from .matrix.e2be_route import EncryptionRoute
from .matrix.encryption import RoomEncryption
from .matrix.feed_owners import FeedOwners
from .matrix.feed_rooms import FeedRooms
from .matrix.group_rooms import GroupRooms
from .matrix.hygiene import FeedHygiene
from .matrix.ingest import FollowFence, IndexRules, Ingest, Quarantine
from .matrix.ingest.changes import IndexChanges
from .matrix.intents import Intents
from .matrix.invites import Invites
from .matrix.knock_answers import KnockAnswers
from .matrix.msc4501_backfill import Msc4501Backfill
from .matrix.policy_lists import PolicyLists
from .matrix.profile_mirror import ProfileMirror
from .matrix.remote_feeds import RemoteFeeds
from .matrix.room_list import SlidingRooms
from .matrix.sender import IndexedSender
from .matrix.txn_watch import TransactionWatcher
from .matrix.user_directory import UserDirectory
from .social.activity.ai import AiActivity
from .social.activity.drafts import Drafts
from .social.activity.reports import Activities
from .social.activity.scheduler import ActivityScheduler
from .social.activity.settings import ActivitySettings
from .social.activity.summaries import Summaries
from .social.ai_conversations import AiConversations
from .social.ai_requests import AiRequests
from .social.apps import Apps
from .social.block_list import BlockList
from .social.blocks import Blocks
from .social.bookmarks import Bookmarks
from .social.derivatives import ImageDerivatives
from .social.explore import Explore
from .social.feed import Feed
from .social.feed_plan import FeedPlanner
from .social.follows import Follows
from .social.ipc import Ipc
from .social.link_previews import LinkPreviews
from .social.live import LiveStreams
from .social.media import ImageLimits, Uploads
from .social.messaging import Messaging
from .social.moderation import Moderation, Reports
from .social.mutes import Mutes
from .social.notifications import Notifications
from .social.posts import Composer, Posts
from .social.profiles import Profiles
from .social.room_follows import RoomFollows
from .social.tags import Tags
from .social.trending import Trending
from .social.users import Users

MB = 1024 * 1024


class Services:
    """Roots: the config, mautrix's appservice and database, and (once mautrix's Matrix
    handler exists) its encryption manager. `clock` replaces the real time for what runs on a
    schedule (tests simulate a week with it)."""

    def __init__(self, config: Config, az: AppService, db: Database,
                 clock: Clock | None = None, read_db: Database | None = None) -> None:
        self.config = config
        self.settings = config.view()
        self.az = az
        self.db = db
        # pure reads that tolerate a read-only replica's lag (api role, read_database)
        self.reads = read_db or db
        self._clock = clock
        self._e2ee: Any = None
        self._e2ee_known = False

    def use_e2ee(self, e2ee: Any) -> None:
        self._e2ee, self._e2ee_known = e2ee, True

    # --- kernel ---------------------------------------------------------------------------

    @component
    def ids(self) -> Identities:
        s = self.settings
        return Identities(
            domain=s.homeserver.domain, bot_localpart=s.appservice.bot_username,
            ai_suffix=s.bridge.ai_suffix,
            platform_prefixes=puppet_prefixes(s.bridge.platform_prefixes))

    @component
    def clock(self) -> Clock:
        return self._clock or Clock()

    @component
    def background(self) -> Background:
        return Background()

    @component
    def http(self) -> HttpClient:
        return HttpClient()

    @component
    def broadcast(self) -> Broadcast:
        """What this process tells the other processes on the same PostgreSQL (API replicas,
        docs/replicas.md); nothing with SQLite."""
        return Broadcast(self.db, self.process_lease.id)

    # --- matrix ---------------------------------------------------------------------------

    @component
    def owners(self) -> FeedOwners:
        return FeedOwners(self.db, self.broadcast)

    @component
    def puppets(self) -> Puppets:
        return Puppets(self.az, self.db, self.ids, self.settings.bridge.ai_displayname_template)

    @component
    def intents(self) -> Intents:
        return Intents(self.az, self.puppets, self.ids,
                       self.settings.bridge.masquerade_local_users)

    @component
    def directory(self) -> UserDirectory:
        return UserDirectory(self.az, self.db, self.ids)

    @component
    def quarantine(self) -> Quarantine:
        return Quarantine(self.db, self.settings.bridge.quarantine, self.clock)

    @component
    def ingest(self) -> Ingest:
        return Ingest(self.db, IndexRules(self.ids, self.owners, self.az.bot_mxid,
                                          self.follow_fence, self.bars),
                      self.quarantine,
                      self.index_changes)

    @component
    def index_changes(self) -> IndexChanges:
        return IndexChanges(self.broadcast)

    @component
    def live(self) -> LiveStreams:
        return LiveStreams(self.db, self.index_changes, self.notifications,
                           self.broadcast)

    @component
    def follow_fence(self) -> FollowFence:
        return FollowFence(self.broadcast)

    @component
    def remote_feeds(self) -> RemoteFeeds:
        return RemoteFeeds(self.az, self.ids, self.owners, self.ingest,
                           self.settings.bridge.feed_alias_prefix)

    @component
    def group_rooms(self) -> GroupRooms:
        return GroupRooms(self.az, self.ids, self.owners, self.ingest)

    @component
    def knock_answers(self) -> KnockAnswers:
        return KnockAnswers(self.db, self.ids, self.intents, self.group_rooms,
                            self.remote_feeds)

    @component
    def feed_rooms(self) -> FeedRooms:
        return FeedRooms(self.ids, self.owners, self.intents, self.remote_feeds,
                         self.directory, self.settings.bridge.feed_alias_prefix)

    @component
    def msc4501_backfill(self) -> Msc4501Backfill:
        return Msc4501Backfill(self.db, self.feed_rooms)

    @component
    def sender(self) -> IndexedSender:
        return IndexedSender(self.ingest)

    @component
    def encryption(self) -> RoomEncryption:
        if not self._e2ee_known:
            raise RuntimeError("encryption is wired before mautrix's Matrix handler exists")
        return RoomEncryption(self.az, self.ids, self._e2ee)

    @component
    def txn_watcher(self) -> TransactionWatcher:
        return TransactionWatcher()

    @component
    def delivery_recovery(self) -> DeliveryRecovery:
        return DeliveryRecovery(self.az)

    @component
    def capabilities(self) -> CapabilityCheck:
        return CapabilityCheck(self.az, self.txn_watcher,
                               homeserver_url=self.settings.homeserver.address,
                               ephemeral_requested=self.settings.appservice.ephemeral_events)

    @component
    def e2be_route(self) -> EncryptionRoute:
        return EncryptionRoute(self.settings.bridge.encryption.appservice, self.capabilities,
                               self.txn_watcher)

    @component
    def e2be_notices(self) -> EncryptionNotices:
        return EncryptionNotices(self.az, self.e2be_route, self.ids.is_ai,
                                 self.puppets.ensure_ai)

    @component
    def invites(self) -> Invites:
        return Invites(self.az, self.ids, self.owners, self.puppets, self.encryption)

    @component
    def hygiene(self) -> FeedHygiene:
        return FeedHygiene(self.az, self.db, self.owners)

    @component
    def bio_topic(self) -> BioTopicSync:
        return BioTopicSync(self.az, self.owners, self.feed_rooms.profile_writes)

    @component
    def profile_mirror(self) -> ProfileMirror:
        return ProfileMirror(self.ids, self.owners, self.feed_rooms, self.puppets)

    @component
    def discovery(self) -> RemoteFeedDiscovery:
        return RemoteFeedDiscovery(self.ids, self.owners, self.intents, self.feed_rooms,
                                   self.background)

    # --- ai -------------------------------------------------------------------------------

    @component
    def backend(self) -> Backend:
        return make_backend(self.settings.ai, self.http)

    @component
    def ai_rate_limit(self) -> RateLimiter:
        return RateLimiter(self.db, self.ids, self.settings.ai.rate_limit_per_hour,
                           self.bars)

    @component
    def responder(self) -> Responder:
        context = ContextBuilder(self.db, self.ids, self.directory,
                                 self.settings.ai.history_messages)
        return Responder(self.az, self.ids, self.puppets, self.owners, context,
                         self.ai_rate_limit,
                         self.backend, self.encryption, self.background,
                         self.settings.ai.timeout_seconds,
                         on_answered=[self.ai_activity.answered])

    @component
    def ai_to_ai(self) -> AiToAi:
        return AiToAi(self.ids, self.puppets, self.responder, self.background, self.broadcast)

    # --- social ---------------------------------------------------------------------------

    @component
    def users(self) -> Users:
        return Users(self.ids, self.directory)

    @component
    def feed(self) -> Feed:
        return Feed(self.db, self.users, FeedPlanner(self.reads), brandings(), self.block_list,
                    self.mutes, self.broadcast)

    @component
    def block_list(self) -> BlockList:
        return BlockList(self.db, self.bars)

    @component
    def bars(self) -> Bars:
        """Whom the operator bars: the policy lists and suspensions, one answer."""
        return Bars(self.db, self.policy_lists, self.broadcast)

    @component
    def policy_lists(self) -> PolicyLists:
        """The operator's moderation policy rooms and their ban rules (one cached matcher)."""
        return PolicyLists(self.db, self.intents, self.settings.moderation.policy_rooms,
                           self.broadcast)

    @component
    def reports(self) -> Reports:
        return Reports(self.db, self.ids, self.users, self.intents)

    @component
    def moderation(self) -> Moderation:
        return Moderation(self.db, self.ids, self.intents, self.policy_lists, self.bars)

    @component
    def mutes(self) -> Mutes:
        return Mutes(self.db, self.ids, self.users)

    @component
    def blocks(self) -> Blocks:
        return Blocks(self.db, self.ids, self.users, self.intents, self.feed_rooms,
                      self.follows)

    @component
    def media(self) -> Uploads:
        return Uploads(self.db, self.intents, self.settings.api.max_image_size * MB,
                       self.image_limits)

    @component
    def image_limits(self) -> ImageLimits:
        return ImageLimits.configured(self.settings.api.media)

    @component
    def image_derivatives(self) -> ImageDerivatives:
        return ImageDerivatives(self.db, self.intents, self.image_limits,
                                self.settings.api.max_image_size * MB,
                                self.settings.api.media.decode_concurrency)

    @component
    def composer(self) -> Composer:
        return Composer(self.media, self.settings.api.app_runner_url,
                        self.platforms_config.public_url)

    @component
    def posts(self) -> Posts:
        return Posts(self.db, self.users, self.intents, self.feed_rooms, self.sender,
                     self.feed, self.composer, cross_post_targets(),
                     listeners=[self.crossposting])

    @component
    def follows(self) -> Follows:
        return Follows(self.db, self.ids, self.users, self.intents, self.feed_rooms,
                       self.follow_fence, self.block_list)

    @component
    def room_follows(self) -> RoomFollows:
        return RoomFollows(self.db, self.intents, self.owners, self.group_rooms,
                           self.follow_fence, self.users)

    @component
    def profiles(self) -> Profiles:
        return Profiles(self.db, self.ids, self.users, self.directory, self.intents,
                        self.feed_rooms, self.sender, self.feed,
                        self.settings.bridge.soul_path_template,
                        on_updated=[self.profile_mirror.profile_edited,
                                    self.activities.profile_updated],
                        ai_extras=self.ai_activity.profile_extras)

    @component
    def apps(self) -> Apps:
        return Apps(self.db, self.ids, self.intents, self.feed_rooms, self.sender, self.posts,
                    self.settings.api.app_runner_url,
                    on_published=[self.activities.app_published])

    @component
    def notifications(self) -> Notifications:
        return Notifications(self.db, self.users)

    @component
    def explore(self) -> Explore:
        return Explore(self.reads, self.ids, self.trending, brandings(), self.block_list,
                       self.mutes, self.tags)

    @component
    def bookmarks(self) -> Bookmarks:
        return Bookmarks(self.db, self.feed)

    @component
    def link_previews(self) -> LinkPreviews:
        return LinkPreviews(self.db, self.intents)

    @component
    def tags(self) -> Tags:
        return Tags(self.db, self.feed)

    @component
    def trending(self) -> Trending:
        # an API replica runs no refresh: it only reads pages (from read_database if set)
        return Trending(self.reads, self.settings.api.trending_refresh_seconds, self.ids.handle_of,
                        brandings())

    @component
    def messaging(self) -> Messaging:
        return Messaging(self.ids, self.users, self.intents, self.owners, self.media,
                         self.e2be_route, self.e2be_notices, self.settings.api.app_runner_url,
                         SlidingRooms(self.http, self.settings.homeserver.address),
                         self.block_list)

    @component
    def ai_requests(self) -> AiRequests:
        return AiRequests(self.ids, self.users, self.ai_to_ai, self.ai_rate_limit,
                          self.block_list)

    @component
    def ipc(self) -> Ipc:
        return Ipc(self.ids, self.users, self.intents, self.settings.ai.ipc_send_as,
                   self.activities, self.encryption, self.e2be_route, self.block_list)

    # --- activity sharing -----------------------------------------------------------------

    @component
    def activity_settings(self) -> ActivitySettings:
        return ActivitySettings(self.db, self.intents, self.clock,
                                self.settings.activity.settings_cache_seconds, self.broadcast)

    @component
    def drafts(self) -> Drafts:
        return Drafts(self.db, self.ids, self.posts, self.activity_settings, self.clock,
                      self.settings.api.app_runner_url)

    @component
    def activities(self) -> Activities:
        return Activities(self.db, self.ids, self.activity_settings, self.drafts, self.clock,
                          self.settings.activity.review_window_seconds)

    @component
    def summaries(self) -> Summaries:
        return Summaries(self.db, self.activity_settings, self.drafts, self.clock,
                         self.settings.activity.review_window_seconds)

    @component
    def activity_scheduler(self) -> ActivityScheduler:
        return ActivityScheduler(self.db, self.drafts, self.summaries, self.clock,
                                 self.settings.activity.scheduler_interval_seconds)

    @component
    def ai_conversations(self) -> AiConversations:
        return AiConversations(self.db, self.ids, self.intents, self.background, self.clock,
                               self.index_changes)

    @component
    def ai_activity(self) -> AiActivity:
        return AiActivity(self.ids, self.activities, self.ai_conversations,
                          self.activity_settings, self.feed, self.posts)

    # --- external platforms ---------------------------------------------------------------

    @component
    def platforms_config(self) -> PlatformsConfig:
        return PlatformsConfig.from_mapping(self.config["platforms"] or {})

    @component
    def token_cipher(self) -> TokenCipher:
        """Keys from platforms.token_keys or MATRIX_SOCIAL_TOKEN_KEYS (checked at start when a
        platform is enabled); with none enabled, nothing is stored, so any key will do."""
        try:
            return TokenCipher.from_config(self.platforms_config.token_keys)
        except ValueError:
            if self.platforms_config.enabled():
                raise
            return TokenCipher.ephemeral()

    @component
    def platforms(self) -> Platforms:
        return Platforms(self.platforms_config, self.db, self.token_cipher)

    @component
    def login_flow(self) -> LoginFlow:
        return LoginFlow(self.db, self.platforms, self.token_cipher, self.grants)

    @component
    def grants(self) -> Grants:
        return Grants(self.db, self.platforms, self.token_cipher,
                      on_broken=self.broken_notices.tell)

    @component
    def broken_notices(self) -> BrokenNotices:
        return BrokenNotices(self.management, self.platforms)

    @component
    def poller(self) -> Poller:
        return Poller(self.db, self.platforms, self.grants)

    @component
    def deliveries(self) -> Deliveries:
        return Deliveries(self.db, self.platforms, self.grants,
                          retry_base_s=self.settings.platforms.delivery_retry_seconds)

    @component
    def delivery_worker(self) -> DeliveryWorker:
        return DeliveryWorker(self.db, self.platforms, self.deliveries, self.previews,
                              self.intents, self.media_links, self.cross_post_status,
                              self.management)

    @component
    def previews(self) -> Previews:
        return Previews(self.db, self.platforms)

    @component
    def cross_post_status(self) -> StatusBoard:
        return StatusBoard(self.db, self.intents, self.index_changes)

    @component
    def platform_puppets(self) -> PlatformPuppets:
        return PlatformPuppets(self.az, self.db)

    @component
    def portals(self) -> PortalRooms:
        return PortalRooms(self.az, self.db, self.intents, self.platform_puppets)

    @component
    def management(self) -> ManagementRooms:
        return ManagementRooms(self.az, self.db, self.ids, self.encryption, self.broadcast)

    @component
    def wakeup(self) -> Wakeup:
        wakeup = Wakeup(lambda: self.broadcast.tell_soon("wake"))
        self.broadcast.on("wake", wakeup.wake_here)
        return wakeup

    @component
    def connections(self) -> Connections:
        return Connections(self.db, self.platforms, self.login_flow, self.grants,
                           self.management, self.wakeup.wake, self.ids.bot,
                           refresh_puppet=self.item_bridge.refresh_puppet)

    @component
    def connection_commands(self) -> ConnectionCommands:
        return ConnectionCommands(self.ids, self.owners, self.management, self.connections,
                                  self.blocks, self.mutes)

    @component
    def media_links(self) -> MediaLinks:
        return MediaLinks(self.token_cipher.derive(SIGNING_PURPOSE),
                          self.platforms_config.public_url,
                          self.settings.platforms.media_url_ttl_seconds,
                          self.image_derivatives)

    @component
    def crossposting(self) -> CrossPosting:
        return CrossPosting(self.db, self.platforms, self.deliveries, self.previews,
                            self.cross_post_status, self.composer, self.owners,
                            self.management, self.background, self.wakeup.wake)

    @component
    def item_bridge(self) -> ItemBridge:
        return ItemBridge(self.db, self.ids, self.platforms, self.platform_puppets,
                          self.portals, self.intents, self.feed_rooms, self.sender,
                          self.platforms_config.allow_loopback,
                          self.settings.api.max_image_size * MB,
                          on_stored=self.feed.external_added)

    @component
    def platform_scheduler(self) -> PlatformScheduler:
        return PlatformScheduler(self.db, self.poller, self.item_bridge,
                                 self.delivery_worker, self.wakeup, self.management)

    # --- api ------------------------------------------------------------------------------

    @component
    def auth(self) -> Authenticator:
        return Authenticator(self.http, self.settings.homeserver.address, self.ids,
                             self.settings.api.token_cache_seconds)

    @component
    def page_limit(self) -> PageLimit:
        return PageLimit(self.settings.api.max_page_size)

    @component
    def idempotency(self) -> Any:
        return make_idempotency_middleware(self.db, self.auth, self.media.max_bytes,
                                           self.process_lease)

    @component
    def api_app(self) -> web.Application:
        """Each route group is made from the components its constructor names."""
        return make_api_app([assemble(group, self) for group in ROUTE_GROUPS], self.auth,
                            [self.idempotency])

    @component
    def process_lease(self) -> ProcessLease:
        return ProcessLease(self.db)

    # --- the event stream -----------------------------------------------------------------

    def connect(self, dispatcher: EventDispatcher) -> None:
        """Who hears each event, in this order: invites and encryption set-up first, then the
        index, then what reacts to the indexed event. Only the index fails an event for good
        (matrix/dispatch.py)."""
        dispatcher.subscribe(self.invites, self.encryption, self.ingest, self.hygiene,
                             self.bio_topic, self.profile_mirror, self.discovery,
                             self.responder, self.ai_to_ai, self.ai_conversations,
                             self.connection_commands, self.policy_lists, self.knock_answers,
                             essential=(self.ingest,))
