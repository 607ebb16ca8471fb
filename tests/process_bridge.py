"""A Stack whose bridge runs as its own OS process (`python -m matrix_social`), so a test can
`kill -9` it; the AI backend is an OpenAI-compatible fake with an API key (a platform secret)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from matrix_social.devstack import die_with_parent
from matrix_social.devstack.ports import reserve_port
from matrix_social.devstack.synapse import START_TIMEOUT_SECONDS, wait_until_healthy
from matrix_social.matrix.txn_guard import HOLD_ENV

from .fakes.openai import FakeOpenAI
from .harness import Stack

OPENAI_KEY = "sk-platform-secret-" + os.urandom(8).hex()



async def end_process(process: subprocess.Popen | None) -> None:
    """SIGTERM, 20 s to stop, then SIGKILL."""
    if process is None:
        return
    process.terminate()
    try:
        await asyncio.to_thread(process.wait, 20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def log_tail(path: Path, lines: int) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

class ProcessStack(Stack):
    """Synapse + the bridge as a subprocess on its own database; `bridge` stays None."""

    def __init__(self, root: Path, db_kind: str) -> None:
        super().__init__(root, db_kind)
        self.process: subprocess.Popen | None = None
        self.openai = FakeOpenAI(api_key=OPENAI_KEY)
        self.starts = 0
        self.metrics_port = reserve_port()

    @property
    def log_path(self) -> Path:
        return self.root / "bridge.log"

    @property
    def hold_path(self) -> Path:
        """While this file exists, the bridge holds the next transaction that has index writes
        gathered, before they are written (txn_guard's test-only hook); FILE.held then names
        the held posts."""
        return self.root / "hold-txn"

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.metrics_port}/metrics"

    def secrets(self) -> dict[str, str]:
        return {"as_token": self.config["appservice.as_token"],
                "hs_token": self.config["appservice.hs_token"],
                "openai_api_key": OPENAI_KEY}

    async def start_bridge(self) -> None:
        if self.starts == 0:
            await self.openai.start()
            self.config["ai.backend"] = "openai"
            self.config["ai.openai.base_url"] = self.openai.base_url
            self.config["ai.openai.api_key"] = OPENAI_KEY
            self.config["ai.openai.model"] = "fake-model"
            # every logger at DEBUG, aiohttp's access log (request lines) included
            self.config["logging.loggers.aiohttp.level"] = "DEBUG"
            self.config["metrics.enabled"] = True
            self.config["metrics.hostname"] = "127.0.0.1"
            self.config["metrics.listen_port"] = self.metrics_port
            self.config.save()
        self.starts += 1
        self.spawn()
        await self.wait_ready()

    def spawn(self) -> None:
        with open(self.log_path, "ab") as log:
            log.write(f"\n=== bridge start {self.starts} ===\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                die_with_parent.command([sys.executable, "-m", "matrix_social", "-c",
                                         str(self.root / "config.yaml"), "-n"]),
                stdout=log, stderr=subprocess.STDOUT, cwd=self.root, start_new_session=True,
                env={**os.environ, HOLD_ENV: str(self.hold_path)})

    async def wait_ready(self, timeout: float = START_TIMEOUT_SECONDS) -> None:
        """Until mautrix's readiness probe answers: every startup action done (the API's
        /health answers earlier, while the crypto store may still be set up)."""
        await wait_until_healthy(f"{self.appservice_url}/_matrix/mau/ready", self.process,
                                 "bridge", timeout, self.tail_log)

    def kill_bridge(self) -> None:
        """SIGKILL: no shutdown code runs, in-flight transactions are cut off."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.process = None

    async def stop_bridge(self) -> None:
        await end_process(self.process)
        self.process = None

    async def stop(self) -> None:
        await super().stop()
        await self.openai.stop()

    def tail_log(self, lines: int = 40) -> str:
        return log_tail(self.log_path, lines)


class ApiReplica:
    """`matrix-social serve --role api` beside a ProcessStack's bridge: its own OS process and
    port, the same config, database and homeserver (docs/replicas.md)."""

    def __init__(self, stack: ProcessStack, name: str, config: Path | None = None) -> None:
        self.stack = stack
        self.name = name
        self.config = config or stack.root / "config.yaml"
        self.port = reserve_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/social"

    @property
    def log_path(self) -> Path:
        return self.stack.root / f"{self.name}.log"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "matrix_social", "serve", "-c",
                str(self.config), "-n", "--role", "api",
                "--port", str(self.port)]

    def spawn(self) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                die_with_parent.command(self.command()), stdout=log, stderr=subprocess.STDOUT,
                cwd=self.stack.root, start_new_session=True,
                # the metrics port is the ingest process's
                env={**os.environ, "MATRIX_SOCIAL_METRICS_ENABLED": "json::false"})

    async def start(self) -> None:
        self.spawn()
        await wait_until_healthy(f"{self.url}/_matrix/mau/ready", self.process, self.name,
                                 START_TIMEOUT_SECONDS, self.tail_log)

    async def stop(self) -> None:
        await end_process(self.process)
        self.process = None

    def tail_log(self, lines: int = 40) -> str:
        return log_tail(self.log_path, lines)
