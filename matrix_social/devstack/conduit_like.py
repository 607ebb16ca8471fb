"""A Synapse that delivers to an appservice what Conduit delivers (Conduit cannot be built here).

What Conduit does, read in its source (famedly/conduit, mirror timokoesters/conduit, Feb 2026):
- its appservice transactions carry room events only: `ephemeral: Vec::new()` ("TODO:
  ephemeral pushing") in src/service/sending/mod.rs; no to-device events, device lists or
  one-time-key counts (no MSC2409 to-device, no MSC3202);
- the appservice's own bot may /sync like any user: src/api/client_server/sync.rs has no
  appservice check, and m.login.application_service gives the bot a device and token
  (src/api/client_server/session.rs).

The same on Synapse: both experimental flags off (Synapse.appservice_extensions=False: no
to-device events, device lists or key counts), and the registration Synapse loads changed by
`conduit_like_registration`:
- no receive_ephemeral: Synapse would still push typing and receipts (stable MSC2409);
- another sender_localpart: Synapse refuses /sync to an appservice's sender (500 M_UNKNOWN,
  NotImplementedError: "We no longer support AS users using /sync directly"), so the bot is an
  ordinary user of the appservice's exclusive namespace, which may /sync as on Conduit.
  mautrix names the bot in every request (?user_id=), so it still acts as the bot.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

EPHEMERAL_KEYS = ("receive_ephemeral", "de.sorunome.msc2409.push_ephemeral",
                  "push_ephemeral")


def conduit_like_registration(registration: dict[str, Any]) -> dict[str, Any]:
    reg = {k: v for k, v in registration.items() if k not in EPHEMERAL_KEYS}
    reg["sender_localpart"] = f"appservice-sender-{registration['id']}"
    return reg


def write_conduit_like_registration(path: Path, registration: dict[str, Any]) -> None:
    """The registration for the Conduit-like Synapse to load."""
    with open(path, "w") as f:
        YAML().dump(conduit_like_registration(registration), f)
