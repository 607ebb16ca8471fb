"""The command line: registration generation, config validation, the dev stack."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from matrix_social.devstack.ports import reserve_port

from .harness import yaml_with

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "matrix_social" / "example-config.yaml"


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "matrix_social", *args],
        cwd=cwd, capture_output=True, text=True, timeout=180,
    )


def make_config(tmp_path: Path, **overrides) -> Path:
    text = EXAMPLE.read_text()
    text = text.replace("address: https://matrix.example.com", "address: http://127.0.0.1:8008")
    text = text.replace("domain: example.com", "domain: test.local")
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return yaml_with(path, path, {k.replace("__", "."): v for k, v in overrides.items()})


def test_generate_registration_stores_tokens_and_keeps_comments(tmp_path):
    config = make_config(tmp_path)
    result = run_cli("-g", "-c", str(config), "-r", str(tmp_path / "reg.yaml"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    reg = YAML().load(tmp_path / "reg.yaml")
    saved = YAML().load(config)
    assert reg["as_token"] == saved["appservice"]["as_token"]
    assert reg["hs_token"] == saved["appservice"]["hs_token"]
    assert len(reg["as_token"]) > 40 and reg["as_token"] != reg["hs_token"]
    assert reg["sender_localpart"] == "social"
    users = {(ns["regex"], ns["exclusive"]) for ns in reg["namespaces"]["users"]}
    assert ("@.*_ai:test\\.local", True) in users
    assert ("@social:test\\.local", True) in users
    for prefix in ("x_", "mastodon_", "github_", "instagram_"):
        assert (f"@{prefix}.*:test\\.local", True) in users
    assert ("@.*:test\\.local", False) in users
    assert reg["namespaces"]["aliases"] == [{"exclusive": True, "regex": "#feed_.*:test\\.local"}]
    assert "# Where the homeserver reaches this service" in config.read_text()


def test_masquerade_switch_drops_the_local_user_namespace(tmp_path):
    config = make_config(tmp_path, bridge__masquerade_local_users=False)
    result = run_cli("-g", "-c", str(config), "-r", str(tmp_path / "reg.yaml"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    reg = YAML().load(tmp_path / "reg.yaml")
    assert all(ns["exclusive"] for ns in reg["namespaces"]["users"])


def test_encryption_is_on_in_the_registration_as_shipped_and_msc4190_adds_its_flag(tmp_path):
    config = make_config(tmp_path)
    result = run_cli("-g", "-c", str(config), "-r", str(tmp_path / "reg.yaml"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    reg = YAML().load(tmp_path / "reg.yaml")
    assert reg["org.matrix.msc3202"] is True and reg["receive_ephemeral"] is True
    assert "io.element.msc4190" not in reg

    config = make_config(tmp_path, bridge__encryption__msc4190=True)
    result = run_cli("-g", "-c", str(config), "-r", str(tmp_path / "reg.yaml"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert YAML().load(tmp_path / "reg.yaml")["io.element.msc4190"] is True


def test_committed_example_registration_is_what_the_program_writes(tmp_path):
    out = tmp_path / "registration.yaml"
    result = run_cli("--example-registration", "-c", str(EXAMPLE), "-r", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert out.read_text() == (ROOT / "registration.yaml").read_text()


TOKENS = {"appservice__as_token": "a", "appservice__hs_token": "b"}


@pytest.mark.parametrize(
    ("override", "field", "expected"),
    [
        ({"appservice__port": "eighty"}, "appservice.port", "a port number"),
        ({"homeserver__address": "not a url"}, "homeserver.address", "an http(s) URL"),
        ({"appservice__database": "mysql://x"}, "appservice.database", "sqlite:FILE"),
        ({"homeserver__domain": KeyError}, "homeserver.domain", "server name"),
        ({"appservice__as_token": ""}, "appservice.as_token", "a token"),
        ({"bridge__masquerade_local_users": "yes"}, "bridge.masquerade_local_users", "true or"),
        ({"platforms__x": {"client_id": "id"}}, "platforms.public_url", "public URL"),
        ({"platforms__x": {"client_id": "id"}, "platforms__public_url": "https://s.example"},
         "platforms.token_keys", "at least one Fernet key"),
        ({"platforms__token_keys": ["not-a-key"]}, "platforms.token_keys", "Fernet keys"),
        ({"platforms__github": {"client_id": "id", "api_base": "file:///etc"}},
         "platforms.github", "base URLs http(s)"),
        ({"platforms__instagram": {"client_secret": "s"}}, "platforms.instagram",
         "client_id"),
        # Each platform's section takes the keys its module's settings declare, no other.
        ({"platforms__x": {"client_id": "id", "api_bass": "https://api.x.com"}}, "platforms.x",
         "api_base"),
        ({"platforms__mastodon_visibility": "everyone"}, "platforms.mastodon_visibility",
         "public, unlisted"),
    ],
)
def test_bad_config_stops_with_one_line_naming_the_field(tmp_path, capsys, override, field,
                                                        expected):
    config = make_config(tmp_path, **(TOKENS | override))
    line = _config_error_in_process(config, capsys)
    assert field in line and expected in line, line


def test_a_bad_config_stops_the_program_before_it_starts_with_one_line(tmp_path):
    """The whole program, as an operator runs it (the cases above check the same steps in this
    process, where a Python start-up per case cost ~1.3 s of CPU each)."""
    config = make_config(tmp_path, **(TOKENS | {"appservice__port": "eighty"}))
    result = run_cli("-c", str(config), "-n", cwd=tmp_path)
    assert result.returncode == 11
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "appservice.port" in lines[0] and "a port number" in lines[0], lines[0]


def _config_error_in_process(config: Path, capsys) -> str:
    """What `matrix-social -c CONFIG -n` prints on stopping at a bad config: the program's own
    parse, load and checks (SocialBridge.preinit's, without its logging set-up, which would
    take over this test process's logging). It must stop with 11 and one line."""
    from matrix_social.bridge import SocialBridge

    bridge = SocialBridge(["-c", str(config), "-n"])
    bridge.prepare_arg_parser()
    bridge.args = bridge.parser.parse_args(bridge.argv)
    with pytest.raises(SystemExit) as stopped:
        bridge.prepare_config()
        bridge.check_config()
    assert stopped.value.code == 11
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_missing_config_file_is_one_clear_line(tmp_path):
    result = run_cli("-c", str(tmp_path / "absent.yaml"), cwd=tmp_path)
    assert result.returncode == 11
    assert "absent.yaml not found" in result.stderr.strip()


DEV_START_SECONDS = 180  # a start takes 2-3 s idle; on a busy 2-core machine, far longer
DEV_STOP_SECONDS = 120


def _processes_naming(text: str) -> list[int]:
    """Live processes whose command line names `text` (a test's own data folder)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()  # empty for a zombie
        except OSError:
            continue
        if text.encode() in cmdline:
            found.append(int(entry.name))
    return found


def _until_none_left(data: Path, timeout: float = 180) -> list[int]:
    deadline = time.monotonic() + timeout
    while (left := _processes_naming(str(data))) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


@pytest.fixture
def dev_processes(tmp_path):
    """Every `matrix-social dev` a test starts, and whatever still names the test's folder,
    is killed when the test ends, passed or failed."""
    started: list[subprocess.Popen] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
    for pid in _processes_naming(str(tmp_path)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _read_json_block(proc: subprocess.Popen, timeout: float) -> dict:
    """The login block the dev command prints, read off its stdout by a thread (a plain
    readline would wait forever on a command that hangs)."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout],
                     daemon=True).start()
    deadline = time.monotonic() + timeout
    block: list[str] = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        block.append(line)
        if line.startswith("}"):
            return json.loads("".join(block))
    raise AssertionError(f"dev stack printed no login block in {timeout}s: {''.join(block)}")


