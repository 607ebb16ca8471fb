"""A platform is one declaration: everything the rest of the service knows about platforms (the
config checks, the registry, puppet ids, cross-post targets, formatting, the look of its items,
the web app's list, the bot's help) comes from the registered declarations, so a platform
declared here alone, in a test, gets all of it without a line elsewhere."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.fernet import Fernet

from matrix_social.api.app import api_document
from matrix_social.db import platform_connections as connections
from matrix_social.errors import ConfigError, NotFound
from matrix_social.external.commands import help_text
from matrix_social.external.connections_file import export_connections, import_connections
from matrix_social.external.formatting import fit, normalized
from matrix_social.external.grants import Grants
from matrix_social.external.login import LoginFlow
from matrix_social.external.platform import (
    Account,
    Budget,
    Draft,
    FetchResult,
    Platform,
    PlatformAdapter,
    PollHints,
    Preview,
    TextLimits,
    TokenSet,
    numeric_id,
    one_adapter,
)
from matrix_social.external.platforms import REGISTERED
from matrix_social.external.previews import preview
from matrix_social.external.registry import (
    Platforms,
    PlatformsConfig,
    brandings,
    check_config,
    cross_post_targets,
    fill_prefixes,
    puppet_prefixes,
    web_list,
)
from matrix_social.external.tokens import TokenCipher
from matrix_social.ids import Identities
from matrix_social.social.views import external_view


@dataclass(frozen=True)
class PigeonSettings:
    client_id: str
    redirect_uri: str
    api_base: str = "https://api.pigeon.example"


class PigeonAdapter(PlatformAdapter):
    uses_pkce = True

    def __init__(self, settings: PigeonSettings) -> None:
        self.settings = settings

    def login_secret(self, code_verifier: str) -> str | None:
        return f"key-of-this-login:{code_verifier}"  # as a DPoP key would be kept

    async def authorize_url(self, state: str, code_verifier: str | None) -> str:
        return f"{self.settings.api_base}/authorize?state={state}&secret={code_verifier}"

    async def exchange_code(self, code: str, code_verifier: str | None) -> TokenSet:
        return TokenSet(f"token-for-{code}", extra={"login_secret": code_verifier or ""})

    async def refresh(self, token: TokenSet) -> TokenSet:
        return token

    async def whoami(self, token: TokenSet) -> Account:
        return Account("pigeon", "7", "coo", "Coo", None, "https://pigeon.example/coo")

    async def fetch(self, token: TokenSet, account: Account, cursor: dict[str, Any] | None,
                    etag: str | None = None) -> FetchResult:
        return FetchResult([], [], [], cursor or {}, None, PollHints())


def format_pigeon(draft: Draft, limits: TextLimits) -> Preview:
    text, cut = fit(normalized(draft), limits.characters, len, draft.post_url)
    return Preview("pigeon", text, len(text), limits.characters, cut)


PIGEON = Platform(
    name="pigeon", label="Pigeon", mark="P", color="#888888",
    reads="Your coos come into your feed.", settings=PigeonSettings,
    adapters=one_adapter(PigeonAdapter), budget=Budget(600, 300, 3600),
    puppet_part=numeric_id, hosts=("pigeon.example",), format=format_pigeon,
    text_limits=TextLimits(40), login_note="a homing account")
DECLARED = (*REGISTERED, PIGEON)


def _config(platforms: dict[str, Any], prefixes: dict[str, Any] | None = None) -> dict:
    return {"platforms": platforms, "bridge": {"platform_prefixes": dict(prefixes or {})}}


class Conf(dict):
    """The service's config as the registry reads it: dotted keys."""

    def __getitem__(self, key: str) -> Any:
        node: Any = dict(self)
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        return node

    def __setitem__(self, key: str, value: Any) -> None:
        *parents, leaf = key.split(".")
        node = self
        for part in parents:
            node = dict.__getitem__(node, part) if node is self else node[part]
        node[leaf] = value


