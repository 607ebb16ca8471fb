"""The bot's block and mute commands read as people type them (the end-to-end test through
Synapse is test_safety_notifications.py): a pill whose text is a display name of several
words, `with ai`, durations in words; what it cannot read is answered in words."""

from __future__ import annotations

from matrix_social.external.commands import ConnectionCommands, _until
from matrix_social.ids import Identities


class _Recorded:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    async def block(self, user, body):
        self.calls.append(("block", body))
        return {"blocked_ids": [body["user_id"]]}

    async def mute(self, user, body):
        self.calls.append(("mute", body))


def _commands() -> tuple[ConnectionCommands, _Recorded]:
    commands = ConnectionCommands.__new__(ConnectionCommands)
    commands.ids = Identities(domain="x.org", bot_localpart="social", ai_suffix="_ai",
                              platform_prefixes={})
    recorded = _Recorded()
    commands.blocks = commands.mutes = recorded
    return commands, recorded


async def test_pills_handles_with_ai_and_durations():
    commands, recorded = _commands()
    said = await commands._safety("@a:x.org", "block", ["Bob", "Smith", "with", "ai"],
                                  ["@bob:y.org"])
    assert said.startswith("Blocked @bob:y.org.")
    said = await commands._safety("@a:x.org", "mute", ["Bob", "Smith", "for", "2h"],
                                  ["@bob:y.org"])
    assert said.startswith("Muted @bob:y.org until ")
    await commands._safety("@a:x.org", "mute", ["carol", "for", "3", "days"], [])
    assert [(verb, body["user_id"]) for verb, body in recorded.calls] == [
        ("block", "@bob:y.org"), ("mute", "@bob:y.org"), ("mute", "@carol:x.org")]
    assert recorded.calls[0][1]["include_ai"] is True
    assert _until(["for", "2h"]) == 7_200_000 and _until(["10", "minutes"]) == 600_000
    for words in (["forever"], ["999w"], ["0d"], ["2", "fortnights"]):
        assert _until(words) is None, words


async def test_what_it_cannot_read_is_answered_in_words():
    commands, recorded = _commands()
    assert (await commands._safety("@a:x.org", "block", [], [])).startswith("Say whom:")
    assert (await commands._safety("@a:x.org", "mute", ["bad handle!"], [])).startswith(
        "Say whom:")
    assert "with ai" in await commands._safety("@a:x.org", "block", ["bob", "please"], [])
    assert "for 2h" in await commands._safety("@a:x.org", "mute", ["bob", "for", "ever"], [])
    assert recorded.calls == []
