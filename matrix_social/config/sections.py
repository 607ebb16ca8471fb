"""Every config key, once: its section, default, check and description (table.py says how).

The example config (matrix_social/example-config.yaml, config.example.yaml) is written from
here by `matrix-social example-config`; tests/test_config.py fails when it drifts.
The sections are also the typed views the service reads (`Config.view()`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .table import (
    PerName,
    is_bool,
    is_database_url,
    is_empty_or_http_url,
    is_fernet_key,
    is_http_url,
    is_int_between,
    is_localpart,
    is_one_of,
    is_port,
    is_positive_int,
    is_positive_number,
    is_server_name,
    is_text,
    key,
    per_name,
    section,
)

HEADER = """matrix-social configuration.
Every key is explained here. Generate the registration with:
  matrix-social -g -c config.yaml -r registration.yaml
which also stores the generated tokens back into this file.
(Written from matrix_social/config/sections.py: matrix-social example-config)"""

_BOOL = "true or false"
_SECONDS = "a number of seconds"


# External platforms: the hook ------------------------------------------------------------------

@dataclass(frozen=True)
class PlatformSection:
    """What a platform declares about its config: its section `platforms.<name>` (null: not
    offered; else the mapping `check` accepts, `expect` saying what that is), the comment the
    example config gives it, and its puppets' localpart prefix (`bridge.platform_prefixes.
    <name>`). The external wing derives one per registered platform and plugs them in with
    use_platform_sections(): the checks, the update copy list, the example config and the
    registration's namespaces follow them. The config itself names no platform."""

    name: str
    check: Callable[[Any], bool]
    expect: str
    doc: str
    prefix: str


PLATFORM_SECTIONS: list[PlatformSection] = []


def use_platform_sections(declared: Iterable[PlatformSection]) -> None:
    """The platforms' sections, as the external wing declares them (external/registry.py)."""
    PLATFORM_SECTIONS[:] = list(declared)


def platform_names() -> tuple[str, ...]:
    return tuple(platform.name for platform in PLATFORM_SECTIONS)


def _platform(name: str) -> PlatformSection:
    return next(p for p in PLATFORM_SECTIONS if p.name == name)


_PUPPET_PREFIX = PerName(check=lambda _: is_localpart,
                         expect=lambda _: "a localpart prefix such as x_",
                         default=lambda name: _platform(name).prefix, doc=lambda _: "")
_PLATFORM_SETTINGS = PerName(check=lambda name: _platform(name).check,
                             expect=lambda name: _platform(name).expect,
                             default=lambda _: None, doc=lambda name: _platform(name).doc)


# mautrix's sections -----------------------------------------------------------------------------

@dataclass(frozen=True)
class HomeserverSection:
    address: str = key("https://matrix.example.com",
                       "Where the service reaches the homeserver's client-server API.",
                       check=is_http_url, expect="an http(s) URL such as http://127.0.0.1:8008",
                       mautrix=True)
    domain: str = key("example.com", "The server name: the part after the colon in user IDs.",
                      check=is_server_name, expect="a server name such as example.com",
                      mautrix=True)
    verify_ssl: bool = key(True, "Verify the homeserver's TLS certificate.", check=is_bool,
                           expect=_BOOL, mautrix=True)
    software: str = key("standard",
                        "standard for Conduit, Synapse and other spec-compliant servers.",
                        mautrix=True)
    http_retry_count: int = key(4, "How many times to retry a failed request to the homeserver.",
                                mautrix=True)
    connection_limit: int = key(100, "Maximum parallel connections to the homeserver.",
                                mautrix=True)
    status_endpoint: str | None = key(
        None, "Bridge status push endpoint (unused by most deployments).", mautrix=True)
    message_send_checkpoint_endpoint: str | None = key(None, mautrix=True)
    async_media: bool = key(False, mautrix=True)


@dataclass(frozen=True)
class AppserviceSection:
    address: str = key("http://127.0.0.1:29340",
                       "Where the homeserver reaches this service (goes into the registration "
                       "as \"url\").", check=is_http_url,
                       expect="an http(s) URL the homeserver can reach", mautrix=True)
    hostname: str = key("127.0.0.1",
                        "Where this service listens. The same server also serves "
                        "/api/social/...", check=is_text,
                        expect="a listen address such as 127.0.0.1", mautrix=True)
    port: int = key(29340, check=is_port, expect="a port number from 1 to 65535", mautrix=True)
    max_body_size: int = key(
        1, "Largest transaction body accepted, and largest JSON body of the API (uploads "
        "have\napi.max_image_size), in megabytes.", check=is_positive_int,
        expect="a size in megabytes (a positive integer)", mautrix=True)
    database: str = key(
        "sqlite:matrix-social.db",
        "The database: \"sqlite:matrix-social.db\" (an embedded file, the default) or\n"
        "\"postgres://user:password@host/database\" (PostgreSQL through asyncpg).",
        check=is_database_url, expect="sqlite:FILE or postgres://USER@HOST/DB", mautrix=True)
    database_opts: dict[str, Any] = key(
        {"min_size": 1, "max_size": 10},
        "Connection pool options (asyncpg: min_size/max_size; SQLite: max_size is ignored).",
        mautrix=True)
    read_database: str | None = key(
        None,
        "Optional: a read-only PostgreSQL replica (\"postgres://user@replica-host/database\")\n"
        "that API processes (--role api, docs/replicas.md) read feed pages, explore, search\n"
        "and trending from. Its lag shows there (a post just made may be missing from a page\n"
        "for that long); everything else, writes included, uses appservice.database.",
        check=lambda v: v is None or (is_database_url(v) and str(v).startswith("postgres")),
        expect="empty, or postgres://USER@HOST/DB")
    id: str = key("social",
                  "The registration's id and the bot's localpart (@social:example.com).",
                  check=is_text, expect="the registration id (text)", mautrix=True)
    bot_username: str = key("social", check=is_localpart,
                            expect="a Matrix localpart (a-z, 0-9, ._=-/)", mautrix=True)
    bot_displayname: str = key("Social", mautrix=True)
    bot_avatar: str = key("", mautrix=True)
    ephemeral_events: bool = key(
        True, "Ask the homeserver for ephemeral events in transactions (receive_ephemeral, "
        "MSC2409).\nNothing in this service reads typing, receipts or presence, but Synapse "
        "sends to-device\nevents (end-to-bridge encryption in appservice mode, below) only to "
        "appservices that ask\nfor these, so leave it on. Homeservers without MSC2409 "
        "(Conduit) ignore it; the\ncapability check at start logs what really arrives.",
        check=is_bool, expect=_BOOL, mautrix=True)
    as_token: str = key("This value is generated when generating the registration",
                        "Generated with -g; do not edit by hand.", check=is_text,
                        expect="a token (run with -g to generate one)", mautrix=True)
    hs_token: str = key("This value is generated when generating the registration",
                        check=is_text, expect="a token (run with -g to generate one)",
                        mautrix=True)


@dataclass(frozen=True)
class DeleteKeysSection:
    delete_outbound_on_ack: bool = key(False, mautrix=True)
    dont_store_outbound: bool = key(False, mautrix=True)
    ratchet_on_decrypt: bool = key(False, mautrix=True)
    delete_fully_used_on_decrypt: bool = key(False, mautrix=True)
    delete_prev_on_new_session: bool = key(False, mautrix=True)
    delete_on_device_delete: bool = key(False, mautrix=True)
    periodically_delete_expired: bool = key(False, mautrix=True)
    delete_outdated_inbound: bool = key(False, mautrix=True)


@dataclass(frozen=True)
class VerificationLevelsSection:
    receive: str = key("unverified", mautrix=True)
    send: str = key("unverified", mautrix=True)
    share: str = key("unverified", mautrix=True)


@dataclass(frozen=True)
class RotationSection:
    enable_custom: bool = key(False, mautrix=True)
    milliseconds: int = key(604800000, mautrix=True)
    messages: int = key(100, mautrix=True)
    disable_device_change_key_rotation: bool = key(False, mautrix=True)


@dataclass(frozen=True)
class EncryptionSection:
    allow: bool = key(True, "End-to-bridge encryption on. What the homeserver must offer for "
                      "it: README,\n\"Encryption on your homeserver\".", check=is_bool,
                      expect=_BOOL, mautrix=True)
    default: bool = key(False, mautrix=True)
    require: bool = key(False, mautrix=True)
    appservice: bool | str = key(
        "auto", "auto: the capability check picks transactions or /sync (recommended).\n"
        "true: transactions only (MSC2409/MSC3202; adds org.matrix.msc3202 to the "
        "registration).\nfalse: /sync only.", check=is_one_of(True, False, "auto"),
        expect="true (to-device events in transactions), false (the bot's device syncs) or "
        "auto", mautrix=True)
    msc4190: bool = key(
        False, "true: create the bot's device through MSC4190 (for homeservers without\n"
        "m.login.application_service, e.g. Synapse with Matrix Authentication Service; adds\n"
        "io.element.msc4190 to the registration).", mautrix=True)
    self_sign: bool = key(False, mautrix=True)
    allow_key_sharing: bool = key(False, mautrix=True)
    delete_keys: DeleteKeysSection = section(DeleteKeysSection)
    verification_levels: VerificationLevelsSection = section(VerificationLevelsSection)
    rotation: RotationSection = section(RotationSection)


@dataclass(frozen=True)
class RelaySection:
    enabled: bool = key(False, mautrix=True)
    message_formats: dict[str, Any] = key({}, mautrix=True)


@dataclass(frozen=True)
class ManholeSection:
    enabled: bool = key(False, mautrix=True)
    path: str = key("/var/tmp/matrix-social.manhole", mautrix=True)
    whitelist: list[int] = key([], mautrix=True)


# Ours -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class QuarantineSection:
    max_per_sender: int = key(
        100, "Most events kept per sender: the newest; an older one goes when a new one comes.",
        check=is_positive_int, expect="a positive number of events")
    max_events: int = key(10000, "Most events kept in all (the newest).",
                          check=is_positive_int, expect="a positive number of events")
    retention_days: int = key(30, "Days an event is kept after it was last seen.",
                              check=is_positive_int, expect="a positive number of days")
    max_event_bytes: int = key(
        16384, "Largest event JSON kept, in bytes; a larger event is kept as a truncated copy "
        "with\nits original size and SHA-256 (and cannot be retried).",
        check=is_int_between(1024), expect="a size in bytes, at least 1024")


@dataclass(frozen=True)
class BridgeSection:
    masquerade_local_users: bool = key(
        True, "Register a non-exclusive namespace over all local users (@.*:domain), so the "
        "service\ncan act as a user who authenticated to its REST API (masquerading with "
        "?user_id=).\nTrade-off: the homeserver then sends the service the events of every "
        "room that has a\nlocal user in it, which raises ingest load on a busy server. With "
        "false, the REST API\ncan only act as the bot and the AI puppets.",
        check=is_bool, expect=_BOOL)
    ai_suffix: str = key("_ai", "Localpart suffix of AI puppets: @alice_ai is Alice's AI.",
                         check=is_localpart, expect="a localpart suffix such as _ai")
    ai_displayname_template: str = key(
        "{name}'s AI",
        "Display name template of AI puppets; {name} is the owner's display name.")
    feed_alias_prefix: str = key(
        "feed_", "Localpart prefix of feed room aliases: #feed_alice:example.com.",
        check=is_localpart, expect="an alias prefix such as feed_")
    soul_path_template: str = key(
        "", "Where an AI's SOUL file lives (Markdown), read by POST "
        "/api/social/profile/ai/soul.\n{localpart} is the owner's localpart (alice for "
        "@alice_ai). Empty: SOUL files are off.")
    quarantine: QuarantineSection = section(
        QuarantineSection,
        "Events that cannot be indexed (malformed, or claiming what their sender cannot vouch\n"
        "for) are kept for an operator (`matrix-social quarantine list | retry`), within "
        "bounds,\nso one account or server sending bad events cannot fill the database or the "
        "log.\n/metrics shows matrix_social_quarantine_events and what was dropped.")
    platform_prefixes: dict[str, str] = per_name(
        platform_names, _PUPPET_PREFIX,
        "Localpart prefixes of external platforms' virtual puppets.")
    encryption: EncryptionSection = section(
        EncryptionSection,
        "End-to-bridge encryption (python-olm, installed by default), so AI puppets read and\n"
        "answer encrypted DMs (Element encrypts DMs by default). On by default. The bot joins "
        "encrypted rooms its AIs\nare in, and its own device (an m.login.application_service "
        "login) holds the keys. That\ndevice needs its to-device events (room keys), device "
        "lists and key counts, which reach\nit one of two ways:\n  transactions: the "
        "homeserver puts them in appservice transactions (MSC2409/MSC4203\n    to-device, "
        "MSC3202 device lists and key counts). Synapse does with\n    experimental_features: "
        "{msc2409_to_device_messages_enabled: true,\n    msc3202_transaction_extensions: true} "
        "(and receive_ephemeral in the registration).\n  /sync: the bot's device runs its own "
        "/sync loop for them; room events still come in\n    transactions. For Conduit and its "
        "forks, which send no to-device events to\n    appservices. Synapse refuses /sync to an "
        "appservice's own bot, so there only the\n    transactions route works.\nThe capability "
        "check at start probes which route works (the bot sends its own device a\nto-device "
        "message and watches for it in a transaction) and logs one line per\ncapability; GET "
        "/api/social/health shows them. When neither route works, AIs cannot\nread encrypted "
        "rooms: new DMs with an AI are created unencrypted with a notice saying\nwhy, and an "
        "encrypted room with an AI gets one notice instead of silence.")
    relay: RelaySection = section(RelaySection)
    stop_timeout_seconds: int = key(
        30, "Seconds a stop (SIGTERM, Ctrl-C) may take before the process exits anyway, "
        "logging what\nwas still running: a stop that waits on a homeserver that is gone "
        "must not keep the\nprocess, its port and its files.",
        check=is_int_between(1, 600), expect="1 to 600 seconds")


@dataclass(frozen=True)
class MediaSection:
    max_pixels: int = key(40000000, "Most pixels (width x height) an uploaded image may have.",
                          check=is_positive_int, expect="a number of pixels, such as 40000000")
    max_side: int = key(8192, "Longest side of an uploaded image, in pixels.",
                        check=is_positive_int, expect="a number of pixels, such as 8192")
    max_decode_mb: int = key(
        48, "Memory, in megabytes, one conversion (the JPEG made once per image for Instagram)"
        "\nmay take for images decoded whole: GIF, WebP (about 16 bytes per pixel), interlaced"
        "\nor 16-bit PNG. JPEG and 8-bit PNG are decoded at a reduced scale or in bands and\n"
        "take a few megabytes whatever their size. A larger image of those kinds is still\n"
        "uploaded; only its cross-post to Instagram is refused, with the reason.",
        check=is_positive_int, expect="a size in megabytes (a positive integer)")
    decode_concurrency: int = key(
        1, "Conversions running at once in the process (in worker threads, never on the "
        "event\nloop); each takes up to max_decode_mb.", check=is_positive_int,
        expect="a positive integer")


@dataclass(frozen=True)
class ApiSection:
    token_cache_seconds: int = key(
        5, "How long a checked access token is trusted before asking the homeserver again "
        "(seconds,\n0 to 5): a token revoked at the homeserver (logout) stops working here "
        "within this.", check=is_int_between(0, 5),
        expect="0 to 5 seconds (a token revoked at the homeserver must stop working within 5 s)")
    trending_refresh_seconds: int = key(
        60, "Trending posts are ranked in the background every this many seconds (the ranking"
        "\ncounts every like of the last 24 hours, which takes seconds at a million likes);\n"
        "requests read the last stored ranking, so it is at most this old plus one "
        "computation.", check=is_positive_int, expect=_SECONDS)
    header_timeout_seconds: int = key(
        15, "A connection must send a request's headers within this many seconds of opening "
        "(or of\nits previous answer), or it is closed; request bodies must arrive within 30 "
        "seconds.", check=is_positive_int, expect=_SECONDS)
    max_page_size: int = key(100, "Largest page a list endpoint returns.",
                             check=is_positive_int, expect="a positive integer")
    max_image_size: int = key(10, "Largest image upload accepted, in megabytes.",
                              check=is_positive_int,
                              expect="a size in megabytes (a positive integer)")
    media: MediaSection = section(
        MediaSection,
        "Images by their pixels, not only their bytes (a 160 KB PNG can hold 13000x13000 "
        "pixels,\n676 MB once decoded). The size is read from the image's header at upload, "
        "before any\npixel is decoded; bigger images are refused with 413 M_TOO_LARGE.")
    app_runner_url: str = key(
        "https://os.example.com/run?app={url}",
        "Link that opens a shared app; {url} is the app's URL, {slug} its slug.",
        check=lambda v: is_text(v) and "{url}" in v, expect="a URL template containing {url}")
    web_homeserver_url: str = key(
        "", "The homeserver's client URL as browsers reach it, for the web app at /social/\n"
        "(empty: homeserver.address).", check=is_empty_or_http_url,
        expect="empty, or the http(s) URL browsers reach the homeserver at")


@dataclass(frozen=True)
class PlatformsSection:
    public_url: str = key(
        "", "The service's public base URL, as browsers and platforms reach it (https in "
        "production).\nOAuth callbacks go to {public_url}/api/social/connections/{platform}/"
        "callback (register\nthat URL with each platform's app), and Instagram fetches "
        "cross-posted images from\n{public_url}/api/social/platform-media/... (signed, "
        "expiring links).", check=is_empty_or_http_url,
        expect="empty, or the service's public http(s) base URL")
    token_keys: list[str] = key(
        [], "Keys that encrypt tokens at rest: Fernet keys, newest first. Or leave this empty "
        "and set\nMATRIX_SOCIAL_TOKEN_KEYS (comma separated). A new key:\n  python -c \"from "
        "cryptography.fernet import Fernet; print(Fernet.generate_key().decode())\"\n"
        "Rotation: put the new key first and keep the old ones until every stored token was\n"
        "re-encrypted (docs/platforms.md); a token whose key is removed must be connected "
        "again.", check=lambda v: v is None or (isinstance(v, list)
                                                and all(is_fernet_key(k) for k in v)),
        expect="a list of Fernet keys (32 bytes, url-safe base64)")
    allow_loopback_instances: bool = key(
        False, "Development and tests only: allow Mastodon instances, avatars and images on "
        "loopback\naddresses (http://127.0.0.1:...). Private and link-local addresses stay "
        "refused.", check=is_bool, expect=_BOOL)
    media_url_ttl_seconds: int = key(
        3600, "How long a signed image link for Instagram stays valid, in seconds.",
        check=is_positive_int, expect=_SECONDS)
    delivery_retry_seconds: float = key(
        10, "A cross-post the platform answered with 429 or 5xx is tried again (3 attempts in "
        "all):\nfirst after about this many seconds (jittered), then twice as long; after a "
        "429 with a\nreset time, at that time.", check=is_positive_number,
        expect="a positive number of seconds")
    mastodon_visibility: str = key(
        "public", "Visibility of cross-posts on Mastodon: public, unlisted, private or direct.",
        check=is_one_of("public", "unlisted", "private", "direct"),
        expect="public, unlisted, private or direct")
    sections: dict[str, Any] = per_name(platform_names, _PLATFORM_SETTINGS, inline=True)


@dataclass(frozen=True)
class OpenAiSection:
    base_url: str = key("http://127.0.0.1:11434/v1", check=is_http_url,
                        expect="an http(s) URL of an OpenAI-compatible API")
    model: str = key("llama3")
    api_key: str = key("")


@dataclass(frozen=True)
class AiSection:
    backend: str = key(
        "builtin", "builtin: answers from the AI profile (skills, capabilities); needs no "
        "outside service.\nhttp: POST a JSON request to the owner's agent at "
        "http_url_template.\nopenai: an OpenAI-compatible chat-completions endpoint.",
        check=is_one_of("builtin", "http", "openai"), expect="builtin, http or openai")
    http_url_template: str = key(
        "http://127.0.0.1:8090/agents/{localpart}/matrix",
        "{localpart} is the owner's localpart (alice for @alice_ai).", check=is_http_url,
        expect="an http(s) URL template with {localpart}")
    openai: OpenAiSection = section(OpenAiSection)
    timeout_seconds: int = key(30, "Seconds to wait for a backend before answering with an "
                               "apology.", check=is_positive_int, expect=_SECONDS)
    rate_limit_per_hour: int = key(
        10, "Messages one sender (other than the owner) may send to one AI per sliding hour.",
        check=is_positive_int, expect="a positive integer")
    history_messages: int = key(20, "Recent messages of the room handed to the backend as "
                                "context.", check=is_positive_int, expect="a positive integer")
    ipc_send_as: str = key(
        "ai", "Who send_matrix_message sends as by default: ai (the caller's AI, encrypted "
        "wherever\nend-to-bridge encryption works) or human (refused: the service holds no "
        "keys of the\ncaller's, and messages between people are end-to-end encrypted).",
        check=is_one_of("ai", "human"), expect="ai or human")


@dataclass(frozen=True)
class ActivitySection:
    review_window_seconds: int = key(
        600, "With auto_post_frequency \"immediate\", a draft is published this many seconds "
        "after it\nwas made, unless its owner edited or discarded it first.",
        check=is_positive_int, expect=_SECONDS)
    scheduler_interval_seconds: int = key(
        60, "How often the scheduler publishes due drafts and drafts the summaries of ended "
        "periods.", check=is_positive_int, expect=_SECONDS)
    settings_cache_seconds: int = key(
        10, "How long a user's settings (their account data) are reused for activities before "
        "they\nare read from the homeserver again. GET /settings always reads them afresh.",
        check=is_int_between(0), expect="a number of seconds (0: read them for every activity)")


def _is_room_list(value: Any) -> bool:
    """Room ids (`!opaque`, with `:server` before room version 12) or aliases (`#a:server`)."""
    return isinstance(value, list) and all(
        isinstance(v, str) and len(v) <= 255 and v.isprintable() and " " not in v
        and ((v.startswith("!") and len(v) > 1) or (v.startswith("#") and ":" in v))
        for v in value)


