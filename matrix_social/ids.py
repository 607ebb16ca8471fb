"""Who is who: humans, their AIs, the bot and external platforms' puppets, by Matrix ID."""

from __future__ import annotations

import re
from dataclasses import dataclass

LOCALPART_RE = re.compile(r"[a-z0-9._=\-/]+")
USER_ID_RE = re.compile(r"@([^:\s\x00-\x1f\x7f]+):([^\s\x00-\x1f\x7f]+)")
MAX_USER_ID_BYTES = 255  # the spec's limit; longer IDs cannot exist anywhere


@dataclass(frozen=True)
class Identities:
    domain: str
    bot_localpart: str
    ai_suffix: str
    platform_prefixes: dict[str, str]

    @property
    def bot(self) -> str:
        return f"@{self.bot_localpart}:{self.domain}"

    def user_id(self, localpart: str) -> str:
        return f"@{localpart}:{self.domain}"

    @staticmethod
    def split(user_id: str) -> tuple[str, str] | None:
        if len((user_id or "").encode(errors="surrogatepass")) > MAX_USER_ID_BYTES:
            return None
        match = USER_ID_RE.fullmatch(user_id or "")
        return (match.group(1), match.group(2)) if match else None

    def local_localpart(self, user_id: str) -> str | None:
        parts = self.split(user_id)
        if parts is None or parts[1] != self.domain:
            return None
        return parts[0]

    def handle_of(self, user_id: str) -> str:
        """How the API shows a user: the localpart for ours, the full ID for anyone else's."""
        localpart = self.local_localpart(user_id)
        return localpart if localpart is not None else user_id

    def is_ai(self, user_id: str) -> bool:
        localpart = self.local_localpart(user_id)
        return bool(localpart and localpart.endswith(self.ai_suffix) and
                    len(localpart) > len(self.ai_suffix))

    def ai_owner(self, ai_id: str) -> str | None:
        """@alice_ai:server -> @alice:server."""
        if not self.is_ai(ai_id):
            return None
        return self.user_id(self.local_localpart(ai_id)[: -len(self.ai_suffix)])

    def named_owner(self, user_id: str) -> str | None:
        """@bob_ai:any.server -> @bob:any.server: whose AI this is by its name, on any server
        that follows the same naming (ours always does)."""
        parts = self.split(user_id)
        if parts is None or not parts[0].endswith(self.ai_suffix) \
                or len(parts[0]) <= len(self.ai_suffix):
            return None
        return f"@{parts[0][: -len(self.ai_suffix)]}:{parts[1]}"

    def ai_of(self, human_id: str) -> str | None:
        """@alice:server -> @alice_ai:server."""
        localpart = self.local_localpart(human_id)
        if localpart is None or self.is_ai(human_id):
            return None
        return self.user_id(localpart + self.ai_suffix)

    def platform_of(self, user_id: str) -> str | None:
        localpart = self.local_localpart(user_id)
        if localpart is None:
            return None
        for platform, prefix in self.platform_prefixes.items():
            if localpart.startswith(prefix):
                return platform
        return None

    def platform_puppet(self, platform: str, part: str | None) -> str | None:
        """The puppet of an external account: its platform's prefix, then `part` (the account's
        puppet id as its platform declares it, None when the account's id is unusable); None
        when that is not a valid Matrix ID."""
        prefix = self.platform_prefixes.get(platform)
        if part is None or prefix is None:
            return None
        user_id = self.user_id(prefix + part)
        return user_id if self.split(user_id) and LOCALPART_RE.fullmatch(prefix + part) else None

    def is_ghost(self, user_id: str) -> bool:
        """Users the service owns exclusively (AIs, the bot, platform puppets)."""
        return user_id == self.bot or self.is_ai(user_id) or self.platform_of(user_id) is not None

    def is_local_human(self, user_id: str) -> bool:
        return self.local_localpart(user_id) is not None and not self.is_ghost(user_id)

    def app_id(self, author: str, slug: str) -> str:
        """`alice:slug` for our users; `@bob:server:slug` for users of other servers (a slug
        has no colon)."""
        return f"{self.local_localpart(author) or author}:{slug}"

    def parse_handle(self, handle: str) -> str | None:
        """'alice', 'alice_ai', '@alice:server' -> a Matrix user ID, or None if malformed."""
        handle = (handle or "").strip()
        if handle.startswith("@"):
            return handle if self.split(handle) else None
        if LOCALPART_RE.fullmatch(handle):
            return self.user_id(handle) if self.split(self.user_id(handle)) else None
        return None
