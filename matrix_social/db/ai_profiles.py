"""ai_profile: an AI's personality summary, skills and capabilities."""

from __future__ import annotations

import json

from mautrix.util.async_db import Database


async def upsert(db: Database, user_id: str, personality: str, skills: list[str],
                 capabilities: list[str]) -> None:
    await db.execute(
        "INSERT INTO ai_profile (user_id, personality, skills, capabilities) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE SET "
        "personality=excluded.personality, skills=excluded.skills, "
        "capabilities=excluded.capabilities",
        user_id, personality, json.dumps(skills), json.dumps(capabilities),
    )


async def get(db: Database, user_id: str) -> dict | None:
    row = await db.fetchrow("SELECT * FROM ai_profile WHERE user_id=$1", user_id)
    if row is None:
        return None
    return {"personality": row["personality"], "skills": json.loads(row["skills"]),
            "capabilities": json.loads(row["capabilities"])}
