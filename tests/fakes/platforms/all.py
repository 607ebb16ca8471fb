"""The five fake platforms together, configured for a Stack's service (its public URL is the
appservice's loopback URL, so OAuth callbacks come back to the service itself)."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet

from .bluesky import FakeBluesky
from .github import FakeGitHub
from .instagram import FakeInstagram
from .mastodon import FakeMastodon
from .x import FakeX


class PlatformFakes:
    def __init__(self, public_url: str) -> None:
        self.public_url = public_url
        self.token_key = Fernet.generate_key().decode()
        self.x = FakeX(redirect_uri=self.callback("x"))
        self.mastodon = FakeMastodon()
        self.github = FakeGitHub(redirect_uri=self.callback("github"))
        self.instagram = FakeInstagram(redirect_uri=self.callback("instagram"))
        self.bluesky = FakeBluesky()

    def callback(self, platform: str) -> str:
        return f"{self.public_url}/api/social/connections/{platform}/callback"

    @property
    def all(self) -> dict[str, Any]:
        return {"x": self.x, "mastodon": self.mastodon, "github": self.github,
                "instagram": self.instagram, "bluesky": self.bluesky}

    async def start(self) -> None:
        for fake in self.all.values():
            await fake.start()

    async def stop(self) -> None:
        for fake in self.all.values():
            await fake.stop()

    def config(self) -> dict[str, Any]:
        x, gh, ig = self.x.base_url, self.github.base_url, self.instagram.base_url
        return {
            "public_url": self.public_url, "token_keys": [self.token_key],
            "allow_loopback_instances": True,
            "delivery_retry_seconds": 0.3,  # retries within the test, not ten seconds apart
            "x": {"client_id": "x-client", "client_secret": "x-secret", "api_base": x,
                  "authorize_base": x},
            "mastodon": {},
            "github": {"client_id": "gh-client", "client_secret": "gh-secret", "api_base": gh,
                       "web_base": gh},
            "instagram": {"client_id": "ig-app", "client_secret": "ig-secret",
                          "authorize_base": ig, "oauth_base": ig, "graph_base": ig,
                          "publish_poll_s": 0.01},
            "bluesky": {"service": self.bluesky.base_url},
        }
