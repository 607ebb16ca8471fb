"""Policy rules without a homeserver: the glob matching (docs/events.md, "Policy lists"), which
state events make a rule, and the rules table on both databases (keyed by room, type and state
key, so a replacement or a removal lands)."""

from __future__ import annotations

import pytest

from matrix_social.db import policy_rules
from matrix_social.matrix.policy_globs import SERVER, USER, PolicyMatcher, PolicyRule, glob_regex
from matrix_social.matrix.policy_lists import rule_of
from matrix_social.social.block_list import Hidden


def _rule(kind: str, entity: str, key: str = "r1") -> PolicyRule:
    return PolicyRule("!list:hs", f"m.policy.rule.{kind}", key, kind, entity, "spam")


@pytest.mark.parametrize(("entity", "user_id", "barred"), [
    ("@mallory*:evil.org", "@mallory:evil.org", True),
    ("@mallory*:evil.org", "@mallory_2:evil.org", True),
    ("@mallory*:evil.org", "@MALLORY:evil.org", True),  # case-insensitive, as Mjolnir matches
    ("@mallory*:evil.org", "@alice:evil.org", False),
    ("@mallory*:evil.org", "@mallory:evil.org.example", False),  # the whole id, not a prefix
    ("@mallory*:evil.org", "@xmallory:evil.org", False),
    ("@m?llory:evil.org", "@mallory:evil.org", True),
    ("@m?llory:evil.org", "@mllory:evil.org", False),  # ? is exactly one character
    ("@a.b:evil.org", "@aXb:evil.org", False),  # a dot is a dot, not a regex wildcard
    ("@a.b*:evil.org", "@aXb:evil.org", False),  # ... in a glob too
    ("@a+b*:evil.org", "@a+bc:evil.org", True),
    ("@a+b:evil.org", "@a+b:evil.org", True),
    ("@exact:evil.org", "@exact:evil.org", True),
    ("@bob:evil.or?", "@bob:evil.org", True),  # a glob in the server part
    ("@bob:evil.or?", "@bob:evil.org.example", False),
    ("*", "@anyone:anywhere", True),
])
def test_user_globs(entity, user_id, barred):
    assert (PolicyMatcher([_rule(USER, entity)]).match(user_id) is not None) is barred


@pytest.mark.parametrize(("entity", "user_id", "barred"), [
    ("evil.org", "@bob:evil.org", True),
    ("evil.org", "@bob:evil.org:8448", True),  # a rule without a port bars every port
    ("evil.org:8448", "@bob:evil.org", False),
    ("evil.org:8448", "@bob:evil.org:8448", True),
    ("evil.org", "@bob:notevil.org", False),
    ("*.evil.org", "@bob:a.evil.org", True),
    ("*.evil.org", "@bob:evil.org", False),
    ("*.evil.org", "@bob:a.b.EVIL.org:8448", True),
    ("*evil.org", "@bob:notevil.org", True),  # no dot: any server name ending so
    ("*evil.org", "@bob:evil.org.net", False),
    ("*.evil.*", "@bob:x.evil.net", True),
    ("*.evil.*", "@bob:evil.net", False),
    ("localhost:81?1", "@bob:localhost:8101", True),
    ("localhost:81?1", "@bob:localhost:8111", True),
    ("localhost:81?1", "@bob:localhost:9101", False),
    ("evil.org", "@evil.org:good.org", False),  # the server part only, never the localpart
])
def test_server_globs_match_the_server_part(entity, user_id, barred):
    assert (PolicyMatcher([_rule(SERVER, entity)]).match(user_id) is not None) is barred


def test_a_user_rule_does_not_act_as_a_server_rule_nor_the_reverse():
    assert PolicyMatcher([_rule(USER, "evil.org")]).match("@bob:evil.org") is None
    assert PolicyMatcher([_rule(SERVER, "@bob:evil.org")]).match("@bob:evil.org") is None


