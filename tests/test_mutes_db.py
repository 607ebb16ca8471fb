"""Muted words and mutes on both databases: which are active, in which context, and which
posts a word hides (whole word, case-insensitive)."""

from __future__ import annotations

from matrix_social.db import mutes
from matrix_social.social.mutes import FeedMutes, clean_word, word_pattern

NOW = 1_700_000_000_000


def _post(text: str, author: str = "@bob:x", cw: str | None = None) -> dict:
    return {"author": {"user_id": author}, "text": text, "cw": cw}


async def test_active_words_by_context_and_expiry(db):
    await mutes.add_word(db, "@alice:x", "spoiler", True, True, None, NOW)
    await mutes.add_word(db, "@alice:x", "election", False, True, None, NOW)
    await mutes.add_word(db, "@alice:x", "gone", True, False, NOW - 1, NOW - 10)
    await mutes.add_word(db, "@alice:x", "later", True, False, NOW + 60_000, NOW)
    await mutes.add_word(db, "@bob:x", "alice only", True, True, None, NOW)
    feed = [r["word"] for r in await mutes.words(db, "@alice:x", NOW, "feed")]
    assert feed == ["spoiler", "later"]
    notifications = [r["word"] for r in await mutes.words(db, "@alice:x", NOW, "notifications")]
    assert notifications == ["spoiler", "election"]
    assert [r["word"] for r in await mutes.words(db, "@alice:x", NOW + 60_000, "feed")] \
        == ["spoiler"]
    # The same word again replaces its contexts (one row, same id).
    first = await mutes.add_word(db, "@alice:x", "spoiler", False, True, None, NOW + 1)
    again = [r for r in await mutes.words(db, "@alice:x", NOW + 2) if r["word"] == "spoiler"]
    assert [r["id"] for r in again] == [first] and not again[0]["feed"]
    assert await mutes.remove_word(db, "@bob:x", first) is False  # not hers to remove
    assert await mutes.remove_word(db, "@alice:x", first) is True


async def test_muted_users_expire(db):
    await mutes.mute(db, "@alice:x", "@bob:x", None, NOW)
    await mutes.mute(db, "@alice:x", "@carol:x", NOW + 1000, NOW)
    assert [r["muted"] for r in await mutes.muted_users(db, "@alice:x", NOW)] == [
        "@bob:x", "@carol:x"]
    assert [r["muted"] for r in await mutes.muted_users(db, "@alice:x", NOW + 1000)] == [
        "@bob:x"]
    assert await mutes.unmute(db, "@alice:x", "@bob:x") is True
    assert await mutes.unmute(db, "@alice:x", "@bob:x") is False


async def test_a_muted_word_hides_exactly_the_posts_it_names(db):
    for word in ("Cat", "  new   york ", "Straße", "c++"):
        await mutes.add_word(db, "@alice:x", clean_word(word), True, False, None, NOW)
    words = [r["word"] for r in await mutes.words(db, "@alice:x", NOW, "feed")]
    muted = FeedMutes(frozenset({"@mallory:x"}), word_pattern(words))
    hidden = ["my CAT sat", "cat!", "(cat)", "I love New  York".replace("  ", " "),
              "NEW YORK", "die STRASSE", "straße", "I write C++ daily"]
    shown = ["catalog", "concat", "cats", "newyork", "new yorker", "bobcat", "c+", ""]
    for text in hidden:
        assert muted.hides(_post(text)), text
    for text in shown:
        assert not muted.hides(_post(text)), text
    assert muted.hides(_post("fine", cw="cat content"))
    assert muted.hides(_post("anything", author="@mallory:x"))
    assert muted.hides({**_post("look"), "repost_of": {"author": "@mallory:x"}})
    assert muted.hides({**_post("look"), "original": {"text": "a cat"}})
    assert not FeedMutes(frozenset(), None).hides(_post("cat"))
