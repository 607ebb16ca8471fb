"""Numbered schema upgrades, one file per version (as mautrix bridges keep theirs), the same on
SQLite and PostgreSQL. A new version is a new file vNN_what.py here, with its DESCRIPTION and
`async def upgrade(conn, scheme)`; the files are applied in the order of their numbers."""

import importlib
import pkgutil
import re

from mautrix.util.async_db import UpgradeTable

_FILE = re.compile(r"v(\d{2,})_\w+")


def _versions() -> list:
    found = sorted((int(m.group(1)), m.group(0)) for info in pkgutil.iter_modules(__path__)
                   if (m := _FILE.fullmatch(info.name)))
    numbers = [number for number, _ in found]
    if numbers != list(range(1, len(found) + 1)):
        raise RuntimeError(f"upgrade files must be numbered 1, 2, 3… without gaps: {numbers}")
    return [importlib.import_module(f"{__name__}.{name}") for _, name in found]


upgrade_table = UpgradeTable()
for _version in _versions():
    upgrade_table.register(description=_version.DESCRIPTION)(_version.upgrade)

__all__ = ["upgrade_table"]
