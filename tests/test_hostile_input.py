"""Hostile input: schemathesis against the served OpenAPI document, hypothesis properties for
cursors and text limits.

Everything stays on loopback: Matrix IDs that schemathesis invents are rewritten onto the
stack's own server name, so no request ever makes the homeserver federate elsewhere.
Runs are deterministic (derandomized) and bounded (max_examples, no shrinking phase).
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import re
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from matrix_social.content.fields import MAX_POST_CHARS, clean_text
from matrix_social.errors import InvalidInput
from matrix_social.social import cursor as cursors

from .harness import api, api_ok, eventually

BIGINT = 2**63 - 1
# Examples per operation and mode of the schemathesis walk: the default run's (its time grows
# with them: 12 took ~220 s of one worker on two busy cores, 5 still ~60 s) and the
# long variant's (-m slow). Derandomized, so the short walk is the long one's beginning.
FUZZ_EXAMPLES = int(os.environ.get("RELIABILITY_FUZZ_EXAMPLES", "3"))
LONG_FUZZ_EXAMPLES = 12
_BOUNDED = {"derandomize": True, "database": None, "deadline": None,
            "phases": [Phase.explicit, Phase.generate],
            "suppress_health_check": list(HealthCheck)}


def q(value: str) -> str:
    return quote(value, safe="")


def run_in_loop(loop: asyncio.AbstractEventLoop, coro) -> Any:
    """From a hypothesis thread: run `coro` on the test's event loop (where the bridge lives)."""
    return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=60)


# Cursors -----------------------------------------------------------------------------------

_positions = st.tuples(st.integers(min_value=0, max_value=BIGINT),
                       st.text(st.characters(codec="utf-8", exclude_characters="\x00"),
                               max_size=80))


@settings(max_examples=300, **_BOUNDED)
@given(_positions)
def test_cursor_round_trip(position):
    assert cursors.decode(cursors.encode(*position)) == position


@settings(max_examples=300, **_BOUNDED)
@given(st.tuples(st.floats(-1e300, 1e300), st.integers(0, BIGINT),
                 st.text(st.characters(codec="utf-8", exclude_characters="\x00"),
                         max_size=40)))
def test_cursor_round_trip_with_a_score(position):
    assert cursors.decode(cursors.encode(*position), (float, int, str)) == position


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner,
                                                                 max_size=3),
    max_leaves=8)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


_tampered = st.one_of(
    st.text(max_size=60),
    st.binary(max_size=60).map(_b64),
    _json_values.map(lambda v: _b64(json.dumps(v).encode())),
    st.tuples(st.integers(), st.text(max_size=10)).map(lambda p: cursors.encode(*p)),
)


@settings(max_examples=500, **_BOUNDED)
@given(_tampered)
def test_cursor_decode_accepts_only_its_shape(raw):
    try:
        position = cursors.decode(raw)
    except cursors.BadCursor:
        return
    assert position is None or (
        len(position) == 2 and type(position[0]) is int and type(position[1]) is str)
    if position is not None:
        assert 0 <= position[0] <= BIGINT, "a position out of the index's range was accepted"
        assert "\x00" not in position[1]
        position[1].encode()  # no lone surrogates: the database could not store them


_CURSOR_PATHS = ["/feed", "/explore/trending", "/explore/apps", "/explore/suggestions",
                 "/search?q=hi&type=posts", "/search?q=hi&type=users",
                 "/search?q=hi&type=apps"]


