"""Turns events from the transaction stream into index rows."""

from __future__ import annotations

import logging
from collections import Counter
from typing import TYPE_CHECKING

from mautrix.types import Event

if TYPE_CHECKING:
    from ..bridge import SocialBridge

log = logging.getLogger("matrix_social.ingest")


class Ingest:
    def __init__(self, bridge: SocialBridge) -> None:
        self.bridge = bridge
        self.seen: Counter[str] = Counter()

    async def handle(self, evt: Event) -> None:
        self.seen[str(evt.type)] += 1
        log.debug("Event %s of type %s in %s", getattr(evt, "event_id", None), evt.type,
                  getattr(evt, "room_id", None))
