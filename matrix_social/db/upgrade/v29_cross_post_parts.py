"""v29: the parts of a cross-post that goes out as a thread (issue 27: a long post to Bluesky is
a thread of replies, no longer cut with a link back). One row per part of a delivery, written
when its first attempt begins (the plan: each part's text, numbering and whether a word was cut
at its edges), then as each part is sent: its remote id (Bluesky: the at:// URI, its record key
chosen by us) before the request, its ref (the CID a reply names) and URL once made. A later
attempt continues from these rows and never makes a part twice; a deletion removes every part.
The same SQL on SQLite and PostgreSQL."""

from mautrix.util.async_db import Connection, Scheme

DESCRIPTION = "Cross-post threads: each part of a delivery, recorded as it is sent"


async def upgrade(conn: Connection, scheme: Scheme) -> None:
    await conn.execute(
        """CREATE TABLE cross_post_part (
            post_event_id TEXT NOT NULL,
            target        TEXT NOT NULL,
            part          INTEGER NOT NULL,
            text          TEXT NOT NULL,
            numbering     TEXT NOT NULL DEFAULT '',
            cut_before    BOOLEAN NOT NULL DEFAULT FALSE,
            cut_after     BOOLEAN NOT NULL DEFAULT FALSE,
            remote_id     TEXT,
            ref           TEXT,
            url           TEXT,
            updated_at    BIGINT NOT NULL,
            PRIMARY KEY (post_event_id, target, part)
        )"""
    )
