"""The numbered upgrade files (matrix_social/db/upgrade/vNN_*.py) make exactly the schema the
single upgrade module made, version for version, on SQLite and PostgreSQL: a database made
before the split upgrades on as if nothing had changed.

tests/fixtures/schema_v12.*.txt were dumped from the single module (db/upgrade.py, v1..v12)
before it was split; `python -m tests.test_upgrades` dumps the current package's schema at
that version again (to compare by hand)."""

from __future__ import annotations

import asyncio
import itertools
import sys
from pathlib import Path

import pytest
from mautrix.util.async_db import Database, UpgradeTable

from matrix_social.db import upgrade_table
from matrix_social.db.upgrade import RESERVED, check_numbers

from .harness import PostgresDatabase

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SPLIT_AT = 12  # the last version of the single module
DESCRIPTIONS_V1_V12 = [
    "Bridge state: processed transactions, AI puppets",
    "Social index: feed rooms, profiles, posts, likes, comments",
    "Profiles, AI profiles, apps, installs, full-text search",
    "AI rate limits, AI avatars",
    "Verified feed rooms' bots, quarantined events, idempotency",
    "External platforms: connections, OAuth state, Mastodon apps, item map, cross-post "
    "deliveries",
    "Activity sharing: settings mirror, activities, drafts, summary runs, AI conversations; "
    "app forks",
    "External platforms in Matrix: puppets, portal rooms, bridged items in the feed, shared "
    "items, management rooms, settings",
    "Post counters kept by triggers, covering feed index, the stored trending ranking",
    "The external item map per connection: (user, platform, account, remote id)",
    "Image derivatives made once, bounded quarantine, the process holding an Idempotency-Key "
    "claim",
    "Logins bound to the browser that started them; logins waiting for their starter's "
    "confirmation",
]


def _first(versions: int) -> UpgradeTable:
    table = UpgradeTable()
    table.upgrades = list(upgrade_table.upgrades[:versions])
    return table


