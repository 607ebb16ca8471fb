"""Policy rules as a matcher: each rule's entity is a glob (`*` any run of characters, `?` one
character, everything else itself, case-insensitively, as Mjolnir and Draupnir match); a user
rule matches the whole user id, a server rule the user id's server name (with its port, or
without it: `evil.example` also bars `evil.example:8448`). Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

USER, SERVER = "user", "server"
GLOB_CHARS = frozenset("*?")
MAX_REMEMBERED = 50_000


@dataclass(frozen=True)
class PolicyRule:
    room_id: str
    rule_type: str
    state_key: str
    kind: str  # USER or SERVER
    entity: str
    reason: str

    def describe(self) -> str:
        why = f": {self.reason}" if self.reason else ""
        return f"{self.kind} rule {self.entity!r} ({self.state_key}) of {self.room_id}{why}"


def glob_regex(entity: str) -> re.Pattern[str]:
    parts = [".*" if c == "*" else "." if c == "?" else re.escape(c) for c in entity]
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def server_of(user_id: str) -> str | None:
    if not user_id.startswith("@") or ":" not in user_id:
        return None
    return user_id.split(":", 1)[1]


class PolicyMatcher:
    """Exact entities are looked up, and so are server globs `*literal` (`*.evil.org`, by
    each tail of the server name). Other globs are grouped: a user glob whose server part is
    literal (`@spam*:evil.org`, most of them) is tried only for users of that server; each
    group is one alternation, tried at once (which rule matched is looked for only on a
    match). Answers are remembered per user id."""

    def __init__(self, rules: Iterable[PolicyRule]) -> None:
        self.rules = list(rules)
        self._exact: dict[tuple[str, str], PolicyRule] = {}
        self._tails: dict[str, PolicyRule] = {}  # server rules `*literal`, by the literal
        groups: dict[tuple[str, str], list[PolicyRule]] = {}
        for rule in self.rules:
            if GLOB_CHARS.isdisjoint(rule.entity):
                self._exact.setdefault((rule.kind, rule.entity.lower()), rule)
            elif rule.kind == SERVER and rule.entity.startswith("*") \
                    and GLOB_CHARS.isdisjoint(rule.entity[1:]):
                self._tails.setdefault(rule.entity[1:].lower(), rule)
            else:
                groups.setdefault((rule.kind, _group_of(rule)), []).append(rule)
        self._groups = groups
        self._any = {key: _alternation(found) for key, found in groups.items()}
        self._seen: dict[str, PolicyRule | None] = {}

    def __bool__(self) -> bool:
        return bool(self.rules)

    def match(self, user_id: str) -> PolicyRule | None:
        """The first rule that bars this user, or None."""
        if not self.rules:
            return None
        if user_id in self._seen:
            return self._seen[user_id]
        server = server_of(user_id)
        found = self._find(USER, user_id, (server or "").lower())
        if found is None and server is not None:
            found = self._find(SERVER, server)
            host = _without_port(server)
            if found is None and host != server:
                found = self._find(SERVER, host)
        if len(self._seen) >= MAX_REMEMBERED:
            self._seen.clear()
        self._seen[user_id] = found
        return found

    def _find(self, kind: str, value: str, group: str = "") -> PolicyRule | None:
        lowered = value.lower()
        exact = self._exact.get((kind, lowered))
        if exact is not None:
            return exact
        if kind == SERVER and self._tails:
            for start in range(len(lowered) + 1):
                tail = self._tails.get(lowered[start:])
                if tail is not None:
                    return tail
        for key in {(kind, group), (kind, "")}:
            found = self._in_group(key, value)
            if found is not None:
                return found
        return None

    def _in_group(self, key: tuple[str, str], value: str) -> PolicyRule | None:
        combined = self._any.get(key)
        if combined is None or not combined.fullmatch(value):
            return None
        return next((rule for rule in self._groups[key]
                     if glob_regex(rule.entity).fullmatch(value)), None)


def _group_of(rule: PolicyRule) -> str:
    """A user glob's literal server part, lower-cased; "" for any other glob."""
    _, sep, server = rule.entity.partition(":")
    if rule.kind != USER or not sep or not GLOB_CHARS.isdisjoint(server):
        return ""
    return server.lower()


def _alternation(rules: list[PolicyRule]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{glob_regex(r.entity).pattern})" for r in rules),
                      re.IGNORECASE | re.DOTALL)


def _without_port(server: str) -> str:
    if server.endswith("]"):  # an IPv6 literal without a port
        return server
    host, sep, port = server.rpartition(":")
    return host if sep and port.isdigit() else server
