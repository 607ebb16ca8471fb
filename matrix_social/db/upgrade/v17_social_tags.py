"""v17: hashtags of posts (post_tag), kept with their post; bookmarks; link previews; when
an AI's public conversation was last announced to its followers."""

from mautrix.util.async_db import Connection, Scheme

from ...content.tags import tags_in

DESCRIPTION = ("Hashtags of posts, bookmarks, link previews, announced AI conversations")

# A tag row goes when its post goes, however the post goes (a redaction, a delete through the
# API, a reindex of the room), so no path can leave a deleted post counted in trends.
_FORGET_SQLITE = """
CREATE TRIGGER post_tag_forget AFTER DELETE ON post
BEGIN
    DELETE FROM post_tag WHERE post_id = OLD.event_id;
END"""
_FORGET_POSTGRES = [
    """CREATE FUNCTION post_tag_forgotten() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM post_tag t USING gone g WHERE t.post_id = g.event_id;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER post_tag_forget AFTER DELETE ON post REFERENCING OLD TABLE AS gone "
    "FOR EACH STATEMENT EXECUTE FUNCTION post_tag_forgotten()",
]


async def upgrade(conn: Connection, scheme: Scheme) -> None:
    # author and ts are the post's, copied so the tag page and the trends read this table's
    # indexes alone.
    await conn.execute(
        """CREATE TABLE post_tag (
            tag     TEXT NOT NULL,
            post_id TEXT NOT NULL,
            author  TEXT NOT NULL,
            ts      BIGINT NOT NULL,
            PRIMARY KEY (post_id, tag)
        )"""
    )
    await conn.execute("CREATE INDEX post_tag_page ON post_tag (tag, ts DESC, post_id DESC)")
    await conn.execute("CREATE INDEX post_tag_ts ON post_tag (ts, tag, author)")
    if scheme == Scheme.SQLITE:
        await conn.execute(_FORGET_SQLITE)
    else:
        for statement in _FORGET_POSTGRES:
            await conn.execute(statement)
    rows = await conn.fetch("SELECT event_id, author, ts, body FROM post")
    tagged = [(tag, row["event_id"], row["author"], row["ts"])
              for row in rows for tag in tags_in(row["body"])]
    if tagged:
        await conn.executemany(
            "INSERT INTO post_tag (tag, post_id, author, ts) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT DO NOTHING", tagged)
    # Bookmarks are the user's own, private, and no event in any room: a reindex keeps them.
    await conn.execute(
        """CREATE TABLE bookmark (
            user_id TEXT NOT NULL,
            post_id TEXT NOT NULL,
            ts      BIGINT NOT NULL,
            PRIMARY KEY (user_id, post_id)
        )"""
    )
    await conn.execute("CREATE INDEX bookmark_user_ts ON bookmark (user_id, ts DESC, post_id DESC)")
    # Link previews as the homeserver gave them (status: its HTTP answer), kept a while.
    await conn.execute(
        """CREATE TABLE link_preview (
            url        TEXT PRIMARY KEY,
            status     INTEGER NOT NULL,
            data       TEXT NOT NULL,
            fetched_at BIGINT NOT NULL
        )"""
    )
    await conn.execute("ALTER TABLE ai_conversation ADD COLUMN announced_ts BIGINT")
