"""The platforms, one module each: everything a platform is and does, declared in its module
(its `PLATFORM`). Registering one is one line here; the order is the order people see them in."""

from __future__ import annotations

from ..platform import Platform
from . import bluesky, github, instagram, mastodon, x

REGISTERED: tuple[Platform, ...] = (x.PLATFORM, mastodon.PLATFORM, github.PLATFORM,
                                    instagram.PLATFORM, bluesky.PLATFORM)