def _start_dev(data: Path, hs_port: int, as_port: int,
               started: list[subprocess.Popen]) -> tuple[subprocess.Popen, dict]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "matrix_social", "dev", "--data", str(data),
         "--homeserver-port", str(hs_port), "--bridge-port", str(as_port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    started.append(proc)
    return proc, _read_json_block(proc, timeout=DEV_START_SECONDS)


def _run_dev_once(data: Path, hs_port: int, as_port: int, started: list[subprocess.Popen],
                  stop_with: signal.Signals) -> dict:
    proc, info = _start_dev(data, hs_port, as_port, started)
    proc.send_signal(stop_with)
    time.sleep(0.5)
    proc.send_signal(stop_with)  # impatient: pressed twice
    proc.wait(timeout=DEV_STOP_SECONDS)
    errors = proc.stderr.read()
    assert proc.returncode == 0 and "Traceback" not in errors, errors
    assert _until_none_left(data) == [], f"processes left running after {stop_with.name}"
    return info


def test_dev_stack_starts_prints_login_and_reuses_its_folder(tmp_path, dev_processes):
    data = tmp_path / "dev"
    hs_port, as_port = reserve_port(), reserve_port()
    first = _run_dev_once(data, hs_port, as_port, dev_processes, signal.SIGINT)  # Ctrl-C
    assert first["homeserver"] == f"http://127.0.0.1:{hs_port}"
    assert first["user"] == "@demo:localhost"
    assert (data / "matrix-social.db").exists()
    second = _run_dev_once(data, hs_port, as_port, dev_processes, signal.SIGTERM)
    assert second["password"] == first["password"]
    assert os.path.exists(data / "synapse" / "homeserver.db")


def test_dev_stacks_children_end_when_it_is_killed_outright(tmp_path, dev_processes):
    """SIGKILL runs no cleanup in the dev command (a CI timeout, the OOM killer): its Synapse
    and service must not outlive it, holding their ports and folder."""
    data = tmp_path / "dev"
    proc, _ = _start_dev(data, reserve_port(), reserve_port(), dev_processes)
    children = {pid: Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                for pid in _processes_naming(str(data)) if pid != proc.pid}
    assert any("synapse.app.homeserver" in c for c in children.values()), children
    assert any("-m matrix_social -c" in c for c in children.values()), children
    proc.kill()
    proc.wait(30)
    left = _until_none_left(data)
    assert left == [], f"outlived the dev command: {[children.get(pid, pid) for pid in left]}"


def test_a_stop_that_hangs_ends_the_process_and_names_what_still_ran(tmp_path):
    """A stop waiting on a homeserver that died with us (seen once in a killed dev stack under
    load: the service outlived its parent by minutes) must not keep the process alive."""
    script = tmp_path / "hang.py"
    script.write_text(
        "import asyncio, logging, sys\n"
        "from matrix_social.bridge import arm_stop_deadline\n"
        "logging.basicConfig(stream=sys.stderr)\n"
        "async def waits_on_a_dead_homeserver():\n"
        "    await asyncio.sleep(3600)\n"
        "async def main():\n"
        "    asyncio.get_running_loop().create_task(waits_on_a_dead_homeserver())\n"
        "    arm_stop_deadline(0.5, asyncio.get_running_loop(), logging.getLogger('stop'))\n"
        "    await asyncio.sleep(3600)\n"
        "asyncio.run(main())\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1
    assert "Stopping took longer than 0.5 s" in done.stderr
    assert "waits_on_a_dead_homeserver" in done.stderr
