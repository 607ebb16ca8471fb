"""Numbered schema upgrades, one file per version (as mautrix bridges keep theirs), the same on
SQLite and PostgreSQL. A new version is a new file vNN_what.py here, with its DESCRIPTION and
`async def upgrade(conn, scheme)`; the files are applied in the order of their numbers.

RESERVED holds numbers a branch not merged yet has taken, so a file numbered after them keeps
its number here; when that branch's file arrives, its number must leave RESERVED (loading
fails until it does): the order of the two upgrades and the versions a database made on either
branch has recorded are then checked by hand. mautrix records the count of upgrades applied,
so until then a file's number is one more than its version for each reserved number below it."""

import importlib
import pkgutil
import re

from mautrix.util.async_db import UpgradeTable

_FILE = re.compile(r"v(\d{2,})_\w+")
RESERVED: frozenset[int] = frozenset()  # none now: v29 (issue 27) and v30 (issue 28) are both here


def check_numbers(numbers: list[int], reserved: frozenset[int] = RESERVED) -> None:
    """The upgrade files' numbers, in order: 1, 2, 3… with no gap but the reserved numbers,
    none of which may be here, and all of which come before the last."""
    if arrived := reserved.intersection(numbers):
        raise RuntimeError(f"upgrade files {sorted(arrived)} are here: take their numbers out "
                           "of RESERVED and check the order of the upgrades around them")
    last = numbers[-1] if numbers else 0
    expected = [n for n in range(1, last + 1) if n not in reserved]
    if numbers != expected or max(reserved, default=0) > last:
        raise RuntimeError("upgrade files must be numbered 1, 2, 3… without gaps but for "
                           f"RESERVED {sorted(reserved)}: {numbers}")


def _versions() -> list:
    found = sorted((int(m.group(1)), m.group(0)) for info in pkgutil.iter_modules(__path__)
                   if (m := _FILE.fullmatch(info.name)))
    check_numbers([number for number, _ in found])
    return [importlib.import_module(f"{__name__}.{name}") for _, name in found]


upgrade_table = UpgradeTable()
for _version in _versions():
    upgrade_table.register(description=_version.DESCRIPTION)(_version.upgrade)

__all__ = ["upgrade_table"]