async def test_tampered_cursors_are_400_not_500(stack):
    alice, bob = await stack.register("alice"), await stack.register("bob")
    await api_ok(stack, "POST", "/follow", bob, json={"handle": alice.localpart})
    post = None
    for i in range(3):
        post = await api_ok(stack, "POST", "/posts", alice, json={"text": f"hi {i}"})
        await api_ok(stack, "POST", f"/posts/{q(post['id'])}/comments", bob,
                     json={"text": f"c{i}"})
    page = await api_ok(stack, "GET", "/feed?limit=1", alice)
    genuine = page["next_cursor"]
    assert genuine and cursors.decode(genuine)
    paths = [*_CURSOR_PATHS, f"/posts/{q(post['id'])}/comments",
             f"/followers/{alice.localpart}", f"/following/{bob.localpart}"]
    loop = asyncio.get_running_loop()
    seen: list[tuple[str, str, int]] = []

    def mutate(data: st.DataObject) -> str:
        kind = data.draw(st.sampled_from(["flip", "cut", "append", "other"]))
        if kind == "flip":
            i = data.draw(st.integers(0, len(genuine) - 1))
            char = data.draw(st.characters(codec="utf-8"))
            return genuine[:i] + char + genuine[i + 1:]
        if kind == "cut":
            return genuine[:data.draw(st.integers(1, len(genuine) - 1))]
        if kind == "append":
            return genuine + data.draw(st.text(min_size=1, max_size=8))
        return data.draw(_tampered.filter(bool))

    @settings(max_examples=FUZZ_EXAMPLES * 8, **_BOUNDED)
    @given(st.data())
    def check(data):
        raw = mutate(data)
        path = data.draw(st.sampled_from(paths))
        sep = "&" if "?" in path else "?"
        status, body = run_in_loop(loop, api(stack, "GET", f"{path}{sep}cursor={q(raw)}",
                                             alice))
        seen.append((path, raw, status))
        assert status < 500, (path, raw, status, body)
        try:
            cursors.decode(raw)
            shape_ok = True
        except cursors.BadCursor:
            shape_ok = False
        if not shape_ok or path.startswith(("/explore/trending", "/explore/suggestions")):
            assert status in (200, 400), (path, raw, status, body)
        if not shape_ok and "/explore/" not in path:
            assert (status, body["errcode"]) == (400, "M_INVALID_PARAM"), (path, raw, body)
        if status == 400:
            assert body["errcode"] == "M_INVALID_PARAM", body

    await asyncio.to_thread(check)
    assert any(status == 400 for *_, status in seen)


async def test_out_of_range_cursor_positions_are_400(stack):
    alice = await stack.register("alice")
    for position in ((2**63, "$x"), (-(2**63) - 1, "$x"), (10**40, "$x"), (1, "a\x00b")):
        raw = cursors.encode(*position)
        for path in ("/feed", f"/followers/{alice.localpart}", "/search?q=a&type=users"):
            sep = "&" if "?" in path else "?"
            status, body = await api(stack, "GET", f"{path}{sep}cursor={q(raw)}", alice)
            assert (status, body["errcode"]) == (400, "M_INVALID_PARAM"), (path, position, body)
    for position in ((float("inf"), "$x"), (float("nan"), "$x"), (1.5, "\ud800")):
        raw = cursors.encode(*position)
        status, body = await api(stack, "GET", f"/search?q=a&type=posts&cursor={q(raw)}", alice)
        assert (status, body["errcode"]) == (400, "M_INVALID_PARAM"), (position, body)


# Text limits -------------------------------------------------------------------------------

# Pieces of text whose code points are not what a person counts as characters.
_PIECES = [
    "a", "é", "e\u0301",                      # precomposed and combining acute accent
    "a\u0301\u0302\u0303",                    # stacked combining marks
    "😀", "👍🏽",                              # emoji, emoji + skin tone modifier
    "👩\u200d👩\u200d👧\u200d👦",               # ZWJ family: 7 code points
    "🇫🇷",                                    # flag: two regional indicators
    "❤️",                                     # heart + variation selector
    "字", "𝔘",                                # CJK, a non-BMP letter
    " ", "\n",
]
_texts = st.lists(st.sampled_from(_PIECES), max_size=260).map("".join)


@settings(max_examples=400, **_BOUNDED)
@given(_texts)
def test_post_text_limit_counts_code_points(text):
    stripped = text.strip()
    try:
        cleaned = clean_text(text, "text")
    except InvalidInput as e:
        assert not stripped or len(stripped) > MAX_POST_CHARS, (len(stripped), str(e))
        return
    assert cleaned == stripped and 0 < len(cleaned) <= MAX_POST_CHARS