async def _dump_sqlite(db: Database) -> list[str]:
    rows = await db.fetch("SELECT type, name, tbl_name, sql FROM sqlite_master "
                          "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
    return [f"{r['type']} {r['name']} on {r['tbl_name']}: {r['sql']}" for r in rows]


async def _dump_postgres(db: Database) -> list[str]:
    lines = []
    for r in await db.fetch(
            "SELECT table_name, column_name, data_type, is_nullable, column_default "
            "FROM information_schema.columns WHERE table_schema='public' "
            "ORDER BY table_name, column_name"):
        lines.append(f"column {r['table_name']}.{r['column_name']} {r['data_type']} "
                     f"nullable={r['is_nullable']} default={r['column_default']}")
    for r in await db.fetch("SELECT indexname, indexdef FROM pg_indexes "
                            "WHERE schemaname='public' ORDER BY indexname"):
        lines.append(f"index {r['indexname']}: {r['indexdef']}")
    for r in await db.fetch(
            "SELECT c.conrelid::regclass::text AS tbl, c.conname, pg_get_constraintdef(c.oid) "
            "AS def FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
            "WHERE n.nspname='public' ORDER BY tbl, c.conname"):
        lines.append(f"constraint {r['tbl']}.{r['conname']}: {r['def']}")
    for r in await db.fetch(
            "SELECT t.tgname, pg_get_triggerdef(t.oid) AS def FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname='public' AND NOT t.tgisinternal ORDER BY t.tgname"):
        lines.append(f"trigger {r['tgname']}: {r['def']}")
    for r in await db.fetch(
            "SELECT p.proname, pg_get_functiondef(p.oid) AS def FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname='public' "
            "ORDER BY p.proname"):
        lines.append(f"function {r['proname']}: {r['def']}")
    return lines


async def schema_at(kind: str, versions: int, tmp_path: Path) -> list[str]:
    """The schema (and the stored version) after the first `versions` upgrades."""
    postgres = PostgresDatabase() if kind == "postgres" else None
    if postgres:
        await postgres.create()
    url = postgres.url if postgres else f"sqlite:{tmp_path / 'schema.db'}"
    db = Database.create(url, upgrade_table=_first(versions))
    await db.start()
    try:
        dump = await (_dump_postgres(db) if postgres else _dump_sqlite(db))
        return [f"version {await db.fetchval('SELECT version FROM version')}", *dump]
    finally:
        await db.stop()
        if postgres:
            await postgres.drop()


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_the_upgrade_files_make_the_single_modules_schema(kind, tmp_path):
    expected = (FIXTURES / f"schema_v{SPLIT_AT}.{kind}.txt").read_text()
    assert "\n".join(await schema_at(kind, SPLIT_AT, tmp_path)) + "\n" == expected


def test_versions_keep_their_numbers_and_descriptions():
    assert len(upgrade_table.upgrades) >= SPLIT_AT
    described = [getattr(fn, "__mau_db_upgrade_description__", None)
                 for fn in upgrade_table.upgrades[:SPLIT_AT]]
    assert described == DESCRIPTIONS_V1_V12


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_v14_moves_the_activity_settings_mirror_into_the_one_settings_table(kind, tmp_path):
    """A database at v12 with both tables: after v14 one table holds both kinds of setting."""
    postgres = PostgresDatabase() if kind == "postgres" else None
    if postgres:
        await postgres.create()
    url = postgres.url if postgres else f"sqlite:{tmp_path / 'v12.db'}"
    try:
        db = Database.create(url, upgrade_table=_first(SPLIT_AT))
        await db.start()
        await db.execute("INSERT INTO social_settings (user_id, settings, updated_at) "
                         "VALUES ('@a:x', '{\"timezone\": \"Asia/Tokyo\"}', 5)")
        await db.execute("INSERT INTO user_setting (user_id, name, value, updated_at) "
                         "VALUES ('@a:x', 'cross_post_default', '[\"x\"]', 7)")
        await db.stop()
        db = Database.create(url, upgrade_table=_first(14))
        await db.start()
        rows = await db.fetch("SELECT user_id, name, value, updated_at FROM user_setting "
                              "ORDER BY name")
        assert [tuple(row) for row in rows] == [
            ("@a:x", "activity", '{"timezone": "Asia/Tokyo"}', 5),
            ("@a:x", "cross_post_default", '["x"]', 7)]
        tables = await (db.fetch("SELECT tablename AS name FROM pg_tables WHERE "
                                 "schemaname='public'") if postgres else db.fetch(
            "SELECT name FROM sqlite_master WHERE type='table'"))
        assert "social_settings" not in {row["name"] for row in tables}
        await db.stop()
    finally:
        if postgres:
            await postgres.drop()


def test_each_file_holds_the_version_its_number_says():
    # Numbers another branch has taken (RESERVED) are skipped until its file arrives.
    numbers = (n for n in itertools.count(1) if n not in RESERVED)
    for number, upgrade in zip(numbers, upgrade_table.upgrades, strict=False):
        module = upgrade.__module__.rsplit(".", 1)[1]
        assert module.startswith(f"v{number:02d}_"), (number, module)


def test_a_reserved_number_is_skipped_until_its_file_arrives():
    """Another branch's upgrade number (RESERVED) is left free here; once its file is here,
    loading stops until the number leaves RESERVED and the order is checked."""
    check_numbers([1, 2, 4], frozenset({3}))
    check_numbers([1, 2, 3], frozenset())
    with pytest.raises(RuntimeError, match=r"upgrade files \[3\] are here: take their "
                       "numbers out of RESERVED"):
        check_numbers([1, 2, 3, 4], frozenset({3}))  # its file arrived: says which
    for numbers, reserved in (([1, 2], {3}),  # reserved after the last file
                              ([1, 2, 5], {3}),  # a gap that is not reserved
                              ([1, 2, 4], set())):
        with pytest.raises(RuntimeError, match="without gaps"):
            check_numbers(numbers, frozenset(reserved))


if __name__ == "__main__":
    kind = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else None
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        text = "\n".join(asyncio.run(schema_at(kind, SPLIT_AT, Path(tmp)))) + "\n"
    if out:
        out.write_text(text)
    else:
        print(text, end="")
