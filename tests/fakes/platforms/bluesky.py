"""A fake Bluesky PDS + AppView on loopback, speaking the XRPC shapes the `atproto` SDK sends
and reads: com.atproto.server.createSession / refreshSession / deleteSession (JWT-shaped
tokens with `exp`, single-use refresh tokens, a DID document naming this server as the PDS),
com.atproto.repo.createRecord / getRecord / deleteRecord / uploadBlob,
com.atproto.identity.resolveHandle, app.bsky.actor.getProfile, app.bsky.feed.getAuthorFeed
(cursor pagination, newest first, filter posts_no_replies), getTimeline (the accounts she
follows) and getPosts.

createRecord validates a post as the PDS's lexicon does, with its messages: the text at most
3,000 UTF-8 bytes, then 300 graphemes; `reply` two strong refs (`root`, `parent`: an at:// URI
and a CID); facets with integer byte slices. A record key the client chose is kept (its syntax
checked); one already used answers 500, as the PDS does today (it has no error of its own for
it). A reply keeps its refs, so a test reads a thread's shape back (`thread`).

Errors are `{"error", "message"}` with the PDS's status codes: 401 AuthenticationRequired /
ExpiredToken for a bad or expired access token, 400 ExpiredToken / InvalidToken for a bad
refresh token, 400 InvalidRequest, 400 RecordNotFound (getRecord), 429 RateLimitExceeded.
Every rate-limited answer carries `ratelimit-limit`, `ratelimit-remaining`, `ratelimit-reset`
(epoch seconds), `ratelimit-policy`.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import regex
from aiohttp import web

from .base import FakePlatform, iso

ACCESS_TTL_S = 7200
TIMESTAMP_CHARS = "234567abcdefghijklmnopqrstuvwxyz"
RECORD_KEY = re.compile(r"[A-Za-z0-9._:~-]{1,512}")
AT_URI = re.compile(r"at://did:[a-z]+:[a-zA-Z0-9._:%-]+/[a-zA-Z0-9.-]+/[A-Za-z0-9._:~-]+")
CID = re.compile(r"[a-zA-Z0-9+=]{8,256}")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(sub: str, scope: str, exp: float) -> str:
    header = _b64(json.dumps({"typ": "at+jwt", "alg": "HS256"}).encode())
    payload = _b64(json.dumps({"scope": scope, "sub": sub, "iat": int(time.time()),
                               "exp": int(exp), "jti": secrets.token_hex(8)}).encode())
    return f"{header}.{payload}.{_b64(secrets.token_bytes(32))}"


def did_for(handle: str) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    digest = hashlib.sha256(handle.encode()).digest()
    return "did:plc:" + "".join(alphabet[b % 32] for b in digest[:24])


@dataclass
class BAccount:
    did: str
    handle: str
    display_name: str
    app_password: str
    follows: list[str] = field(default_factory=list)


@dataclass
class Record:
    uri: str
    cid: str
    author: str  # did
    value: dict[str, Any]
    indexed_at: float
    labels: list[str] = field(default_factory=list)
    repost_of: str | None = None  # the post's uri, for an app.bsky.feed.repost record


class FakeBluesky(FakePlatform):
    name = "bluesky"

    def __init__(self) -> None:
        super().__init__(window_s=300, limits={"createSession": 30}, default_limit=3000)
        self.accounts: dict[str, BAccount] = {}  # by did
        self.records: dict[str, Record] = {}  # by uri
        self.blobs: dict[str, tuple[bytes, str]] = {}
        self.access: dict[str, tuple[str, float]] = {}  # token -> (did, exp)
        self.refresh: dict[str, str] = {}  # live refresh token -> did
        self.access_ttl_s = ACCESS_TTL_S
        self.pds_endpoint: str | None = None  # None: this server; a test may name another
        self._clock = itertools.count(int(time.time() * 1_000_000))

    # --- test controls -----------------------------------------------------------------------

    def add_account(self, handle: str, display_name: str | None = None,
                    app_password: str = "abcd-efgh-ijkl-mnop") -> str:
        did = did_for(handle)
        self.accounts[did] = BAccount(did, handle, display_name or handle, app_password)
        return did

    def follow(self, did: str, other: str) -> None:
        self.accounts[did].follows.append(other)

    def _rkey(self) -> str:
        n, out = next(self._clock), ""
        for _ in range(13):
            out = TIMESTAMP_CHARS[n % 32] + out
            n //= 32
        return out

    def post(self, did: str, text: str, *, images: list[tuple[str, str]] | None = None,
             quote: str | None = None, card: tuple[str, str] | None = None,
             reply_to: str | None = None, labels: list[str] | None = None,
             facets: list[dict[str, Any]] | None = None) -> str:
        """A post of hers; images as (name, alt), a quoted post's uri, a link card (url,
        title)."""
        value: dict[str, Any] = {"$type": "app.bsky.feed.post", "text": text,
                                 "createdAt": iso(time.time()), "langs": ["en"]}
        if facets:
            value["facets"] = facets
        embeds: list[dict[str, Any]] = []
        if images:
            embeds.append({"$type": "app.bsky.embed.images", "images": [
                {"alt": alt, "image": self._blob_ref(name.encode(), "image/png")}
                for name, alt in images]})
        if quote:
            embeds.append({"$type": "app.bsky.embed.record",
                           "record": {"uri": quote, "cid": self.records[quote].cid}})
        if card:
            embeds.append({"$type": "app.bsky.embed.external",
                           "external": {"uri": card[0], "title": card[1], "description": ""}})
        if len(embeds) == 2 and images and quote:
            value["embed"] = {"$type": "app.bsky.embed.recordWithMedia", "record": embeds[1],
                              "media": embeds[0]}
        elif embeds:
            value["embed"] = embeds[0]
        if reply_to:
            parent = self.records[reply_to]
            ref = {"uri": parent.uri, "cid": parent.cid}
            value["reply"] = {"root": (parent.value.get("reply") or {}).get("root", ref),
                              "parent": ref}
        return self._put(did, "app.bsky.feed.post", value, labels=labels or []).uri

    def repost(self, did: str, uri: str) -> str:
        value = {"$type": "app.bsky.feed.repost", "createdAt": iso(time.time()),
                 "subject": {"uri": uri, "cid": self.records[uri].cid}}
        return self._put(did, "app.bsky.feed.repost", value, repost_of=uri).uri

    def delete(self, uri: str) -> None:
        del self.records[uri]

    def expire_access(self) -> None:
        """Every access token expires now (the refresh tokens still work)."""
        self.access = {t: (d, 0) for t, (d, _) in self.access.items()}

    def revoke_app_password(self, did: str) -> None:
        """She revoked the app password: its sessions die, refresh tokens too."""
        self.access = {t: v for t, v in self.access.items() if v[0] != did}
        self.refresh = {t: d for t, d in self.refresh.items() if d != did}

    def thread(self, root: str) -> list[Record]:
        """The root and its replies that name it as their root, oldest first."""
        replies = [r for r in self.records.values()
                   if ((r.value.get("reply") or {}).get("root") or {}).get("uri") == root]
        return [self.records[root], *sorted(replies, key=lambda r: r.indexed_at)]

    def posts_of(self, did: str) -> list[Record]:
        return sorted((r for r in self.records.values() if r.author == did
                       and "/app.bsky.feed.post/" in r.uri), key=lambda r: r.indexed_at)

    # --- shapes ------------------------------------------------------------------------------

    def _put(self, did: str, collection: str, value: dict[str, Any], labels: list[str] = (),
             repost_of: str | None = None, rkey: str | None = None) -> Record:
        rkey = rkey or self._rkey()
        uri = f"at://{did}/{collection}/{rkey}"
        cid = "bafyrei" + hashlib.sha256(uri.encode()).hexdigest()[:52]
        record = Record(uri, cid, did, value, time.time(), list(labels), repost_of)
        self.records[uri] = record
        return record

    def _blob_ref(self, data: bytes, mime: str) -> dict[str, Any]:
        cid = "bafkrei" + hashlib.sha256(data).hexdigest()[:52]
        self.blobs[cid] = (data, mime)
        return {"$type": "blob", "ref": {"$link": cid}, "mimeType": mime, "size": len(data)}

    def rate_group(self, request: web.Request) -> str | None:
        method = request.path.removeprefix("/xrpc/")
        return "createSession" if method == "com.atproto.server.createSession" else "xrpc"

    def rate_key(self, request: web.Request) -> str:
        return request.remote or "anonymous"  # the PDS counts per IP

    def rate_headers(self, limit: int, remaining: int, reset: float) -> dict[str, str]:
        return {"ratelimit-limit": str(limit), "ratelimit-remaining": str(remaining),
                "ratelimit-reset": str(int(reset)), "ratelimit-policy": f"{limit};w=300"}

    def error(self, status: int, reset: float | None = None) -> web.Response:
        names = {400: "InvalidRequest", 401: "AuthenticationRequired", 404: "NotFound",
                 429: "RateLimitExceeded", 500: "InternalServerError",
                 502: "UpstreamFailure", 503: "NotEnoughResources"}
        return _err(status, names.get(status, "InternalServerError"),
                    "Rate Limit Exceeded" if status == 429 else f"fake {status}")

    def _viewer(self, request: web.Request) -> str:
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ")
        if not auth.startswith("Bearer ") or token not in self.access:
            raise _http(401, "AuthenticationRequired", "Invalid identifier or password"
                        if not auth else "Token could not be verified")
        did, exp = self.access[token]
        if exp <= time.time():
            raise _http(400, "ExpiredToken", "Token has expired")
        return did

    def _session_json(self, account: BAccount) -> dict[str, Any]:
        access = jwt(account.did, "com.atproto.appPass", time.time() + self.access_ttl_s)
        refresh = jwt(account.did, "com.atproto.refresh", time.time() + 90 * 86400)
        self.access[access] = (account.did, time.time() + self.access_ttl_s)
        self.refresh[refresh] = account.did
        endpoint = self.pds_endpoint or self.base_url
        return {"accessJwt": access, "refreshJwt": refresh, "handle": account.handle,
                "did": account.did, "active": True, "didDoc": {
                    "@context": ["https://www.w3.org/ns/did/v1"], "id": account.did,
                    "alsoKnownAs": [f"at://{account.handle}"],
                    "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
                                 "serviceEndpoint": endpoint}]}}

    def _author(self, did: str) -> dict[str, Any]:
        account = self.accounts[did]
        return {"did": did, "handle": account.handle, "displayName": account.display_name,
                "avatar": f"{self.base_url}/avatars/{did[-6:]}.png", "labels": [],
                "createdAt": "2024-01-01T00:00:00.000Z"}

    def _embed_view(self, did: str, embed: dict[str, Any] | None) -> dict[str, Any] | None:
        if not embed:
            return None
        kind = embed.get("$type")
        if kind == "app.bsky.embed.images":
            return {"$type": "app.bsky.embed.images#view", "images": [
                {"thumb": f"{self.base_url}/avatars/t{i['image']['ref']['$link'][-8:]}.png",
                 "fullsize": f"{self.base_url}/avatars/f{i['image']['ref']['$link'][-8:]}.png",
                 "alt": i.get("alt") or ""} for i in embed["images"]]}
        if kind == "app.bsky.embed.external":
            external = embed["external"]
            return {"$type": "app.bsky.embed.external#view", "external": {
                "uri": external["uri"], "title": external.get("title") or "",
                "description": external.get("description") or ""}}
        if kind == "app.bsky.embed.record":
            quoted = self.records.get(embed["record"]["uri"])
            if quoted is None:
                return {"$type": "app.bsky.embed.record#view", "record": {
                    "$type": "app.bsky.embed.record#viewNotFound",
                    "uri": embed["record"]["uri"], "notFound": True}}
            return {"$type": "app.bsky.embed.record#view", "record": {
                "$type": "app.bsky.embed.record#viewRecord", "uri": quoted.uri,
                "cid": quoted.cid, "author": self._author(quoted.author),
                "value": quoted.value, "indexedAt": iso(quoted.indexed_at)}}
        if kind == "app.bsky.embed.recordWithMedia":
            return {"$type": "app.bsky.embed.recordWithMedia#view",
                    "record": self._embed_view(did, embed["record"]),
                    "media": self._embed_view(did, embed["media"])}
        return None

    def _post_view(self, record: Record) -> dict[str, Any]:
        view: dict[str, Any] = {
            "uri": record.uri, "cid": record.cid, "author": self._author(record.author),
            "record": record.value, "indexedAt": iso(record.indexed_at),
            "replyCount": 0, "repostCount": 0, "likeCount": 0, "quoteCount": 0,
            "labels": [{"src": record.author, "uri": record.uri, "cid": record.cid,
                        "val": label, "cts": iso(record.indexed_at)} for label in record.labels]}
        embed = self._embed_view(record.author, record.value.get("embed"))
        if embed:
            view["embed"] = embed
        return view

    def _feed_entry(self, record: Record) -> dict[str, Any] | None:
        if record.repost_of is None:
            return {"post": self._post_view(record)}
        original = self.records.get(record.repost_of)
        if original is None:
            return None
        return {"post": self._post_view(original), "reason": {
            "$type": "app.bsky.feed.defs#reasonRepost", "by": self._author(record.author),
            "uri": record.uri, "cid": record.cid, "indexedAt": iso(record.indexed_at)}}

    def _page(self, records: list[Record], request: web.Request) -> dict[str, Any]:
        try:
            limit = int(request.query.get("limit", "50"))
        except ValueError:
            raise _http(400, "InvalidRequest", "limit must be an integer") from None
        if not 1 <= limit <= 100:
            raise _http(400, "InvalidRequest", "limit must be between 1 and 100")
        records = sorted(records, key=lambda r: r.indexed_at, reverse=True)
        cursor = request.query.get("cursor")
        if cursor:
            records = [r for r in records if f"{r.indexed_at:.6f}" < cursor]
        page = records[:limit]
        entries = [e for r in page if (e := self._feed_entry(r)) is not None]
        answer: dict[str, Any] = {"feed": entries}
        if len(records) > limit:
            answer["cursor"] = f"{page[-1].indexed_at:.6f}"
        return answer

    # --- routes ------------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        for method, handler in {
            "com.atproto.server.createSession": self.create_session,
            "com.atproto.server.refreshSession": self.refresh_session,
            "com.atproto.server.deleteSession": self.delete_session,
            "com.atproto.repo.createRecord": self.create_record,
            "com.atproto.repo.deleteRecord": self.delete_record,
            "com.atproto.repo.uploadBlob": self.upload_blob,
        }.items():
            app.router.add_post(f"/xrpc/{method}", _answering(handler))
        for method, handler in {
            "com.atproto.identity.resolveHandle": self.resolve_handle,
            "com.atproto.repo.getRecord": self.get_record,
            "app.bsky.actor.getProfile": self.get_profile,
            "app.bsky.feed.getAuthorFeed": self.get_author_feed,
            "app.bsky.feed.getTimeline": self.get_timeline,
            "app.bsky.feed.getPosts": self.get_posts,
        }.items():
            app.router.add_get(f"/xrpc/{method}", _answering(handler))

    async def create_session(self, request: web.Request) -> web.Response:
        body = await request.json()
        identifier = str(body.get("identifier") or "").lower()
        account = next((a for a in self.accounts.values()
                        if identifier in (a.handle, a.did)), None)
        if account is None or body.get("password") != account.app_password:
            return _err(401, "AuthenticationRequired", "Invalid identifier or password")
        return web.json_response(self._session_json(account))

    async def refresh_session(self, request: web.Request) -> web.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        did = self.refresh.pop(token, None)  # single use
        if did is None:
            return _err(400, "ExpiredToken", "Token has been revoked")
        return web.json_response(self._session_json(self.accounts[did]))

    async def delete_session(self, request: web.Request) -> web.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if self.refresh.pop(token, None) is None:
            return _err(400, "InvalidToken", "Invalid token")
        return web.Response(status=200)

    async def resolve_handle(self, request: web.Request) -> web.Response:
        handle = request.query.get("handle", "").lower()
        account = next((a for a in self.accounts.values() if a.handle == handle), None)
        if account is None:
            return _err(400, "InvalidRequest", "Unable to resolve handle")
        return web.json_response({"did": account.did})

    async def get_profile(self, request: web.Request) -> web.Response:
        self._viewer(request)
        actor = request.query.get("actor", "")
        account = self.accounts.get(actor) or next(
            (a for a in self.accounts.values() if a.handle == actor), None)
        if account is None:
            return _err(400, "InvalidRequest", "Profile not found")
        return web.json_response({**self._author(account.did), "followersCount": 0,
                                  "followsCount": len(account.follows),
                                  "postsCount": len(self.posts_of(account.did))})

    async def get_author_feed(self, request: web.Request) -> web.Response:
        self._viewer(request)
        actor = request.query.get("actor", "")
        if actor not in self.accounts:
            return _err(400, "InvalidRequest", "Profile not found")
        no_replies = request.query.get("filter") == "posts_no_replies"
        records = [r for r in self.records.values() if r.author == actor
                   and not (no_replies and r.value.get("reply"))]
        return web.json_response(self._page(records, request))

    async def get_timeline(self, request: web.Request) -> web.Response:
        viewer = self._viewer(request)
        follows = set(self.accounts[viewer].follows)
        records = [r for r in self.records.values() if r.author in follows]
        return web.json_response(self._page(records, request))

    async def get_posts(self, request: web.Request) -> web.Response:
        self._viewer(request)
        uris = request.query.getall("uris", [])
        if len(uris) > 25:
            return _err(400, "InvalidRequest", "uris must not have more than 25 elements")
        return web.json_response({"posts": [self._post_view(self.records[u]) for u in uris
                                            if u in self.records]})

    async def create_record(self, request: web.Request) -> web.Response:
        viewer = self._viewer(request)
        body = await request.json()
        if body.get("repo") != viewer:
            return _err(400, "InvalidRequest", "Input/repo must be the authenticated account")
        value = body.get("record") or {}
        collection = str(body.get("collection"))
        rkey = body.get("rkey")
        if rkey is not None and (not isinstance(rkey, str) or not RECORD_KEY.fullmatch(rkey)
                                 or rkey in (".", "..")):
            return _err(400, "InvalidRequest", "Invalid record key")
        if collection == "app.bsky.feed.post":
            invalid = _invalid_post(value)
            if invalid:
                return _err(400, "InvalidRequest",
                            f"Invalid app.bsky.feed.post record: {invalid}")
            for image in ((value.get("embed") or {}).get("images") or []):
                if image["image"]["ref"]["$link"] not in self.blobs:
                    return _err(400, "InvalidRequest", "Could not find blob")
        if rkey and f"at://{viewer}/{collection}/{rkey}" in self.records:
            # The PDS's repo refuses a second record under one key with a 500 (no XRPC error
            # of its own yet: bluesky-social/atproto#4728, bluesky-social/indigo#873).
            return _err(500, "InternalServerError", "Internal Server Error")
        record = self._put(viewer, collection, value, rkey=rkey)
        return web.json_response({"uri": record.uri, "cid": record.cid,
                                  "commit": {"cid": "bafyreicommit", "rev": record.uri[-13:]},
                                  "validationStatus": "valid"})

    async def get_record(self, request: web.Request) -> web.Response:
        repo = request.query.get("repo", "")
        uri = f"at://{repo}/{request.query.get('collection')}/{request.query.get('rkey')}"
        record = self.records.get(uri)
        if record is None:
            return _err(400, "RecordNotFound", f"Could not locate record: {uri}")
        return web.json_response({"uri": record.uri, "cid": record.cid, "value": record.value})

    async def delete_record(self, request: web.Request) -> web.Response:
        viewer = self._viewer(request)
        body = await request.json()
        if body.get("repo") != viewer:
            return _err(400, "InvalidRequest", "Input/repo must be the authenticated account")
        self.records.pop(f"at://{viewer}/{body.get('collection')}/{body.get('rkey')}", None)
        return web.json_response({"commit": {"cid": "bafyreicommit", "rev": "x"}})

    async def upload_blob(self, request: web.Request) -> web.Response:
        self._viewer(request)
        data = await request.read()
        if len(data) > 1_000_000:
            return _err(400, "BlobTooLarge", "This file is too large")
        mime = request.headers.get("Content-Type", "application/octet-stream")
        return web.json_response({"blob": self._blob_ref(data, mime)})

    def published(self, did: str) -> list[Record]:
        """Her posts, oldest first (what a cross-post created)."""
        return self.posts_of(did)


def _invalid_post(value: dict[str, Any]) -> str | None:
    """What the lexicon of app.bsky.feed.post finds wrong with a record, in its words."""
    text = value.get("text")
    if not isinstance(text, str):
        return "Record/text must be a string"
    if len(text.encode()) > 3000:
        return "Record/text must not be longer than 3000 characters"
    if len(regex.findall(r"\X", text)) > 300:
        return "Record/text must not be longer than 300 graphemes"
    reply = value.get("reply")
    if reply is not None:
        if not isinstance(reply, dict):
            return "Record/reply must be an object"
        for which in ("root", "parent"):
            ref = reply.get(which)
            if not isinstance(ref, dict):
                return f'Record/reply must have the property "{which}"'
            if not isinstance(ref.get("uri"), str) or not AT_URI.fullmatch(ref["uri"]):
                return f"Record/reply/{which}/uri must be a valid at-uri"
            if not isinstance(ref.get("cid"), str) or not CID.fullmatch(ref["cid"]):
                return f"Record/reply/{which}/cid must be a cid string"
    for i, facet in enumerate(value.get("facets") or []):
        index = facet.get("index") if isinstance(facet, dict) else None
        if not isinstance(index, dict) or not all(
                isinstance(index.get(k), int) and index[k] >= 0
                for k in ("byteStart", "byteEnd")):
            return f"Record/facets/{i}/index must have integer byteStart and byteEnd"
        if not facet.get("features"):
            return f'Record/facets/{i} must have the property "features"'
    return None


def _err(status: int, error: str, message: str) -> web.Response:
    return web.json_response({"error": error, "message": message}, status=status)


class XrpcError(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.response = _err(status, error, message)


def _http(status: int, error: str, message: str) -> XrpcError:
    return XrpcError(status, error, message)


def _answering(handler: Any) -> Any:
    async def handle(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except XrpcError as e:
            return e.response
    return handle
