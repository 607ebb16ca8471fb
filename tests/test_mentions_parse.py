"""Who an event's text names, as any client writes it (no homeserver needed)."""

from __future__ import annotations

from matrix_social.content.mentions import MAX_MENTIONS, named_user_ids

ALICE = "@alice:example.org"


def test_pills_typed_ids_and_bare_handles_on_the_author_s_server():
    content = {"body": "cc @bob, @carol:other.example. and mail@dan.org https://x/@erin",
               "formatted_body": '<a href="https://matrix.to/#/%40frank%3Aexample.org">F</a>'}
    assert named_user_ids(content, ALICE) == [
        "@frank:example.org", "@bob:example.org", "@carol:other.example"]
    remote = named_user_ids({"body": "hi @bob"}, "@zed:far.example")
    assert remote == ["@bob:far.example"]


def test_only_users_named_in_the_text_count_and_at_most_ten():
    listed = {"body": "nothing here",
              "m.mentions": {"user_ids": [f"@u{i}:example.org" for i in range(1000)]}}
    assert named_user_ids(listed, ALICE) == []
    many = {"body": " ".join(f"@u{i}:example.org" for i in range(1000))}
    assert len(named_user_ids(many, ALICE)) == MAX_MENTIONS
    assert named_user_ids({"body": f"me {ALICE} @alice"}, ALICE) == []