def test_a_new_platform_is_one_declaration():
    key = Fernet.generate_key().decode()
    section = {"public_url": "https://social.example", "token_keys": [key],
               "pigeon": {"client_id": "coo-client"}}
    conf = Conf(_config(section))
    check_config(conf, DECLARED)  # its section is checked from its settings

    # Its settings, typed, with the callback derived from the public URL.
    config = PlatformsConfig.from_mapping(section, DECLARED)
    assert config.enabled() == ["pigeon"]
    assert config.settings["pigeon"] == PigeonSettings(
        "coo-client", "https://social.example/api/social/connections/pigeon/callback")

    # Keys its settings do not declare, a missing required one, a bad URL: refused, named.
    for bad, named in (({"client_id": "c", "api_bass": "https://x"}, "api_base"),
                       ({"api_base": "https://api.pigeon.example"}, "client_id required"),
                       ({"client_id": "c", "api_base": "file:///etc/passwd"}, "http(s)")):
        with pytest.raises(ConfigError) as refused:
            check_config(Conf(_config({**section, "pigeon": bad})), DECLARED)
        assert "platforms.pigeon" in str(refused.value) and named in str(refused.value)
    with pytest.raises(ConfigError, match="platforms.public_url"):
        check_config(Conf(_config({"token_keys": [key], "pigeon": {"client_id": "c"}})),
                     DECLARED)

    # Its puppets: the prefix it declares unless configured, in the config for the namespaces.
    assert puppet_prefixes({}, DECLARED)["pigeon"] == "pigeon_"
    assert puppet_prefixes({"pigeon": "bird_"}, DECLARED)["pigeon"] == "bird_"
    fill_prefixes(conf, DECLARED)
    assert conf["bridge.platform_prefixes"]["pigeon"] == "pigeon_"
    ids = Identities("hs.example", "social", "_ai", puppet_prefixes({}, DECLARED))
    puppet = ids.platform_puppet("pigeon", PIGEON.puppet_part(
        Account("pigeon", "42", "coo", "Coo", None, "https://pigeon.example/coo")))
    assert puppet == "@pigeon_42:hs.example" and ids.platform_of(puppet) == "pigeon"
    assert ids.platform_puppet("pigeon", PIGEON.puppet_part(
        Account("pigeon", "../42", "coo", "Coo", None, ""))) is None

    # Cross-posting: a target, formatted as it formats.
    assert "pigeon" in cross_post_targets(DECLARED)
    cut = preview(Draft("coo " * 30, "https://matrix.to/#/!r/$e"), ["pigeon"],
                  declared=DECLARED)["pigeon"]
    assert cut.truncated and cut.length <= 40 and cut.limit == 40

    # Its items in API answers: branded as it says, an unvouched link only on its own host.
    looks = brandings(DECLARED)
    shown = external_view({"platform": "pigeon", "url": "https://pigeon.example/coo/1",
                           "id": "1", "kind": "post"}, verified=False, remote=True,
                          brandings=looks)
    assert shown["branding"] == {"name": "Pigeon", "color": "#888888",
                                 "label": "View on Pigeon"}
    assert external_view({"platform": "pigeon", "url": "https://evil.example/coo/1"},
                         verified=False, remote=True, brandings=looks) is None

    # The web app's list and the bot's help.
    listed = {p["name"]: p for p in web_list(["pigeon"], DECLARED)}
    assert listed["pigeon"]["enabled"] and listed["pigeon"]["publishes"]
    assert listed["pigeon"]["reads"] == "Your coos come into your feed."
    assert not listed["x"]["enabled"]
    assert "• login pigeon — connect Pigeon (a homing account)" in help_text(DECLARED)


async def test_the_registry_makes_a_declared_platform_s_adapters(db):
    config = PlatformsConfig.from_mapping({"public_url": "https://social.example",
                                           "pigeon": {"client_id": "c"}}, DECLARED)
    platforms = Platforms(config, db, TokenCipher([Fernet.generate_key().decode()]), DECLARED)
    adapter = await platforms.adapter_for("pigeon", None)
    assert isinstance(adapter, PigeonAdapter) and adapter.settings.client_id == "c"
    assert await platforms.adapter_for_login("pigeon", None) is adapter
    assert (await platforms.text_limits("pigeon", None)).characters == 40
    assert platforms.targets() == cross_post_targets(DECLARED)
    with pytest.raises(NotFound, match="pigeon"):
        platforms.get("myspace")


async def test_what_a_platform_keeps_across_the_redirect_and_with_its_grant(db, tmp_path):
    """A login keeps the adapter's own secret (a PKCE verifier, or more: a DPoP key) across
    the redirect, encrypted, and gives it back to the code exchange; what the adapter keeps
    with the grant is stored with it, encrypted, and comes back on every use."""
    cipher = TokenCipher([Fernet.generate_key().decode()])
    config = PlatformsConfig.from_mapping({"public_url": "https://social.example",
                                           "pigeon": {"client_id": "c"}}, DECLARED)
    platforms = Platforms(config, db, cipher, DECLARED)
    grants = Grants(db, platforms, cipher)
    login = LoginFlow(db, platforms, cipher, grants)
    url, binding = await login.begin_in_browser("@alice:hs", "pigeon")
    query = dict(part.split("=", 1) for part in url.split("?", 1)[1].split("&"))
    assert query["secret"].startswith("key-of-this-login:")
    stored = await db.fetchval("SELECT code_verifier FROM oauth_state")
    assert "key-of-this-login" not in stored  # encrypted at rest
    done = await login.finish(query["state"], "abc", platform="pigeon", browser=binding.value)
    row = await connections.get(db, "@alice:hs", "pigeon")
    assert done.row.account_id == "7" and "login_secret" not in row.token
    token = await grants.token("@alice:hs", "pigeon")
    assert token.access_token == "token-for-abc"
    assert token.extra == {"login_secret": query["secret"]}

    # ... and it goes along when her connections move (social-connections.json).
    path = tmp_path / "social-connections.json"
    assert await export_connections(db, cipher, "@alice:hs", path) == 1
    await connections.delete(db, "@alice:hs", "pigeon")
    assert await import_connections(db, cipher, "@alice:hs", path, DECLARED) == 1
    assert (await grants.token("@alice:hs", "pigeon")).extra == token.extra
    # A home timeline is imported only for a platform that has one.
    document = json.loads(path.read_text())
    document["connections"]["pigeon"]["home_timeline"] = True
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match="home_timeline"):
        await import_connections(db, cipher, "@alice:hs", path, DECLARED)


def test_the_openapi_enums_are_the_registered_platforms():
    DOCUMENT = api_document()
    operation = DOCUMENT["paths"]["/connections/{platform}"]["delete"]
    platform = next(p for p in operation["parameters"] if p["name"] == "platform")
    assert platform["schema"]["enum"] == [p.name for p in REGISTERED]
    targets = DOCUMENT["components"]["schemas"]["CrossPostSettings"]["properties"][
        "cross_post_default"]
    assert targets["items"]["enum"] == cross_post_targets()
    assert {"x", "mastodon", "instagram"} <= set(cross_post_targets()) and \
        "github" not in cross_post_targets()  # GitHub reads only
