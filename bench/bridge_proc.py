"""The bridge as a program of its own (`python -m matrix_social -c config.yaml`), so its
memory can be read from /proc and its API timed from outside its event loop."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from matrix_social.devstack import die_with_parent
from matrix_social.devstack.bridge_config import write_bridge_config
from matrix_social.devstack.synapse import START_TIMEOUT_SECONDS, wait_until_healthy


class BridgeProcess:
    def __init__(self, config: Path, api_url: str, log: Path) -> None:
        self.config = config
        self.api_url = api_url
        self.log_path = log
        self.process: subprocess.Popen | None = None

    def _spawn(self) -> None:
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            die_with_parent.command([sys.executable, "-m", "matrix_social", "-c",
                                     str(self.config), "-n"]),
            stdout=self._log, stderr=subprocess.STDOUT)

    async def start(self, timeout: float = START_TIMEOUT_SECONDS) -> None:
        self._spawn()
        await wait_until_healthy(f"{self.api_url}/health", self.process, "matrix-social",
                                 timeout, lambda: self.log_path.read_text(errors="replace")[-3000:])

    def memory_mb(self) -> dict[str, float]:
        """Resident set now (VmRSS) and its peak (VmHWM), in MB (10^6 bytes)."""
        assert self.process is not None
        fields = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) * 1024 / 1e6
        return {"rss": fields["VmRSS"], "peak": fields["VmHWM"]}

    async def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        for _ in range(100):
            if self.process.poll() is not None:
                break
            await asyncio.sleep(0.1)
        else:
            self.process.kill()
            self.process.wait(10)
        self._log.close()
        self.process = None


async def service_as_process(stack) -> BridgeProcess:
    """A started test stack's service moved into a process of its own: the in-process bridge
    stopped, the config written again (logging at WARNING, the platform fakes kept), and the
    service started from it."""
    await stack.stop_bridge()
    config = write_bridge_config(
        stack.root / "config.yaml", stack.root / "registration.yaml",
        homeserver_url=stack.synapse.url, domain=stack.domain, port=stack.as_port,
        database=stack.database_url, log_level="WARNING")
    for key, value in stack.platforms.config().items():
        config[f"platforms.{key}"] = value
    config.save()
    stack.config = config
    bridge = BridgeProcess(stack.root / "config.yaml", stack.api_url,
                           stack.root / "bridge-process.log")
    await bridge.start(timeout=180)
    return bridge
