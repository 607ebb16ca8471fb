"""Mentions: who a post or comment names, as any client writes it (an Element pill, a full
Matrix ID typed in the body, `@handle`), and how we write them (pills with `m.mentions`).

Only users named in the text count: `m.mentions.user_ids` alone names nobody (a client may list
anyone there), and at most MAX_MENTIONS users count per event, in the order they appear.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import quote, unquote

from ..ids import Identities

MAX_MENTIONS = 10
_PILL = re.compile(r"""href\s*=\s*["']https://matrix\.to/#/(@[^"'?/]+|%40[^"'?/]+)""",
                   re.IGNORECASE)
# A full ID, or a bare handle (the localpart on the author's server), not inside a word or an
# address (alice@example.org names nobody).
_TYPED = re.compile(
    r"(?<![\w@./:+=-])@([a-z0-9._=\-/+]+)(?::([A-Za-z0-9.\-]+(?::\d{1,5})?|\[[0-9a-fA-F:.]+\]"
    r"(?::\d{1,5})?))?")
_TRAILING = ".-"


def _token(match: re.Match, author_server: str) -> tuple[str, str] | None:
    """(the text as typed, without trailing punctuation; the user ID it names)."""
    localpart, server = match.group(1), match.group(2)
    if server is None:
        localpart = localpart.rstrip(_TRAILING)
        token, server = f"@{localpart}", author_server
    else:
        server = server.rstrip(_TRAILING) if not server.endswith("]") else server
        token = f"@{localpart}:{server}"
    return (token, f"@{localpart}:{server}") if localpart else None


def typed_mentions(text: str, author_server: str) -> list[tuple[str, str]]:
    """(token, user ID) for each `@bob:server`, or `@bob` on the author's server, in order."""
    return [found for match in _TYPED.finditer(text)
            if (found := _token(match, author_server)) is not None]


def typed_user_ids(text: str, author_server: str) -> list[str]:
    return [user_id for _, user_id in typed_mentions(text, author_server)]


def pill(user_id: str, label: str) -> str:
    return f'<a href="https://matrix.to/#/{quote(user_id, safe="@:")}">{html.escape(label)}</a>'


_TAG = re.compile(r"(<[^>]*>)")


def _pills_in_html(formatted: str, named: dict[str, str], author_server: str) -> str:
    """Typed mentions in the text between tags become pills; nothing inside a tag or a link
    changes."""
    def replace(match: re.Match) -> str:
        found = _token(match, author_server)
        if found is None or found[0] not in named:
            return match.group(0)
        token = found[0]
        return pill(named[token], token) + match.group(0)[len(token):]

    parts, in_link = [], 0
    for part in _TAG.split(formatted):
        if part.startswith("<"):
            lowered = part.lower()
            in_link += 1 if lowered.startswith("<a ") or lowered == "<a>" else 0
            in_link -= 1 if lowered.startswith("</a") and in_link else 0
            parts.append(part)
        else:
            parts.append(part if in_link else _TYPED.sub(replace, part))
    return "".join(parts)


def with_mentions(content: dict[str, Any], named: dict[str, str], author_server: str,
                  also: list[str] = ()) -> dict[str, Any]:
    """The content with a pill for each resolved mention (`named`: token as typed -> user
    ID) and `m.mentions` listing them and `also` (the people a comment answers). An empty
    list is sent too: it tells clients the event mentions nobody else."""
    content = dict(content)
    if named:
        formatted = content.get("formatted_body")
        if not isinstance(formatted, str):
            formatted = html.escape(content.get("body", "")).replace("\n", "<br>")
        content["format"] = "org.matrix.custom.html"
        content["formatted_body"] = _pills_in_html(formatted, named, author_server)
    user_ids = list(dict.fromkeys([*named.values(), *also]))[:MAX_MENTIONS]
    content["m.mentions"] = {"user_ids": user_ids}
    return content


def named_user_ids(content: dict[str, Any], author: str) -> list[str]:
    """Who the event's text names (pills first, then IDs and handles typed in the body), each
    once, at most MAX_MENTIONS."""
    parts = Identities.split(author)
    candidates: list[str] = []
    formatted = content.get("formatted_body")
    if isinstance(formatted, str):
        candidates += [unquote(m.group(1)) for m in _PILL.finditer(formatted[:20_000])]
    body = content.get("body")
    if isinstance(body, str) and parts is not None:
        candidates += typed_user_ids(body[:20_000], parts[1])
    named: list[str] = []
    for user_id in candidates:
        if user_id not in named and user_id != author and Identities.split(user_id):
            named.append(user_id)
            if len(named) == MAX_MENTIONS:
                break
    return named