@dataclass(frozen=True)
class ModerationSection:
    policy_rooms: list[str] = key(
        [], "Moderation policy rooms to follow (room ids or aliases), as Draupnir and Mjolnir "
        "publish\nthem: the bot joins each at start and reads its m.policy.rule.user and "
        "m.policy.rule.server\nrules; users and servers they ban (m.ban) are left out of "
        "explore, search and feeds, and\nwhat they do through this service is refused "
        "(docs/events.md, \"Policy lists\"). A change\ntakes effect at the next start; "
        "`matrix-social moderation policies` shows the effect.",
        check=_is_room_list, expect="a list of room ids (!id) or aliases (#name:server)")


@dataclass(frozen=True)
class MetricsSection:
    enabled: bool = key(False, check=is_bool, expect=_BOOL)
    hostname: str = key("127.0.0.1", check=is_text, expect="a listen address such as 127.0.0.1")
    listen_port: int = key(29341, check=is_port, expect="a port number from 1 to 65535")


_LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"normal": {"format": "[%(asctime)s] [%(levelname)s@%(name)s] %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "normal"}},
    "loggers": {"mau": {"level": "INFO"}, "aiohttp": {"level": "WARNING"},
                "matrix_social": {"level": "INFO"}},
    "root": {"level": "INFO", "handlers": ["console"]},
}


