"""Write a bridge config and registration for a local homeserver (dev stack and tests)."""

from __future__ import annotations

import pkgutil
from pathlib import Path

from ..config import Config

BASE_CONFIG = "pkg://matrix_social/example-config.yaml"


def encryption_available() -> bool:
    try:
        import olm  # noqa: F401
    except ImportError:
        return False
    return True


def write_bridge_config(
    config_path: Path,
    registration_path: Path,
    *,
    homeserver_url: str,
    domain: str,
    port: int,
    database: str,
    log_level: str = "INFO",
) -> Config:
    """Create config.yaml from the example (or reuse it) and (re)write the registration."""
    if not config_path.exists():
        config_path.write_bytes(pkgutil.get_data("matrix_social", "example-config.yaml"))
    config = Config(str(config_path), str(registration_path), BASE_CONFIG)
    config.load()
    config.update(save=False)
    config["homeserver.address"] = homeserver_url
    config["homeserver.domain"] = domain
    config["homeserver.verify_ssl"] = False
    config["appservice.address"] = f"http://127.0.0.1:{port}"
    config["appservice.hostname"] = "127.0.0.1"
    config["appservice.port"] = port
    config["appservice.database"] = database
    config["api.app_runner_url"] = "http://127.0.0.1:3000/run?app={url}"
    config["logging.root.level"] = log_level
    config["logging.loggers.mau.level"] = log_level
    config["logging.loggers.matrix_social.level"] = log_level
    config["bridge.encryption.allow"] = encryption_available()
    config["bridge.encryption.appservice"] = "auto"
    if config["appservice.as_token"].startswith("This value"):
        config.generate_registration()
    else:
        config._registration = config.registration()
    config.save()
    return config