@pytest.mark.parametrize("piece", ["e\u0301", "👩\u200d👩\u200d👧\u200d👦", "🇫🇷", "😀"])
def test_post_text_limit_boundary(piece):
    fits = piece * (MAX_POST_CHARS // len(piece))
    fits += "x" * (MAX_POST_CHARS - len(fits))
    assert clean_text(fits, "text") == fits
    with pytest.raises(InvalidInput):
        clean_text(fits + piece[-1], "text")


async def test_post_text_limits_through_the_api(stack):
    alice = await stack.register("alice")
    cases = {
        "combining": "e\u0301" * 250,                                   # 500 code points
        "zwj family": "👩\u200d👩\u200d👧\u200d👦" * 71 + "abc",            # 497 + 3
        "flags": "🇫🇷" * 250,
        "emoji": "😀" * 500,
    }
    for name, text in cases.items():
        assert len(text) == MAX_POST_CHARS, name
        post = await api_ok(stack, "POST", "/posts", alice, json={"text": text})
        got = await api_ok(stack, "GET", f"/posts/{q(post['id'])}", alice)
        assert got["text"] == text, f"{name}: text changed on the way"
        status, body = await api(stack, "POST", "/posts", alice, json={"text": text + "\u0301"})
        assert (status, body["errcode"]) == (400, "M_INVALID_PARAM"), (name, body)
        assert str(MAX_POST_CHARS + 1) in body["error"]
        comment = await api_ok(stack, "POST", f"/posts/{q(post['id'])}/comments", alice,
                               json={"text": text})
        assert comment["text"] == text
        status, body = await api(stack, "PATCH", f"/posts/{q(post['id'])}", alice,
                                 json={"text": text + "😀"})
        assert (status, body["errcode"]) == (400, "M_INVALID_PARAM"), (name, body)


# Schemathesis against the served document -------------------------------------------------

_MATRIX_ID = re.compile(r"^(\s*[@#!][^:]*):(.*)$", re.DOTALL)


def _local_only(domain: str) -> Callable[[Any], Any]:
    """Rewrite any generated Matrix ID so that its server part is the stack's own."""
    def fix(value: Any) -> Any:
        if isinstance(value, str):
            match = _MATRIX_ID.match(value)
            return f"{match.group(1)}:{domain}" if match else value
        if isinstance(value, list):
            return [fix(v) for v in value]
        if isinstance(value, dict):
            return {k: fix(v) for k, v in value.items()}
        return value
    return fix


# A server-sent event stream answers for as long as the client listens: each generated call
# would hold the walk for its whole timeout (12 of the suite's 16 minutes). The stream's input
# and its refusals are tested in tests/test_live.py.
STREAMS = {"GET /events"}


def fuzz_api(base_url: str, token: str, domain: str, max_examples: int,
             statuses: dict[int, int]) -> list[str]:
    """Every operation of the served document, positive and negative data; the failures."""
    import schemathesis
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    fix = _local_only(domain)
    failures: list[str] = []
    operations = 0
    headers = {"Authorization": f"Bearer {token}"}
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        if operation.label in STREAMS:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode)

            @settings(max_examples=max_examples, **_BOUNDED)
            @given(case=strategy)
            def run(case):
                for part in ("path_parameters", "query", "body"):
                    value = getattr(case, part, None)
                    if isinstance(value, (dict, list, str)):
                        setattr(case, part, fix(value))
                case.headers = {**(case.headers or {}), **headers}
                response = case.call(base_url=base_url, timeout=30)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                # a status the document does not list for the operation fails too
                case.validate_response(response, checks=[
                    not_a_server_error, status_code_conformance, content_type_conformance,
                    response_schema_conformance])

            try:
                run()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE, operation.label  # nothing to negate
            except Exception as e:  # collect every operation's failure, then report them all
                failures.append(f"{operation.label} [{mode.value}]: {type(e).__name__}: "
                                f"{str(e)[:1500]}")
    assert operations >= 30, operations
    return failures


