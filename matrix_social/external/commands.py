"""The bot's commands in a management room (a DM with @social), as mautrix bridges have them:

  help | login <platform> [<server>] | confirm <code> | connections | logout <platform>
  login <platform> <handle> <app password>   (a platform that takes an app password: Bluesky)
  block <user> [with ai] | unblock <user> | mute <user> [for <time>] | unmute <user>
  blocked | muted

(block and mute are the same social-layer calls as `POST /api/social/blocks` and `/mutes`;
a user is a full ID, a handle of this server, or a pill.)

(the platforms, and which asks for a server, are the registered ones: help lists them).

A login started here has no browser session behind it, so it ends on a confirmation: the page
the platform sends the browser back to shows a one-time code, and `confirm CODE` here (her own
management room, so it is her) connects the account (docs/platforms.md, "Who completes a
login").
A login with an app password connects at once, and the message that held it is redacted at
once, whatever the outcome (the web app's form keeps it out of the room altogether).

Only the room's one human, a local user, commands, and only for herself: a room counts while
exactly the bot and its sender are joined (asked of the homeserver, never from room state), and
never when it is a feed room (the bot and a new user alone in hers). Every message of the
server passes here, so a message costs a homeserver request only when it starts with a command
word or is in the sender's known management room.
"""

from __future__ import annotations

import html
import logging
import re
from collections import OrderedDict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from ..clock import now_ms
from ..content.mentions import named_user_ids
from ..errors import SocialError
from ..ids import Identities
from ..matrix.feed_owners import FeedOwners
from ..social.blocks import Blocks
from ..social.mutes import Mutes
from .connections import Connections
from .management import ManagementRooms
from .platform import Platform

log = logging.getLogger("matrix_social.commands")

MAX_COMMAND = 300
SEEN = 1000  # event ids remembered, so a redelivered transaction does not run a command twice
VERBS = frozenset({"help", "?", "login", "confirm", "logout", "disconnect", "connections",
                   "list", "status", "block", "unblock", "mute", "unmute", "blocked", "muted"})
UNITS = {"m": 60_000, "min": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 7 * 86_400_000}
MAX_MUTE_MS = 366 * 86_400_000
_DURATION = re.compile(r"([0-9]{1,6}) ?(m|mins?|minutes?|h|hours?|d|days?|w|weeks?)")
LISTED = 50



def _login_line(platform: Platform) -> str:
    if platform.password_login is not None:
        return (f"• login {platform.name} <handle> <app password> — connect {platform.label} "
                f"(an app password, never your main one; I delete your message at once)")
    if platform.server is not None:
        return (f"• login {platform.name} <instance> — connect {platform.label}, e.g. "
                f"login {platform.name} {platform.server.example}")
    note = f" ({platform.login_note})" if platform.login_note else ""
    return f"• login {platform.name} — connect {platform.label}{note}"


def help_text(platforms: Sequence[Platform]) -> str:
    return "\n".join([
        "I connect your accounts on other platforms; their posts then appear in your feed.",
        *(_login_line(p) for p in platforms),
        "• confirm <code> — finish a login with the code its page showed you",
        "• connections — what is connected, and how it is doing",
        "• logout <platform> — disconnect (and revoke my access where the platform allows)",
        "• block <user> [with ai] — ban them from your feed, hide them everywhere, and with ai "
        "their AI too; unblock <user> undoes what can be undone",
        "• mute <user> [for 2h | 3d | 1w] — hide them from your feed and notifications; "
        "unmute <user>",
        "• blocked, muted — whom you blocked or muted",
        "• help — this"])


def _holds_a_secret(words: list[str]) -> bool:
    """`login <platform> <handle> <password>`: anything after a handle may be a password."""
    return bool(words) and words[0].lower().lstrip("!") == "login" and \
        len(words) > 1 and len(words[1].split()) >= 3


