"""Run a real Synapse (from PyPI) on loopback, configured for an appservice and fast tests."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import importlib.util
import secrets
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
from ruamel.yaml import YAML

from . import die_with_parent

# How long a start may take before it is an error: a busy machine (CI sharing two cores with
# other jobs) can make a start that normally takes 2-3 s take a minute.
START_TIMEOUT_SECONDS = 180.0

_UNLIMITED = {"per_second": 10000, "burst_count": 10000}
_RATE_LIMITS = {
    "rc_message": _UNLIMITED,
    "rc_registration": _UNLIMITED,
    "rc_login": {"address": _UNLIMITED, "account": _UNLIMITED, "failed_attempts": _UNLIMITED},
    "rc_admin_redaction": _UNLIMITED,
    "rc_joins": {"local": _UNLIMITED, "remote": _UNLIMITED},
    "rc_joins_per_room": _UNLIMITED,
    "rc_invites": {"per_room": _UNLIMITED, "per_user": _UNLIMITED, "per_issuer": _UNLIMITED},
    "rc_3pid_validation": _UNLIMITED,
    "rc_media_create": _UNLIMITED,
    "rc_presence": {"per_user": _UNLIMITED},
    "rc_room_creation": _UNLIMITED,
    "rc_profile": _UNLIMITED,
    "rc_user_directory": _UNLIMITED,
}


class SynapseError(RuntimeError):
    pass


async def wait_until_healthy(url: str, process: subprocess.Popen | None, name: str,
                             timeout: float, logs=lambda: "") -> None:
    """Poll `url` until it answers 200; fail early if `process` exits."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if process is not None and process.poll() is not None:
                raise SynapseError(f"{name} exited with code {process.returncode}:\n{logs()}")
            try:
                async with session.get(url) as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise SynapseError(f"{name} did not answer {url} in {timeout}s:\n{logs()}")


# Synapse's documented URL-preview blacklist: loopback, private, link-local, reserved ranges.
PRIVATE_RANGES = [
    "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
    "192.0.0.0/24", "169.254.0.0/16", "192.88.99.0/24", "198.18.0.0/15", "192.0.2.0/24",
    "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "0.0.0.0/8", "::1/128", "fe80::/10",
    "fc00::/7", "2001:db8::/32", "ff00::/8", "fec0::/10",
]


def _previews_available() -> bool:
    """Synapse refuses to start with previews on and without its url-preview extra
    (beautifulsoup4, as matrix-synapse[url-preview] installs it)."""
    return importlib.util.find_spec("bs4") is not None