@pytest.mark.parametrize("examples", [
    FUZZ_EXAMPLES, pytest.param(LONG_FUZZ_EXAMPLES, marks=pytest.mark.slow)])
async def test_schemathesis_finds_no_5xx_no_undocumented_status_and_no_schema_violation(
        stack, examples):
    fuzzer = await stack.register("fuzzer")
    other = await stack.register("target")
    # data in every kind of answer, so that response schemas are checked on real items
    post = await api_ok(stack, "POST", "/posts", other, json={"text": "something to find"})
    await api_ok(stack, "POST", "/follow", fuzzer, json={"handle": other.localpart})
    await api_ok(stack, "POST", f"/posts/{q(post['id'])}/like", fuzzer)
    await api_ok(stack, "POST", f"/posts/{q(post['id'])}/comments", fuzzer, json={"text": "c"})
    app = await api_ok(stack, "POST", "/apps", other, json={
        "slug": "fuzzapp", "name": "Something app", "url": "https://app.invalid"})
    await api_ok(stack, "POST", f"/apps/{q(app['id'])}/install", fuzzer)
    await api_ok(stack, "PATCH", "/profile", other, json={"bio": "b", "interests": ["chess"]})
    await api_ok(stack, "PATCH", "/profile", fuzzer, json={"interests": ["chess"]})
    for path in ("/explore/apps", "/search?q=something", "/explore/trending"):
        status, body = await api(stack, "GET", path, fuzzer)
        assert status == 200, body
    assert threading.current_thread() is threading.main_thread()
    statuses: dict[int, int] = {}
    failures = await asyncio.to_thread(fuzz_api, stack.api_url, fuzzer.access_token,
                                       stack.domain, examples, statuses)
    assert failures == [], "\n\n".join(failures)
    print("schemathesis statuses:", sorted(statuses.items()))
    assert sum(n for s, n in statuses.items() if 200 <= s < 300) >= 30, statuses
    assert sum(n for s, n in statuses.items() if 400 <= s < 500) >= 30, statuses


# Hand-picked hostile values in every JSON field of every write endpoint ------------------

_NASTY = ['"\\ud800"', '"a\\u0000b"', '"\\udfff\\ud800"', "1e999", "-1", "99999999999999999999999",
          "[]", "{}", "null", "true", '"' + "x" * 20000 + '"', '"\\u202e\\u200b"',
          '"@nobody_here:{domain}"', '"@a\\u0000:{domain}"', '"' + "@" + "y" * 300 + ':{domain}"',
          "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"]