def test_no_rules_bar_nobody_and_glob_regexes_are_anchored_by_fullmatch():
    assert PolicyMatcher([]).match("@a:b") is None
    assert not PolicyMatcher([])
    assert glob_regex("a*").fullmatch("abc") and not glob_regex("a?").fullmatch("abc")


def _event(content, etype="m.policy.rule.user", key="rule:1"):
    return {"type": etype, "state_key": key, "room_id": "!list:hs", "content": content}


def test_which_state_events_make_a_rule():
    made = rule_of(_event({"entity": "@m*:hs", "recommendation": "m.ban", "reason": "spam"}))
    assert made == PolicyRule("!list:hs", "m.policy.rule.user", "rule:1", USER, "@m*:hs",
                              "spam")
    legacy = rule_of(_event({"entity": "evil.org", "recommendation": "org.matrix.mjolnir.ban"},
                            "m.room.rule.server"))
    assert legacy is not None and legacy.kind == SERVER and legacy.reason == ""
    assert rule_of(_event({})) is None  # removed
    assert rule_of(_event({"entity": "@m:hs", "recommendation": "m.allow"})) is None
    assert rule_of(_event({"entity": ["@m:hs"], "recommendation": "m.ban"})) is None
    assert rule_of(_event({"entity": "", "recommendation": "m.ban"})) is None


def test_hidden_bars_everybody_the_rules_match_but_the_viewer_herself():
    matcher = PolicyMatcher([_rule(USER, "@mallory*:hs")])
    hidden = Hidden(frozenset({"@bob:hs"}), matcher, "@alice:hs")
    assert "@bob:hs" in hidden and "@mallory2:hs" in hidden and "@alice:hs" not in hidden
    assert "@mallory:hs" not in Hidden(frozenset(), matcher, "@mallory:hs")
    widened = {"@carol:hs"} | hidden | {"@dave:hs"}
    assert {"@carol:hs", "@dave:hs", "@bob:hs", "@mallory:hs"} <= {
        u for u in ("@carol:hs", "@dave:hs", "@bob:hs", "@mallory:hs") if u in widened}
    assert not Hidden(frozenset(), None, "@a:hs") and Hidden(frozenset(), matcher, "@a:hs")


async def test_rules_are_kept_by_room_type_and_state_key(db):
    await policy_rules.set_rooms(db, {"!a:hs": ("#a:hs", 1), "!b:hs": ("!b:hs", 1)})
    for room in ("!a:hs", "!b:hs"):
        await policy_rules.upsert(db, room, "m.policy.rule.user", "k", USER, "@m*:hs",
                                  "m.ban", "spam", "@mod:hs", 1)
    await policy_rules.upsert(db, "!a:hs", "m.policy.rule.server", "k", SERVER, "evil.org",
                              "m.ban", "", "@mod:hs", 2)
    # A replacement of the same (room, type, key) replaces; the other room's rule stays.
    await policy_rules.upsert(db, "!a:hs", "m.policy.rule.user", "k", USER, "@z*:hs",
                              "m.ban", "other", "@mod:hs", 3)
    rows = {(r["room_id"], r["rule_type"]): r["entity"]
            for r in await policy_rules.all_rules(db)}
    assert rows == {("!a:hs", "m.policy.rule.user"): "@z*:hs",
                    ("!a:hs", "m.policy.rule.server"): "evil.org",
                    ("!b:hs", "m.policy.rule.user"): "@m*:hs"}
    await policy_rules.remove(db, "!a:hs", "m.policy.rule.user", "k")
    assert len(await policy_rules.all_rules(db)) == 2
    # A room no longer subscribed takes its rules with it.
    await policy_rules.set_rooms(db, {"!a:hs": ("#a:hs", 4)})
    assert [r["room_id"] for r in await policy_rules.rooms(db)] == ["!a:hs"]
    assert {r["room_id"] for r in await policy_rules.all_rules(db)} == {"!a:hs"}