class Synapse:
    """One Synapse process; its files live in `data_dir` and survive a restart."""

    def __init__(
        self,
        data_dir: Path,
        port: int,
        server_name: str,
        appservice_files: list[Path],
        log_level: str = "WARNING",
        federation_port: int | None = None,
        appservice_extensions: bool = True,
        open_registration: bool = False,
        previews_of_loopback: bool = False,
        sliding_sync: bool = True,
        registration_requires_token: bool = False,
        captcha_siteverify_api: str | None = None,
    ) -> None:
        """`previews_of_loopback`: URL previews may fetch 127.0.0.1 (tests' own pages only;
        every private range stays refused otherwise). `registration_requires_token`: anybody
        holding a registration token (made with the admin API) may sign up, nobody else.
        `captcha_siteverify_api`: sign-ups pass a reCAPTCHA stage whose answers Synapse checks
        with this URL (a test's fake of Google's siteverify)."""
        self.data_dir = Path(data_dir)
        self.port = port
        self.federation_port = federation_port
        self.server_name = server_name
        self.appservice_files = appservice_files
        self.log_level = log_level
        self.appservice_extensions = appservice_extensions
        # Anybody may sign up, after accepting terms of service (the web app's sign-up test).
        self.open_registration = open_registration
        self.previews_of_loopback = previews_of_loopback
        self.sliding_sync = sliding_sync
        self.registration_requires_token = registration_requires_token
        self.captcha_siteverify_api = captcha_siteverify_api
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def config_path(self) -> Path:
        return self.data_dir / "homeserver.yaml"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "homeserver.log"

    def _secret(self, name: str) -> str:
        path = self.data_dir / f"{name}.secret"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(32))
        return path.read_text().strip()

    @property
    def shared_secret(self) -> str:
        return self._secret("registration_shared")

    def write_config(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        signing_key = self.data_dir / "signing.key"
        if not signing_key.exists():
            from signedjson.key import generate_signing_key, write_signing_keys

            with open(signing_key, "w") as f:
                write_signing_keys(f, [generate_signing_key("a_" + secrets.token_hex(2))])
        log_config = self.data_dir / "log.yaml"
        yaml = YAML()
        with open(log_config, "w") as f:
            yaml.dump(
                {
                    "version": 1,
                    "formatters": {
                        "f": {"format": "%(asctime)s %(name)s %(levelname)s %(message)s"}
                    },
                    "handlers": {
                        "file": {"class": "logging.FileHandler", "formatter": "f",
                                 "filename": str(self.log_path)},
                    },
                    "root": {"level": self.log_level, "handlers": ["file"]},
                    "disable_existing_loggers": False,
                },
                f,
            )
        config = {
            **self._federation_config(),
            "server_name": self.server_name,
            "pid_file": str(self.data_dir / "homeserver.pid"),
            "public_baseurl": f"{self.url}/",
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client", "federation", *self._consent_resource()],
                                   "compress": False}],
                },
                *self._federation_listeners(),
            ],
            "database": {
                "name": "sqlite3",
                "args": {"database": str(self.data_dir / "homeserver.db")},
            },
            "log_config": str(log_config),
            "media_store_path": str(self.data_dir / "media_store"),
            "signing_key_path": str(signing_key),
            "registration_shared_secret": self.shared_secret,
            "macaroon_secret_key": self._secret("macaroon"),
            "form_secret": self._secret("form"),
            "report_stats": False,
            "enable_registration": False,
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "app_service_config_files": [str(p) for p in self.appservice_files],
            "enable_metrics": False,
            # Link previews come from the homeserver (the service never fetches a URL): its
            # rules decide what may be fetched, never a private address.
            "url_preview_enabled": _previews_available(),
            "url_preview_ip_range_blacklist": PRIVATE_RANGES,
            "url_preview_ip_range_whitelist": ["127.0.0.1"] if self.previews_of_loopback else [],
            # Throwaway local accounts: the cheapest password hashing bcrypt allows (Synapse's
            # default of 12 rounds costs a quarter of a second per registration and login).
            "bcrypt_rounds": 4,
            # Feed rooms are listed in the public room directory (Synapse publishes no room by
            # default): their aliases belong to the appservice alone, so this lets exactly
            # the rooms its bot creates in.
            "room_list_publication_rules": [{"alias": "#feed_*", "action": "allow"}],
            "presence": {"enabled": False},
            # To-device events, device lists and one-time-key counts in appservice
            # transactions: end-to-bridge encryption for AI puppets needs them (Synapse does
            # not let an appservice's own user /sync). Off: what Conduit delivers.
            "experimental_features": {
                "msc2409_to_device_messages_enabled": self.appservice_extensions,
                "msc3202_transaction_extensions": self.appservice_extensions,
                # Simplified sliding sync (MSC4186): Conduit has none either.
                "msc3575_enabled": self.sliding_sync,
            },
            **_RATE_LIMITS,
            **self._registration_config(),
        }
        with open(self.config_path, "w") as f:
            yaml.dump(config, f)

    def _consent_resource(self) -> list[str]:
        return ["consent"] if self.open_registration else []

    def _registration_config(self) -> dict:
        """Closed unless `open_registration`: then open without email or captcha, with a
        terms-of-service stage (m.login.terms) every sign-up must accept. With
        `registration_requires_token` open to token holders only (m.login.registration_token),
        with `captcha_siteverify_api` after a reCAPTCHA (m.login.recaptcha); both without
        terms."""
        if not self.open_registration:
            if not (self.registration_requires_token or self.captcha_siteverify_api):
                return {}
            config: dict = {"enable_registration": True,
                            "enable_registration_without_verification": True}
            if self.registration_requires_token:
                config["registration_requires_token"] = True
            if self.captcha_siteverify_api:
                config.update(enable_registration_captcha=True,
                              recaptcha_public_key="test-site-key",
                              recaptcha_private_key="test-secret-key",
                              recaptcha_siteverify_api=self.captcha_siteverify_api)
            return config
        terms = self.data_dir / "terms"
        (terms / "en").mkdir(parents=True, exist_ok=True)
        (terms / "en" / "1.0.html").write_text(
            "<!doctype html><html lang=en><title>Terms of service</title>"
            "<h1>Terms of service</h1><p>Be kind. This is a test server.</p></html>")
        (terms / "en" / "success.html").write_text(
            "<!doctype html><html lang=en><title>Thank you</title><p>Accepted.</p></html>")
        return {
            "enable_registration": True,
            "enable_registration_without_verification": True,
            "user_consent": {"template_dir": str(terms), "version": "1.0",
                             "require_at_registration": True,
                             "policy_name": "Terms of service"},
        }

    def _federation_listeners(self) -> list[dict]:
        if self.federation_port is None:
            return []
        return [{
            "port": self.federation_port,
            "bind_addresses": ["127.0.0.1"],
            "type": "http",
            "tls": True,
            "x_forwarded": False,
            "resources": [{"names": ["federation", "keys", "media"], "compress": False}],
        }]

    def _federation_config(self) -> dict:
        """Federation over loopback: a self-signed certificate, loopback allowed."""
        if self.federation_port is None:
            return {}
        cert, key = self.data_dir / "tls.crt", self.data_dir / "tls.key"
        if not cert.exists():
            subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
                 "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
                check=True, capture_output=True)
        return {
            "tls_certificate_path": str(cert),
            "tls_private_key_path": str(key),
            "federation_verify_certificates": False,
            "ip_range_whitelist": ["127.0.0.1"],
            # A peer that was down is retried within seconds, not minutes.
            "federation": {"destination_min_retry_interval": "1s",
                           "destination_max_retry_interval": "5s"},
        }

    def spawn(self) -> None:
        self.write_config()
        with open(self.data_dir / "stdout.log", "ab") as log_out:
            self.process = subprocess.Popen(
                die_with_parent.command([sys.executable, "-m", "synapse.app.homeserver",
                                         "-c", str(self.config_path)]),
                stdout=log_out,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                start_new_session=True,
            )

    async def start(self, timeout: float = START_TIMEOUT_SECONDS) -> None:
        self.spawn()
        await self.wait_healthy(timeout)

    async def wait_healthy(self, timeout: float) -> None:
        await wait_until_healthy(f"{self.url}/health", self.process, "Synapse", timeout,
                                 self.tail_logs)

    def tail_logs(self, lines: int = 30) -> str:
        out = []
        for path in (self.data_dir / "stdout.log", self.log_path):
            if path.exists():
                out += path.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join(out)

    def stop(self, timeout: float = 15.0) -> None:
        if not self.process or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)

    async def register_user(self, localpart: str, password: str, admin: bool = False) -> dict:
        """Register through the shared-secret admin API; returns user_id and access_token."""
        url = f"{self.url}/_synapse/admin/v1/register"
        async with aiohttp.ClientSession() as session:
            async with session.get(url) as resp:
                nonce = (await resp.json())["nonce"]
            admin_flag = "admin" if admin else "notadmin"
            mac = hmac.new(
                self.shared_secret.encode(),
                "\x00".join((nonce, localpart, password, admin_flag)).encode(),
                hashlib.sha1,
            )
            body = {"nonce": nonce, "username": localpart, "password": password,
                    "admin": admin, "mac": mac.hexdigest()}
            async with session.post(url, json=body) as resp:
                data = await resp.json()
                if resp.status != 200:
                    raise SynapseError(f"register {localpart}: {resp.status} {data}")
                return data

    async def login(self, localpart: str, password: str) -> dict:
        async with aiohttp.ClientSession() as session:
            body = {"type": "m.login.password", "password": password,
                    "identifier": {"type": "m.id.user", "user": localpart}}
            async with session.post(f"{self.url}/_matrix/client/v3/login", json=body) as resp:
                data = await resp.json()
                if resp.status != 200:
                    raise SynapseError(f"login {localpart}: {resp.status} {data}")
                return data