@dataclass(frozen=True)
class Settings:
    """The whole config, typed: Config.view()."""

    homeserver: HomeserverSection = section(
        HomeserverSection, "The homeserver this service is an application service of.")
    appservice: AppserviceSection = section(
        AppserviceSection, "The service itself, as the homeserver sees it.")
    bridge: BridgeSection = section(BridgeSection, "Social network behaviour.")
    api: ApiSection = section(
        ApiSection, "The REST API (/api/social/...), served on the appservice port.")
    platforms: PlatformsSection = section(
        PlatformsSection,
        "External platforms: connect X, Mastodon, GitHub and Instagram accounts, bring their "
        "posts in,\ncross-post. A platform set to null is not offered. docs/platforms.md says "
        "what each platform\nneeds (an app registration, app review, a paid tier, public URLs).")
    ai: AiSection = section(AiSection, "AI puppets (@alice_ai): who answers messages sent to "
                            "them.")
    activity: ActivitySection = section(
        ActivitySection, "Activity sharing and auto-posts (docs/activity.md). Each user "
        "chooses what is shared in\ntheir own settings; these are the service's timings.")
    moderation: ModerationSection = section(
        ModerationSection, "Moderation: the policy lists this service follows.")
    metrics: MetricsSection = section(
        MetricsSection, "Prometheus metrics (ingest, API latency per route, database pool, "
        "trending) served at\nhttp://HOSTNAME:LISTEN_PORT/metrics by a listener of its own, "
        "never on the appservice or\nAPI port. Off by default; keep it on a private address.")
    manhole: ManholeSection = section(ManholeSection)
    logging: dict[str, Any] = key(_LOGGING, "Python logging configuration (dictConfig).",
                                  mautrix=True)
