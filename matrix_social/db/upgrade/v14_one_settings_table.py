"""v14: one per-user settings table: the activity settings' mirror (social_settings) moves into
user_setting, under the name "activity"."""

from mautrix.util.async_db import Connection, Scheme

DESCRIPTION = "One per-user settings table: the activity settings' mirror joins user_setting"


async def upgrade(conn: Connection, scheme: Scheme) -> None:
    await conn.execute(
        "INSERT INTO user_setting (user_id, name, value, updated_at) "
        "SELECT user_id, 'activity', settings, updated_at FROM social_settings")
    await conn.execute("DROP TABLE social_settings")
