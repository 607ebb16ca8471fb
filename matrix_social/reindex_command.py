"""`matrix-social reindex`: rebuild the index with a progress bar, then exit.

Safe while the service runs (rows are idempotent by event id); counts are incomplete until it
finishes. It listens on an ephemeral loopback port so it never takes the service's port.
"""

from __future__ import annotations

from .bridge import SocialBridge
from .matrix.reindex import reindex


async def _run(bridge: SocialBridge) -> None:
    await bridge.start_db()
    await bridge.az.start("127.0.0.1", 0)
    services = bridge.services
    try:
        await reindex(bridge.az.intent, bridge.db, services.ingest, services.owners)
    finally:
        await bridge.az.stop()
        await bridge.stop_db()


def main(argv: list[str]) -> None:
    bridge = SocialBridge(argv)
    bridge.preinit()
    bridge.prepare()
    bridge.loop.run_until_complete(_run(bridge))
