"""Search: posts by full text (PostgreSQL tsvector + GIN, SQLite FTS5), users and apps."""

from __future__ import annotations

import re

from mautrix.util.async_db import Database, Scheme

from .feed import SELECT_POST

_WORD = re.compile(r"\w+", re.UNICODE)


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def words(query: str) -> list[str]:
    """The query's words (letters, digits): nothing else of it reaches the full-text syntax
    of either database, so quotes, `*`, `NEAR`, `:` or `&` are never operators."""
    return _WORD.findall(query.lower())[:16]


# Tiers of a match, best first: the words as a phrase (in order, adjacent), then all of them
# anywhere. Within a tier, newest first, through the post_ts index: the work per page is the
# page, not the matches (PostgreSQL's planner reads a rare word's few matches from the GIN
# index instead, and sorts them).
PHRASE, ALL_WORDS = 2, 1


def _match(db: Database, terms: list[str], tier: int) -> tuple[str, list]:
    """The condition on post p for the tier, and its arguments (from $2 on)."""
    if db.scheme == Scheme.SQLITE:
        every = " AND ".join(f'"{term}"' for term in terms)
        phrase = '"' + " ".join(terms) + '"'
        fts = phrase if tier == PHRASE else (
            f"({every}) NOT {phrase}" if len(terms) > 1 else every)
        return ("p.rowid IN (SELECT rowid FROM post_fts WHERE post_fts MATCH $2)", [fts])
    text = " ".join(terms)
    if tier == PHRASE:
        return "p.body_tsv @@ phraseto_tsquery('simple', $2)", [text]
    if len(terms) == 1:
        return "p.body_tsv @@ plainto_tsquery('simple', $2)", [text]
    return ("p.body_tsv @@ plainto_tsquery('simple', $2) "
            "AND NOT p.body_tsv @@ phraseto_tsquery('simple', $2)", [text])


async def posts(db: Database, viewer: str, query: str, after: tuple[int, int, str] | None,
                limit: int) -> list:
    """Posts matching every word of the query: those with the words as a phrase first
    (`tier` 2, for a query of several words), then the others (`tier` 1); newest first in
    each; after (tier, ts, event_id)."""
    terms = words(query)
    if not terms:
        return []
    tiers = [PHRASE, ALL_WORDS] if len(terms) > 1 else [ALL_WORDS]
    found: list = []
    for tier in tiers:
        if after is not None and tier > after[0]:
            continue
        condition, args = _match(db, terms, tier)
        keyset = ""
        if after is not None and tier == after[0]:
            keyset = "AND (p.ts, p.event_id) < ($3, $4)"
            args += list(after[1:])
        # The limit written in, not a parameter: PostgreSQL then keeps one plan (db/feed.py).
        found += await db.fetch(
            f"SELECT {tier} AS tier, sub.* FROM (SELECT p.event_id FROM post p "
            f"WHERE {condition} {keyset} ORDER BY p.ts DESC, p.event_id DESC "
            f"LIMIT {int(limit - len(found))}) top JOIN ({SELECT_POST}) sub "
            "ON sub.event_id = top.event_id ORDER BY sub.ts DESC, sub.event_id DESC",
            viewer, *args)
        if len(found) >= limit:
            break
    return found


_TOP = "\U0010ffff"  # above every character: [prefix, prefix + _TOP) holds the prefix's


def _c(db: Database, expression: str) -> str:
    """Byte order on PostgreSQL, whatever the database's collation (the prefix indexes of
    v15 are in it); SQLite's default order already is."""
    return expression if db.scheme == Scheme.SQLITE else f'{expression} COLLATE "C"'


def _prefix_range(db: Database, expression: str, first: int) -> str:
    e = _c(db, expression)
    return f"{e} >= ${first} AND {e} < ${first + 1}"


async def _tiers(db: Database, tiers: list[tuple[int, str, list]],
                 after: tuple[int, str] | None, limit: int, order_key: str) -> list:
    """Rows of each tier's query (best tier first, by `order_key` in each) after (tier, key):
    each query reads through its own index at most the rows the page still needs."""
    found: list = []
    for tier, sql, tier_args in tiers:
        if after is not None and tier > after[0]:
            continue
        keyset, args = "", list(tier_args)
        if after is not None and tier == after[0]:
            args.append(after[1])
            keyset = f"AND {_c(db, order_key)} > ${len(args)}"
        found += await db.fetch(
            sql.format(tier=tier, keyset=keyset, order=_c(db, order_key),
                       limit=int(limit - len(found))), *args)
        if len(found) >= limit:
            break
    return found


async def users(db: Database, query: str, after: tuple[int, str] | None,
                limit: int) -> list:
    """People with a feed room: handle prefix first (`rank` 2), then display name prefix
    (`rank` 1); by user id in each."""
    q = query.strip().lower().lstrip("@")
    if not q:
        return []
    handle = f"@{q}"
    columns = ("SELECT {tier} AS rank, r.owner AS user_id, pr.displayname, pr.avatar_url, "
               "pr.bio FROM feed_room r LEFT JOIN profile pr ON pr.user_id = r.owner ")
    by_handle = (columns + f"WHERE {_prefix_range(db, 'r.owner', 1)} {{keyset}} "
                 "ORDER BY {order} LIMIT {limit}")
    by_name = (columns + f"WHERE {_prefix_range(db, 'LOWER(pr.displayname)', 3)} "
               f"AND NOT ({_prefix_range(db, 'r.owner', 1)}) {{keyset}} "
               "ORDER BY {order} LIMIT {limit}")
    handles = [handle, handle + _TOP]
    return await _tiers(db, [(2, by_handle, handles), (1, by_name, [*handles, q, q + _TOP])],
                        after, limit, "r.owner")


async def apps(db: Database, query: str, after: tuple[int, str] | None, limit: int) -> list:
    """Apps whose name starts with the query first (`rank` 2, through its index), then those
    whose name or description has it anywhere (`rank` 1: a scan of the apps, which are few:
    one per person who publishes one); by app id in each."""
    q = query.strip().lower()
    if not q:
        return []
    columns = ("SELECT {tier} AS rank, a.*, (SELECT COUNT(*) FROM app_install x "
               "WHERE x.app_id = a.app_id) AS installs FROM app a ")
    by_name = (columns + f"WHERE {_prefix_range(db, 'LOWER(a.name)', 1)} {{keyset}} "
               "ORDER BY {order} LIMIT {limit}")
    inside = (columns + "WHERE (LOWER(a.name) LIKE $3 ESCAPE '\\' "
              "OR LOWER(a.description) LIKE $3 ESCAPE '\\') "
              f"AND NOT ({_prefix_range(db, 'LOWER(a.name)', 1)}) {{keyset}} "
              "ORDER BY {order} LIMIT {limit}")
    names = [q, q + _TOP]
    return await _tiers(db, [(2, by_name, names),
                             (1, inside, [*names, f"%{_like_escaped(q)}%"])],
                        after, limit, "a.app_id")
