"""v12: logins bound to their browser, logins waiting for their starter's confirmation."""

from mautrix.util.async_db import Connection, Scheme

DESCRIPTION = ("Logins bound to the browser that started them; logins "
               "waiting for their starter's confirmation")


async def upgrade(conn: Connection, scheme: Scheme) -> None:
    # The hash of the cookie set in the browser that started the login (NULL: no browser
    # started it, e.g. the bot's `login` command).
    await conn.execute("ALTER TABLE oauth_state ADD COLUMN browser_hash TEXT")
    await conn.execute(
        """CREATE TABLE login_confirmation (
            code_hash   TEXT PRIMARY KEY,
            user_id     TEXT NOT NULL,
            platform    TEXT NOT NULL,
            account     TEXT NOT NULL,
            token       TEXT NOT NULL,
            attempts    INTEGER NOT NULL DEFAULT 0,
            created_at  BIGINT NOT NULL,
            expires_at  BIGINT NOT NULL
        )"""
    )
    await conn.execute(
        "CREATE INDEX login_confirmation_user ON login_confirmation (user_id, expires_at)")
    await conn.execute(
        "CREATE INDEX login_confirmation_expiry ON login_confirmation (expires_at)")
