"""The example config as shipped: an operator who follows the README (copy it, set the
homeserver's address and domain and where the homeserver reaches the service, generate the
registration, turn on Synapse's appservice extensions) gets AIs that answer encrypted DMs
encrypted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from nio import RoomMessageText

from matrix_social.devstack import die_with_parent
from matrix_social.devstack.ports import reserve_port
from matrix_social.devstack.synapse import START_TIMEOUT_SECONDS, Synapse, wait_until_healthy
from matrix_social.matrix.e2be_notices import NO_ROUTE, UNDECRYPTABLE

from .encrypted_client import EncryptedClient
from .harness import Homeserver

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.yaml"


def shipped_config(root: Path, homeserver_url: str, domain: str, as_port: int) -> Path:
    """config.example.yaml with only what step 1 of the README says to set changed."""
    text = EXAMPLE.read_text()
    for old, new in (("address: https://matrix.example.com", f"address: {homeserver_url}"),
                     ("domain: example.com", f"domain: {domain}"),
                     # appservice.address, and the port it names
                     ("address: http://127.0.0.1:29340", f"address: http://127.0.0.1:{as_port}"),
                     ("    port: 29340", f"    port: {as_port}")):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = root / "config.yaml"
    path.write_text(text)
    return path


class ShippedConfigStack(Homeserver):
    """Synapse with the README's settings and the service as its own process, started from
    the example config (its SQLite database next to it, as shipped)."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root
        self.as_port = reserve_port()
        self.domain = "localhost"
        self.synapse = Synapse(root / "synapse", reserve_port(), self.domain,
                               [root / "registration.yaml"], appservice_extensions=True)
        self.process: subprocess.Popen | None = None

    @property
    def log(self) -> Path:
        return self.root / "service.log"

    def mxid(self, localpart: str) -> str:
        return f"@{localpart}:{self.domain}"

    def start_service(self) -> None:
        config = shipped_config(self.root, self.synapse.url, self.domain, self.as_port)
        generate = subprocess.run(
            [sys.executable, "-m", "matrix_social", "-g", "-c", str(config), "-r",
             str(self.root / "registration.yaml")],
            cwd=self.root, capture_output=True, text=True, timeout=START_TIMEOUT_SECONDS)
        assert generate.returncode == 0, generate.stderr
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                die_with_parent.command([sys.executable, "-m", "matrix_social", "-c",
                                         str(config)]),
                cwd=self.root, stdout=log, stderr=subprocess.STDOUT)

    async def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.start_service()  # writes the registration Synapse loads
        await self.synapse.start()
        await wait_until_healthy(f"http://127.0.0.1:{self.as_port}/_matrix/mau/ready",
                                 self.process, "matrix-social", START_TIMEOUT_SECONDS,
                                 lambda: self.log.read_text(errors="replace")[-3000:])

    async def stop(self) -> None:
        await self.close_clients()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.synapse.stop()

    async def request(self, method: str, url: str, *, token: str | None = None) -> tuple:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with aiohttp.ClientSession() as session, \
                session.request(method, url, headers=headers) as resp:
            return resp.status, await resp.json(content_type=None)


@pytest.fixture(scope="module")
async def shipped(tmp_path_factory):
    stack = ShippedConfigStack(tmp_path_factory.mktemp("shipped-config"))
    try:
        await stack.start()
        yield stack
    finally:
        await stack.stop()


async def test_the_shipped_example_config_answers_an_encrypted_dm_to_an_ai_encrypted(
        shipped, tmp_path):
    stack = shipped
    alice, bob = await stack.register("alice"), await stack.register("bob")
    ai, bot = stack.mxid(f"{alice.localpart}_ai"), stack.mxid("social")
    client = EncryptedClient(stack, bob, tmp_path)
    await client.login()
    room_id = await client.encrypted_room([ai], wait_for=[ai, bot])
    await client.send(room_id, "What can you do?")  # checked: m.room.encrypted on the server

    messages, undecryptable = await client.messages_from(room_id, ai, timeout=90)
    assert undecryptable == [], "the AI's answer could not be decrypted"
    [answer] = messages
    assert isinstance(answer, RoomMessageText) and answer.decrypted, answer
    # the builtin backend's answer, not the notice of an AI that cannot read the room
    assert answer.body.strip(), answer
    assert not answer.body.startswith((NO_ROUTE.split("{")[0], UNDECRYPTABLE.split("{")[0])), \
        answer.body
    raw = await client.raw_event(room_id, answer.event_id)
    assert (raw["type"], raw["sender"]) == ("m.room.encrypted", ai), raw
    assert "body" not in raw["content"], raw

    status, health = await stack.request(
        "GET", f"http://127.0.0.1:{stack.as_port}/api/social/health")
    assert status == 200, health
    assert (health["encryption"]["setting"], health["encryption"]["route"]) == (
        "auto", "appservice"), health["encryption"]
