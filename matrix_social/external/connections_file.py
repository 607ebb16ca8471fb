"""A user's `social-connections.json`, the shape the OS keeps her connections in
(docs/connections-file.md): export her connections with their tokens (to that file only,
readable by its owner only), or import them.

    {"version": 1, "user": "@alice:example.org",
     "connections": {"x": {"account": {...}, "token": {...}, "share_with_followers": false}}}
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

from mautrix.util.async_db import Database

from ..clock import now_ms
from ..db import platform_connections as connections
from ..db.platform_connections import ConnectionRow
from .platform import Account, Platform, TokenSet
from .platforms import REGISTERED
from .tokens import KeyUnavailable, TokenCipher

VERSION = 1
MAX_FILE_BYTES = 1024 * 1024


def _text(value: Any, field: str, required: bool = True, limit: int = 4096) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value) or len(value) > limit:
        raise ValueError(f"{field} must be text")
    return value


async def export_connections(db: Database, cipher: TokenCipher, user_id: str,
                             path: str) -> int:
    exported: dict[str, Any] = {}
    for row in await connections.list_for_user(db, user_id):
        try:
            token = cipher.decrypt(row.token)
        except KeyUnavailable:
            token = None  # its key is gone: the account is listed, the grant cannot be
        exported[row.platform] = {
            "platform": row.platform,
            "account": {"id": row.account_id, "handle": row.handle, "name": row.name,
                        "url": row.profile_url, "avatar_url": row.avatar_url,
                        "instance": row.instance},
            "token": None if token is None else {
                "access_token": token.access_token, "refresh_token": token.refresh_token,
                "expires_at": token.expires_at_ms, "scope": token.scope,
                **({"extra": token.extra} if token.extra else {})},
            "share_with_followers": row.share_with_followers,
            "home_timeline": row.home_timeline,
            "status": row.status, "connected_at": row.created_at,
        }
    _write(path, {"version": VERSION, "user": user_id, "exported_at": now_ms(),
                  "connections": exported})
    return len(exported)


def _write(path: str, document: dict[str, Any]) -> None:
    """Readable by its owner only, from the first byte (a CLI: blocking I/O is fine)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as stream:
        os.fchmod(stream.fileno(), 0o600)
        json.dump(document, stream, indent=2)
        stream.write("\n")


def _read(path: str) -> Any:
    if os.path.getsize(path) > MAX_FILE_BYTES:
        raise ValueError("the file is too large to be a connections file")
    with open(path) as stream:
        return json.load(stream)


def _row(user_id: str, declared: Platform, entry: Any, cipher: TokenCipher) -> ConnectionRow:
    platform = declared.name
    if not isinstance(entry, dict) or not isinstance(entry.get("account"), dict) \
            or not isinstance(entry.get("token"), dict):
        raise ValueError(f"connections.{platform}: needs an account and a token")
    raw, grant = entry["account"], entry["token"]
    instance = _text(raw.get("instance"), f"{platform}.account.instance", required=False)
    if (declared.server is not None) != bool(instance):
        raise ValueError(f"connections.{platform}: an instance is only for a platform whose "
                         "accounts live on a server of their own, and such a platform needs one")
    account = Account(platform, _text(raw.get("id"), f"{platform}.account.id", limit=64),
                      _text(raw.get("handle"), f"{platform}.account.handle", limit=300),
                      _text(raw.get("name") or raw.get("handle"), f"{platform}.account.name",
                            limit=300),
                      _text(raw.get("avatar_url"), f"{platform}.account.avatar_url",
                            required=False),
                      _text(raw.get("url") or "", f"{platform}.account.url", required=False)
                      or "", instance)
    if declared.puppet_part(account) is None:
        raise ValueError(f"connections.{platform}: the account id cannot be used")
    expires = grant.get("expires_at")
    if expires is not None and (not isinstance(expires, int) or isinstance(expires, bool)):
        raise ValueError(f"connections.{platform}.token.expires_at must be ms or null")
    extra = grant.get("extra") or {}
    if not isinstance(extra, dict) or len(extra) > 20:
        raise ValueError(f"connections.{platform}.token.extra must be an object of text")
    token = TokenSet(_text(grant.get("access_token"), f"{platform}.token.access_token"),
                     _text(grant.get("refresh_token"), f"{platform}.token.refresh_token",
                           required=False), expires,
                     _text(grant.get("scope") or "", f"{platform}.token.scope",
                           required=False) or "",
                     {_text(k, f"{platform}.token.extra", limit=64): _text(
                         v, f"{platform}.token.extra.{str(k)[:64]}")
                      for k, v in extra.items()})
    share = entry.get("share_with_followers", False)
    if not isinstance(share, bool):
        raise ValueError(f"connections.{platform}.share_with_followers must be true or false")
    home = entry.get("home_timeline", False)
    if not isinstance(home, bool) or (home and not declared.home_timeline):
        raise ValueError(f"connections.{platform}.home_timeline must be true or false (true "
                         "only where the platform has a home timeline)")
    now = now_ms()
    return ConnectionRow(
        user_id=user_id, platform=platform, account_key=account.key, account_id=account.id,
        handle=account.handle, name=account.name, avatar_url=account.avatar_url,
        profile_url=account.url, instance=account.instance, status=connections.OK,
        status_reason=None, share_with_followers=share, token=cipher.encrypt(token),
        cursor=None, etag=None, next_due=now, interval_s=None, failures=0, last_sync=None,
        created_at=now, home_timeline=home)


async def import_connections(db: Database, cipher: TokenCipher, user_id: str, path: str,
                             declared: Sequence[Platform] = REGISTERED) -> int:
    """All or nothing: every entry is checked before any is stored. A connection imported
    for an account already connected keeps its cursor (no second first-sync)."""
    document = _read(path)
    if not isinstance(document, dict) or document.get("version") != VERSION \
            or not isinstance(document.get("connections"), dict):
        raise ValueError(f"not a version {VERSION} social-connections.json")
    if document.get("user") not in (None, user_id):
        raise ValueError(f"the file is {document.get('user')}'s, not {user_id}'s")
    known = {p.name: p for p in declared}
    rows = []
    for platform, entry in document["connections"].items():
        if platform not in known:
            raise ValueError(f"unknown platform {str(platform)[:40]!r}")
        rows.append(_row(user_id, known[platform], entry, cipher))
    for row in rows:
        await connections.upsert(db, row)
        if row.share_with_followers:
            await connections.set_share_with_followers(db, user_id, row.platform, True)
        if row.home_timeline:
            await connections.set_home_timeline(db, user_id, row.platform, True)
    return len(rows)
