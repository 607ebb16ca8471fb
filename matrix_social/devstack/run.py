"""`matrix-social dev`: Synapse and this service on loopback, SQLite, a demo user.

Ctrl-C (or SIGTERM) stops both; if this process is killed outright, the kernel stops them
(die_with_parent.py)."""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from . import die_with_parent
from .bridge_config import write_bridge_config
from .synapse import START_TIMEOUT_SECONDS, Synapse, SynapseError, wait_until_healthy


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="matrix-social dev",
        description="Run a local homeserver (Synapse) and matrix-social on loopback.",
    )
    parser.add_argument("--data", default="matrix-social-dev", help="data folder (reused)")
    parser.add_argument("--homeserver-port", type=int, default=8008)
    parser.add_argument("--bridge-port", type=int, default=29340)
    parser.add_argument("--user", default="demo", help="demo user's localpart")
    return parser.parse_args(argv)


def _demo_password(data: Path) -> str:
    path = data / "demo-password"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(12))
        path.chmod(0o600)
    return path.read_text().strip()


async def _ensure_demo_user(synapse: Synapse, user: str, password: str) -> None:
    try:
        await synapse.register_user(user, password)
    except SynapseError as e:
        if "M_USER_IN_USE" not in str(e):
            raise


def _interrupt_once(signum, frame) -> None:
    """Ctrl-C or SIGTERM starts the stop; more of them are ignored: the stop is bounded (each
    process is killed after its timeout), and a second Ctrl-C would only cut it short with a
    traceback, leaving the children to the kernel."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def _stop(process: subprocess.Popen | None, timeout: float = 15) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main(argv: list[str]) -> None:
    args = _parse(argv)
    data = Path(args.data).resolve()
    data.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    domain = "localhost"
    synapse = Synapse(data / "synapse", args.homeserver_port, domain,
                      [data / "registration.yaml"], log_level="INFO")
    write_bridge_config(
        data / "config.yaml",
        data / "registration.yaml",
        homeserver_url=synapse.url,
        domain=domain,
        port=args.bridge_port,
        database=f"sqlite:{data / 'matrix-social.db'}",
    )
    password = _demo_password(data)
    bridge = None
    signal.signal(signal.SIGINT, _interrupt_once)
    signal.signal(signal.SIGTERM, _interrupt_once)
    try:
        asyncio.run(synapse.start())
        asyncio.run(_ensure_demo_user(synapse, args.user, password))
        with open(data / "matrix-social.log", "ab") as bridge_log:
            bridge = subprocess.Popen(
                die_with_parent.command([sys.executable, "-m", "matrix_social", "-c",
                                         str(data / "config.yaml"), "-r",
                                         str(data / "registration.yaml")]),
                stdout=bridge_log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        asyncio.run(wait_until_healthy(
            f"http://127.0.0.1:{args.bridge_port}/api/social/health", bridge, "matrix-social",
            START_TIMEOUT_SECONDS, lambda: "see matrix-social.log"))
        print(json.dumps({
            "homeserver": synapse.url,
            "user": f"@{args.user}:{domain}",
            "password": password,
            "api": f"http://127.0.0.1:{args.bridge_port}/api/social",
            "app": f"http://127.0.0.1:{args.bridge_port}/social/",
            "data": str(data),
            "started_in_seconds": round(time.monotonic() - started, 1),
        }, indent=2))
        print(f"Open the social app at http://127.0.0.1:{args.bridge_port}/social/ (or Element: "
              f"homeserver {synapse.url}), user {args.user}, password {password}. "
              f"Logs: {data}/*.log. Ctrl-C stops both.", flush=True)
        while bridge.poll() is None and synapse.process.poll() is None:
            time.sleep(0.5)
        print("A process stopped on its own; see the logs in", data, file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("Stopping...", file=sys.stderr)
    except SynapseError as e:
        print(f"matrix-social dev: {e}", file=sys.stderr)
        sys.exit(1)
    finally:
        _stop(bridge)
        synapse.stop()