class ConnectionCommands:
    def __init__(self, ids: Identities, owners: FeedOwners, rooms: ManagementRooms,
                 connections: Connections, blocks: Blocks | None = None,
                 mutes: Mutes | None = None) -> None:
        self.ids = ids
        self.blocks = blocks
        self.mutes = mutes
        self.owners = owners
        self.rooms = rooms
        self.connections = connections
        self.platforms = connections.platforms
        self.help = help_text(self.platforms.declared)
        self._seen: OrderedDict[str, None] = OrderedDict()

    async def on_event(self, raw: dict[str, Any]) -> None:
        content = raw.get("content")
        if raw.get("type") != "m.room.message" or not isinstance(content, dict) \
                or content.get("msgtype") != "m.text" or "m.relates_to" in content:
            return
        body, sender, room_id = content.get("body"), raw.get("sender"), raw.get("room_id")
        if not isinstance(body, str) or not isinstance(sender, str) or len(body) > MAX_COMMAND \
                or not self.ids.is_local_human(sender) or not isinstance(room_id, str):
            return
        if raw.get("event_id") in self._seen:
            return
        words = body.split(maxsplit=1)
        if (not words or words[0].lower().lstrip("!") not in VERBS) and \
                await self.rooms.known_room(sender) != room_id:
            return  # every message passes here: known_room is kept in memory
        if not await self.rooms.bot_is_in(room_id) or await self.owners.feed_of(room_id):
            return
        if not await self.rooms.is_management_room(room_id, sender):
            return
        self._remember(raw.get("event_id"))
        await self.rooms.remember(sender, room_id)
        try:
            text, markup = await self.run(sender, body.strip(),
                                          named_user_ids(content, sender))
        except SocialError as e:
            text, markup = str(e), None
        except Exception:
            log.exception("command from %s failed", sender)
            text, markup = "Something went wrong on my side; please try again later.", None
        if _holds_a_secret(words) and isinstance(raw.get("event_id"), str) and \
                not await self.rooms.remove(room_id, raw["event_id"], "it held an app password"):
            text += ("\nI could not delete your message with the app password (I may not "
                     "redact in this room): delete it yourself.")
            markup = None
        await self.rooms.say(room_id, text, markup)

    def _remember(self, event_id: Any) -> None:
        if isinstance(event_id, str):
            self._seen[event_id] = None
            while len(self._seen) > SEEN:
                self._seen.popitem(last=False)

    async def run(self, user: str, command: str, pills: Sequence[str] = ()
                  ) -> tuple[str, str | None]:
        words = command.split()
        verb = words[0].lower().lstrip("!") if words else ""
        args = words[1:]
        if verb in ("help", "?", ""):
            return self.help, None
        if verb in ("block", "unblock", "mute", "unmute", "blocked", "muted") \
                and self.blocks is not None and self.mutes is not None:
            return await self._safety(user, verb, args, pills), None
        if verb == "login":
            return await self._login(user, args)
        if verb == "confirm":
            if len(args) != 1:
                return "Say confirm and the code the login page showed, e.g. confirm ABCD-EFGH", \
                    None
            shown = await self.connections.confirm(user, args[0], tell=False)
            return f"Connected {self.platforms.label(shown['platform'])} as " \
                   f"@{shown['account']['handle']}. Your items from there will appear in " \
                   "your feed and in a room of their own.", None
        if verb in ("logout", "disconnect"):
            names = self.platforms.names()
            if len(args) != 1 or args[0].lower() not in names:
                return f"Say which: logout {' | logout '.join(names)}", None
            await self.connections.disconnect(user, args[0].lower())
            return f"Disconnected {self.platforms.label(args[0].lower())}.", None
        if verb in ("connections", "list", "status"):
            return self._describe((await self.connections.list(user))["connections"]), None
        return f"I do not know {verb[:40]!r}. Say help for what I can do.", None

    async def _login(self, user: str, args: list[str]) -> tuple[str, str | None]:
        declared = self.platforms.find(args[0].lower()) if args else None
        if declared is None:
            return "Say which: " + ", ".join(
                f"login {p.name}" + (" <instance>" if p.server else "")
                for p in self.platforms.declared), None
        platform = declared.name
        if declared.password_login is not None:
            if len(args) != 3:
                return (f"Say login {platform} <handle> <app password>, e.g. login {platform} "
                        f"{declared.password_login.identifier_example} xxxx-xxxx-xxxx-xxxx "
                        "(or connect in the web app's Settings). "
                        f"{declared.password_login.hint}"), None
            shown = await self.connections.log_in_with_password(user, platform, args[1], args[2],
                                                                tell=False)
            return (f"Connected {declared.label} as @{shown['account']['handle']}. Your items "
                    "from there will appear in your feed and in a room of their own."), None
        instance = args[1] if declared.server is not None and len(args) > 1 else None
        if declared.server is not None and instance is None:
            return f"Which instance? e.g. login {platform} {declared.server.example}", None
        started = await self.connections.begin(user, platform, instance)
        url, name = started["authorize_url"], declared.label
        minutes = started["expires_in_ms"] // 60000
        text = (f"Open this link to connect {name} (it works once, for {minutes} minutes). The "
                f"page you come back to shows a code: send confirm and that code here to "
                f"finish.\n{url}")
        markup = (f'<a href="{html.escape(url)}">Connect {html.escape(name)}</a> '
                  f"(the link works once, for {minutes} minutes). The page you come back to "
                  f"shows a code: send <code>confirm</code> and that code here to finish.")
        return text, markup

    def _target(self, verb: str, args: list[str], pills: Sequence[str]) -> str:
        """The user a block/mute command names: a pill (Element writes the name in the body),
        else a full ID or a handle of this server."""
        if pills:
            return pills[0]
        target = self.ids.parse_handle(args[0]) if args else None
        if target is None:
            raise _Answer(f"Say whom: {verb} @someone:server (or a handle of this server, "
                          f"e.g. {verb} bob)")
        return target

    async def _safety(self, user: str, verb: str, args: list[str],
                      pills: Sequence[str]) -> str:
        assert self.blocks is not None and self.mutes is not None
        try:
            if verb == "blocked":
                page = await self.blocks.page(user, None, LISTED)
                return _listing("You have blocked nobody.", "You have blocked:", [
                    i["user_id"] + (f" (with {i['with']})" if i["with"] else "")
                    for i in page["items"]])
            if verb == "muted":
                items = (await self.mutes.muted_users(user))["items"]
                return _listing("You have muted nobody.", "You have muted:", [
                    i["user_id"] + (f" (until {_when(i['expires_at'])})" if i["expires_at"]
                                    else "") for i in items])
            target = self._target(verb, args, pills)
            rest = [w.lower() for w in args[1:]]
            if pills:  # a pill's text is a display name, maybe of several words
                rest = rest[rest.index("for"):] if verb == "mute" and "for" in rest else \
                    rest[-2:] if rest[-2:] == ["with", "ai"] else []
            if verb == "block":
                if rest not in ([], ["with", "ai"], ["and", "ai"], ["+ai"]):
                    raise _Answer("Say block @someone:server, or block @someone:server with ai "
                                  "to block their AI too")
                done = await self.blocks.block(user, {"user_id": target,
                                                      "include_ai": bool(rest)})
                also = [who for who in done["blocked_ids"] if who != target]
                return (f"Blocked {target}" + (f" and {also[0]}" if also else "") + ". They "
                        "are banned from your feed and hidden wherever you look; they cannot "
                        "reach you or your AI through this service. Say unblock "
                        f"{target} to undo.")
            if verb == "unblock":
                done = await self.blocks.unblock(user, target)
                return (f"Unblocked {', '.join(done['unblocked_ids'])}. Follows, likes and "
                        "comments removed by the block stay removed.")
            if verb == "mute":
                until = None
                if rest:
                    until = _until(rest)
                    if until is None:
                        raise _Answer("Say mute @someone:server, or for a while: mute "
                                      "@someone:server for 2h (m, h, d or w; at most a year)")
                    until += now_ms()
                await self.mutes.mute(user, {"user_id": target, "expires_at": until})
                return (f"Muted {target}" + (f" until {_when(until)}" if until else "") +
                        ". Nothing is sent to them; their posts and notifications are hidden "
                        "from you" + (" meanwhile." if until else f". Say unmute {target} to "
                                      "undo."))
            await self.mutes.unmute(user, target)
            return f"Unmuted {target}."
        except _Answer as answer:
            return str(answer)

    def _describe(self, rows: list[dict[str, Any]]) -> str:
        if not rows:
            return "Nothing is connected yet. Say help to see how."
        lines = []
        for row in rows:
            name, account = self.platforms.label(row["platform"]), row["account"]
            state = "working" if row["status"] == "ok" else \
                f"broken ({row['status_reason'] or 'connect again'})"
            shared = ", shared with your followers" if row["share_with_followers"] else ""
            lines.append(f"• {name}: @{account['handle']}, {state}{shared}")
        return "\n".join(lines)


class _Answer(Exception):
    """A command that needs saying again, answered in words."""


def _until(words: list[str]) -> int | None:
    """`for 2h`, `2h`, `for 3 days` -> milliseconds; None when not understood."""
    found = _DURATION.fullmatch(" ".join(w for w in words if w != "for"))
    if found is None:
        return None
    ms = int(found.group(1)) * UNITS[found.group(2)[:3] if found.group(2).startswith("min")
                                     else found.group(2)[0]]
    return ms if 0 < ms <= MAX_MUTE_MS else None


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _listing(empty: str, title: str, lines: list[str]) -> str:
    return "\n".join([title, *(f"• {line}" for line in lines)]) if lines else empty
