"""Mentions: who a post or comment names, as any client writes it (an Element pill, a full
Matrix ID typed in the body, `@handle`), and how we write them (pills with `m.mentions`).

Only users named in the text count: `m.mentions.user_ids` alone names nobody (a client may list
anyone there), and at most MAX_MENTIONS users count per event, in the order they appear.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

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


def typed_user_ids(text: str, author_server: str) -> list[str]:
    """Matrix IDs typed in plain text: `@bob:server`, or `@bob` on the author's server."""
    found = []
    for match in _TYPED.finditer(text):
        localpart, server = match.group(1), match.group(2)
        if server is None:
            localpart = localpart.rstrip(_TRAILING)
            server = author_server
        else:
            server = server.rstrip(_TRAILING) if not server.endswith("]") else server
        if localpart:
            found.append(f"@{localpart}:{server}")
    return found


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
