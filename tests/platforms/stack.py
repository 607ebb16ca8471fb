"""The platform layer wired as the integration will wire it, over one database."""

from __future__ import annotations

from matrix_social.external.grants import Grants
from matrix_social.external.login import LoginFlow
from matrix_social.external.poller import Poller
from matrix_social.external.registry import Platforms, PlatformsConfig
from matrix_social.external.tokens import TokenCipher

from .browser import authorize

PUBLIC = "https://social.example.org"


def callback(platform: str) -> str:
    return f"{PUBLIC}/api/social/connections/{platform}/callback"


class Stack:
    def __init__(self, db, fakes, key: str) -> None:
        x, ig = fakes["x"].base_url, fakes["instagram"].base_url
        self.config = PlatformsConfig.from_mapping({
            "public_url": PUBLIC, "allow_loopback_instances": True,
            "x": {"client_id": "x-client", "client_secret": "x-secret", "api_base": x,
                  "authorize_base": x},
            "mastodon": {},
            "instagram": {"client_id": "ig-app", "client_secret": "ig-secret",
                          "authorize_base": ig, "oauth_base": ig, "graph_base": ig,
                          "publish_poll_s": 0.01}})
        self.cipher = TokenCipher([key])
        self.platforms = Platforms(self.config, db, self.cipher)
        self.broken: list[tuple[str, str, str]] = []  # (user, platform, reason) as told
        self.grants = Grants(db, self.platforms, self.cipher, on_broken=self._told)
        self.login = LoginFlow(db, self.platforms, self.cipher, self.grants)
        self.poller = Poller(db, self.platforms, self.grants)

    async def _told(self, row, reason: str) -> None:
        self.broken.append((row.user_id, row.platform, reason))

    async def connect(self, user: str, platform: str, instance: str | None = None):
        """As the web app does: started in a browser, finished in the same browser (its
        binding cookie comes back), so connected in one step."""
        url, binding = await self.login.begin_in_browser(user, platform, instance)
        answer = await authorize(url)
        done = await self.login.finish(answer["state"], answer.get("code"), platform=platform,
                                       browser=binding.value)
        return done.row