def _documented(method: str, path: str) -> set[int]:
    """The statuses the OpenAPI document lists for the operation serving `path`."""
    from matrix_social.api.app import api_document

    bare = path.split("?", 1)[0]
    for template, operations in api_document()["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template.replace(".", r"\.")) + "$"
        if re.match(pattern, bare) and method.lower() in operations:
            return {int(code) for code in operations[method.lower()]["responses"]}
    raise AssertionError(f"no documented operation for {method} {path}")


class _Tracebacks(logging.Handler):
    """The service's unhandled errors, so that a 500 tells its cause in the test's failure."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(logging.Formatter().format(record)[-3000:])


async def test_nasty_values_in_every_field_are_documented_4xx_not_5xx(stack):
    tracebacks = _Tracebacks()
    logging.getLogger("matrix_social").addHandler(tracebacks)
    try:
        await _send_nasty_values(stack, tracebacks)
    finally:
        logging.getLogger("matrix_social").removeHandler(tracebacks)


async def _send_nasty_values(stack, tracebacks: _Tracebacks) -> None:
    alice, bob = await stack.register("alice"), await stack.register("bob")
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": "p"})
    pid = q(post["id"])
    fields = {
        ("POST", "/posts"): ["text", "kind", "as", "image", "app", "activity"],
        ("PATCH", f"/posts/{pid}"): ["text"],
        ("POST", f"/posts/{pid}/comments"): ["text", "reply_to"],
        ("POST", f"/posts/{pid}/repost"): ["text"],
        ("POST", "/follow"): ["handle"],
        ("DELETE", "/unfollow"): ["handle"],
        ("PATCH", "/profile"): ["display_name", "avatar_url", "bio", "links", "interests"],
        ("PATCH", "/profile/ai"): ["personality", "skills", "capabilities"],
        ("POST", "/apps"): ["slug", "name", "url", "description", "icon", "text", "share"],
        ("POST", "/messages/dm"): ["to", "encrypted"],
        ("POST", "/messages/groups"): ["name", "members", "encrypted"],
        ("POST", "/ai/request"): ["to", "content", "timeout"],
        ("POST", "/ipc/send_matrix_message"): ["to", "content", "as"],
    }
    base = {"text": "ok", "slug": "app1", "name": "n", "url": "https://x.invalid",
            "to": f"{bob.localpart}_ai", "content": "hi", "handle": bob.localpart}
    timeouts = {"/ai/request": 504}  # documented: the other AI did not answer in time
    bad = []
    for (method, path), names in fields.items():
        for name in names:
            for raw in _NASTY:
                others = json.dumps({k: v for k, v in base.items() if k != name})[1:-1]
                value = raw.replace("{domain}", stack.domain)
                body = "{" + (others + ", " if others else "") + f'"{name}": {value}' + "}"
                if name != "timeout" and path == "/ai/request":
                    body = body[:-1] + ', "timeout": 1}'
                status, resp = await stack.request(
                    method, stack.api_url + path, token=alice.access_token, data=body.encode(),
                    headers={"Content-Type": "application/json"})
                if status >= 500 and status != timeouts.get(path) \
                        or status >= 400 and "errcode" not in (resp or {}) \
                        or status not in _documented(method, path):
                    bad.append((method, path, name, raw[:40], status, resp,
                                tracebacks.texts[-1:] if status >= 500 else ""))
    for path in ["/search?q=%00", "/search?q=%ED%A0%80", "/search?q=" + "a" * 5000,
                 "/followers/%00", "/profile/%00", "/feed?limit=99999999999999999999",
                 "/posts/%00", "/apps/%00", f"/followers/@a:b%00{stack.domain}",
                 "/following/" + "z" * 400, "/profile/@" + "z" * 400 + ":" + stack.domain]:
        status, resp = await stack.request("GET", stack.api_url + path,
                                           token=alice.access_token)
        if status >= 500 or status not in _documented("GET", path):
            bad.append((path[:60], status, resp))
    assert not bad, "\n".join(map(str, bad))


async def test_a_nul_sent_by_any_client_does_not_block_the_transaction_stream(stack):
    """PostgreSQL text cannot hold NUL; Element can send one. The index stores U+FFFD instead,
    and the posts after it are indexed (a failing transaction would be retried forever)."""
    from nio import RoomSendResponse

    alice = await stack.register("alice")
    first = await api_ok(stack, "POST", "/posts", alice, json={"text": "first"})
    client = stack.nio(alice)
    sent = []
    for body in ("nul\x00inside", "after the nul"):
        resp = await client.room_send(first["room_id"], "m.room.message",
                                      {"msgtype": "m.text", "body": body})
        assert isinstance(resp, RoomSendResponse), resp
        sent.append(resp.event_id)

    async def indexed():
        feed = await api_ok(stack, "GET", "/feed", alice)
        return {p["id"]: p["text"] for p in feed["items"]}

    got = await eventually(lambda: _all_in(indexed, sent), timeout=30, what="posts indexed")
    assert got[sent[0]] == "nul\ufffdinside" and got[sent[1]] == "after the nul"


async def _all_in(indexed, ids):
    got = await indexed()
    return got if set(ids) <= set(got) else None
