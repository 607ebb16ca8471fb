"""How long a start takes, the figure the tests' start-up waits are set against:

    .venv/bin/python -m bench.startup [--runs 3]

- dev stack: `matrix-social dev` (Synapse + the service, SQLite) from the command's start to
  its login block, on a fresh data folder (Synapse generates its keys, both databases are
  created) and again on the reused folder;
- bridge: the service alone as its own process next to an already running Synapse, from spawn
  to `/api/social/health` answering and to mautrix's readiness probe (`/_matrix/mau/ready`:
  every start-up action done, the crypto store included).

The tests wait up to START_TIMEOUT_SECONDS (matrix_social/devstack/synapse.py) for any start:
the load average is printed next to the figures, since a busy machine stretches them."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import queue
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from matrix_social.devstack import die_with_parent
from matrix_social.devstack.ports import reserve_port
from matrix_social.devstack.synapse import START_TIMEOUT_SECONDS, Synapse, wait_until_healthy

from .bridge_proc import BridgeProcess


def _login_block(proc: subprocess.Popen, timeout: float) -> dict:
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout],
                     daemon=True).start()
    block: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        block.append(line)
        if line.startswith("}"):
            return json.loads("".join(block))
    raise RuntimeError(f"no login block in {timeout}s: {''.join(block)}")


def dev_start(data: Path, hs_port: int, as_port: int) -> float:
    """Seconds from spawning `matrix-social dev` to its login block; then stops it."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        die_with_parent.command([sys.executable, "-m", "matrix_social", "dev", "--data",
                                 str(data), "--homeserver-port", str(hs_port),
                                 "--bridge-port", str(as_port)]),
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        _login_block(proc, START_TIMEOUT_SECONDS)
        return time.perf_counter() - start
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


async def bridge_start(data: Path, hs_port: int, as_port: int) -> tuple[float, float]:
    """(to /health, to /_matrix/mau/ready) in seconds, next to the dev folder's Synapse."""
    synapse = Synapse(data / "synapse", hs_port, "localhost", [data / "registration.yaml"])
    await synapse.start()
    bridge = BridgeProcess(data / "config.yaml", f"http://127.0.0.1:{as_port}/api/social",
                           data / "bench-bridge.log")
    try:
        start = time.perf_counter()
        await bridge.start()  # until /api/social/health answers
        health = time.perf_counter() - start
        await wait_until_healthy(f"http://127.0.0.1:{as_port}/_matrix/mau/ready",
                                 bridge.process, "matrix-social", START_TIMEOUT_SECONDS)
        return health, time.perf_counter() - start
    finally:
        await bridge.stop()
        synapse.stop()


def _summary(values: list[float]) -> str:
    return (f"median {statistics.median(values):.2f} s, max {max(values):.2f} s "
            f"({', '.join(f'{v:.2f}' for v in values)})")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.startup")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    load_before = os.getloadavg()
    fresh, reused, health, ready = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        for run in range(args.runs):
            data = Path(tmp) / f"dev{run}"
            hs_port, as_port = reserve_port(), reserve_port()
            fresh.append(dev_start(data, hs_port, as_port))
            reused.append(dev_start(data, hs_port, as_port))
            to_health, to_ready = asyncio.run(bridge_start(data, hs_port, as_port))
            health.append(to_health)
            ready.append(to_ready)
            print(f"run {run + 1}: dev fresh {fresh[-1]:.2f} s, dev reused {reused[-1]:.2f} s, "
                  f"bridge health {to_health:.2f} s, ready {to_ready:.2f} s", flush=True)
    print(f"dev stack, fresh folder:  {_summary(fresh)}")
    print(f"dev stack, reused folder: {_summary(reused)}")
    print(f"bridge to /health:        {_summary(health)}")
    print(f"bridge to mau/ready:      {_summary(ready)}")
    print(f"load average before / after: {' '.join(f'{x:.2f}' for x in load_before)} / "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores; "
          f"tests wait up to {START_TIMEOUT_SECONDS:g} s")


if __name__ == "__main__":
    main()
