"""Every place we reach into mautrix-python beyond its public API, in one module.

`check()` verifies that what these seams rely on still exists in the installed mautrix; a test
runs it, so an upgrade that changes any of it fails loudly instead of breaking at run time.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from mautrix.appservice import AppService
from mautrix.appservice.state_store import ASStateStore
from mautrix.bridge import BaseMatrixHandler, Bridge
from mautrix.util.async_db import Database

from .delivery_recovery import DeliveryRecovery
from .transactions import make_router
from .txn_guard import make_txn_guard
from .txn_watch import TransactionWatcher

SUPPORTED = ">=0.21,<0.22"


def route_events(az: AppService, direct: Callable[[dict], Awaitable[None]],
                 watcher: TransactionWatcher) -> None:
    """Messages and reactions skip mautrix's parsing (transactions.py); handlers run one
    after another, in order, so the index sees events in their order and a failure can fail
    the transaction; the state store is updated by our handler, before the event is handled.
    Outermost, the watcher sees what each transaction carries (capabilities.py)."""
    az.synchronous_handlers = True
    az.event_handlers.remove(az.state_store.update_state)
    az.handle_transaction = make_router(az.handle_transaction, direct)
    watcher.install(az)


def guard_transactions(az: AppService, db: Database,
                       batch: Callable[[], AbstractAsyncContextManager],
                       recovery: DeliveryRecovery) -> None:
    """Our transaction guard around mautrix's handlers (txn_guard.py): it forgets mautrix's
    in-memory transaction ids, since it keeps its own by id and content."""
    az.app.middlewares.append(make_txn_guard(az.hs_token, db, az.transactions.discard, batch,
                                             recovery))


def limit_idle_connections(az: AppService, seconds: float) -> None:
    """A connection must complete each request's headers within `seconds` of opening (or of
    its previous answer), or it is closed: aiohttp's keep-alive timer also guards the first
    request, but mautrix builds its runner with the default of an hour. Call right after the
    appservice started; connections accepted before keep the default."""
    az.runner.server._kwargs["keepalive_timeout"] = seconds


def use_crypto_state_store(handler: BaseMatrixHandler, store: Any) -> None:
    """mautrix's bridge crypto store finds encrypted rooms through portals; we have none."""
    if handler.e2ee:
        handler.e2ee.state_store = store
        handler.e2ee.crypto.state_store = store


def check() -> list[str]:
    """What no longer matches in the installed mautrix; empty when every seam holds."""
    from aiohttp import web
    from mautrix.client.state_store import MemoryStateStore

    class _Store(ASStateStore, MemoryStateStore):
        pass

    problems = []
    az = AppService("http://127.0.0.1:9", "example.test", "as", "hs", "bot", "id",
                    state_store=_Store())
    expected = {"synchronous_handlers": bool, "event_handlers": list, "transactions": set,
                "app": web.Application, "hs_token": str}
    for attr, kind in expected.items():
        if not isinstance(getattr(az, attr, None), kind):
            problems.append(f"AppService.{attr} is no longer a {kind.__name__}")
    if az.state_store.update_state not in getattr(az, "event_handlers", []):
        problems.append("AppService no longer registers its state store as an event handler")
    params = inspect.signature(az.handle_transaction).parameters
    for name in ("txn_id", "events", "extra_data"):
        if name not in params:
            problems.append(f"AppService.handle_transaction has no '{name}' parameter")
    for name in ("handle_encrypted", "init_encryption", "int_handle_event",
                 "wait_for_connection"):
        if not hasattr(BaseMatrixHandler, name):
            problems.append(f"BaseMatrixHandler.{name} is gone")
    if "self._kwargs = kwargs" not in inspect.getsource(web.Server.__init__):
        problems.append("aiohttp's Server no longer keeps its handler arguments in _kwargs")
    if "keepalive_timeout" not in inspect.signature(web.RequestHandler).parameters:
        problems.append("aiohttp's RequestHandler has no keepalive_timeout")
    for name in ("start_db", "stop_db", "prepare_bridge", "prepare_appservice"):
        if not hasattr(Bridge, name):
            problems.append(f"Bridge.{name} is gone")
    try:
        from mautrix.bridge.e2ee import EncryptionManager
    except ImportError:
        pass  # encryption extra not installed: that seam is unused
    else:
        source = inspect.getsource(EncryptionManager)
        if "self.state_store" not in source or "self.crypto" not in source:
            problems.append("EncryptionManager no longer keeps state_store and crypto")
    return problems
