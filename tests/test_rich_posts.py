"""Posts with up to four images (each with its alt text) and content warnings, through the
API and as a plain Matrix client (Element) writes and reads them; the attacker's side: other
people's uploads, too many images, too long alt text or warnings."""

from __future__ import annotations

import io
import secrets
from urllib.parse import quote

import aiohttp
from PIL import Image

from matrix_social import events as ev

from .harness import api, api_ok, eventually, room_texts


def q(event_id: str) -> str:
    return quote(event_id, safe="")


def png(color: tuple[int, int, int], size: tuple[int, int] = (40, 20)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


async def upload(stack, user, color=(200, 10, 10)) -> str:
    media = await api_ok(stack, "POST", "/media", user, data=png(color),
                         headers={"Content-Type": "image/png"})
    return media["content_uri"]


async def event_of(stack, user, room_id: str, event_id: str) -> dict:
    return next(e for e in await room_texts(stack.nio(user), room_id)
                if e["event_id"] == event_id)


async def test_four_images_with_alt_text_and_a_cw_as_element_reads_them(stack):
    alice, bob = await stack.register("alice"), await stack.register("bob")
    await api_ok(stack, "POST", "/follow", bob, json={"handle": alice.user_id})
    uris = [await upload(stack, alice, (i * 60, 0, 0)) for i in range(4)]
    post = await api_ok(stack, "POST", "/posts", alice, json={
        "kind": "image", "text": "Our trip", "cw": "Spiders",
        "images": [{"mxc": uri, "alt": f"Spider number {i}"} for i, uri in enumerate(uris)]})
    assert post["kind"] == "image" and post["text"] == "Our trip" and post["cw"] == "Spiders"
    assert [i["mxc"] for i in post["images"]] == uris
    assert [i["alt"] for i in post["images"]] == [f"Spider number {i}" for i in range(4)]
    server, media_id = uris[0].removeprefix("mxc://").split("/")
    assert post["images"][0]["url"] == f"/_matrix/client/v1/media/download/{server}/{media_id}"
    assert (post["images"][0]["w"], post["images"][0]["h"]) == (40, 20)

    # What Element gets: an m.text whose HTML shows the four images inside a spoiler, and a
    # body that starts with the warning.
    event = await event_of(stack, bob, post["room_id"], post["id"])
    content = event["content"]
    assert content["msgtype"] == "m.text"
    assert content["body"].startswith("CW: Spiders\n\nOur trip\n[image: Spider number 0]")
    html = content["formatted_body"]
    assert html.startswith('<span data-mx-spoiler="Spiders">Our trip<br>')
    assert html.count("<img ") == 4 and all(f'src="{uri}"' in html for uri in uris)
    # The image's bytes are the homeserver's, readable by the follower.
    async with aiohttp.ClientSession() as http, http.get(
            f"{stack.synapse.url}{post['images'][2]['url']}",
            headers={"Authorization": f"Bearer {bob.access_token}"}) as resp:
        assert resp.status == 200 and await resp.read() == png((120, 0, 0))

    # Bob's feed shows the same view.
    async def in_feed():
        items = (await api_ok(stack, "GET", "/feed", bob))["items"]
        return next((p for p in items if p["id"] == post["id"]), None)

    seen = await eventually(in_feed, what="post in the follower's feed")
    assert seen["cw"] == "Spiders" and [i["alt"] for i in seen["images"]] == \
        [i["alt"] for i in post["images"]]

    # An edit changes the caption and keeps images and warning.
    edited = await api_ok(stack, "PATCH", f"/posts/{q(post['id'])}", alice,
                          json={"text": "Our trip, day 2"})
    assert edited["text"] == "Our trip, day 2" and edited["cw"] == "Spiders"
    assert [i["mxc"] for i in edited["images"]] == uris


async def test_one_image_with_alt_text_is_an_m_image_with_a_caption(stack):
    alice = await stack.register("alice")
    uri = await upload(stack, alice)
    post = await api_ok(stack, "POST", "/posts", alice, json={
        "kind": "image", "text": "Sunset", "images": [{"mxc": uri, "alt": "A red square"}]})
    content = (await event_of(stack, alice, post["room_id"], post["id"]))["content"]
    assert content["msgtype"] == "m.image" and content["url"] == uri
    assert (content["body"], content["filename"]) == ("Sunset", "image.png")
    assert content[ev.POST_BLOCK][ev.POST_IMAGES][0]["alt"] == "A red square"
    assert post["images"][0]["alt"] == "A red square" and post["cw"] is None
    # The older shape still works: one `image`, no alt text.
    old = await api_ok(stack, "POST", "/posts", alice,
                       json={"kind": "image", "image": await upload(stack, alice)})
    assert old["images"][0]["alt"] == "" and old["image"]["url"].startswith("mxc://")


async def test_a_text_post_and_a_comment_with_a_content_warning(stack):
    alice, bob = await stack.register("alice"), await stack.register("bob")
    post = await api_ok(stack, "POST", "/posts", alice,
                        json={"text": "It was the butler", "cw": "Film spoilers"})
    assert (post["text"], post["cw"]) == ("It was the butler", "Film spoilers")
    content = (await event_of(stack, alice, post["room_id"], post["id"]))["content"]
    assert content["body"] == "CW: Film spoilers\n\nIt was the butler"
    assert content["formatted_body"] == \
        '<span data-mx-spoiler="Film spoilers">It was the butler</span>'
    comment = await api_ok(stack, "POST", f"/posts/{q(post['id'])}/comments", bob,
                           json={"text": "No way", "cw": "More spoilers"})
    assert comment["cw"] == "More spoilers" and comment["text"] == "No way"
    assert comment["author"]["display_name"]  # the thread shows names, not only handles
    event = await event_of(stack, bob, post["room_id"], comment["id"])
    assert event["content"]["body"] == "CW: More spoilers\n\nNo way"
    assert 'data-mx-spoiler="More spoilers"' in event["content"]["formatted_body"]
    listed = (await api_ok(stack, "GET", f"/posts/{q(post['id'])}/comments", alice))["items"]
    assert [(c["text"], c.get("cw")) for c in listed] == [("No way", "More spoilers")]


async def test_a_plain_clients_spoilers_are_read_back_as_content_warnings(stack):
    """Element's /spoiler (no reason, the text in clear in body) and a spoiler with a reason,
    on a post and on a comment, written by a plain client."""
    alice, carol = await stack.register("alice"), await stack.register("carol")
    mine = await api_ok(stack, "POST", "/posts", alice, json={"text": "first"})
    client = stack.nio(alice)
    spoiler = await client.room_send(mine["room_id"], "m.room.message", {
        "msgtype": "m.text", "body": "Alice dies", "format": "org.matrix.custom.html",
        "formatted_body": 'Alice <span data-mx-spoiler="the finale">dies</span>'})
    bare = await client.room_send(mine["room_id"], "m.room.message", {
        "msgtype": "m.text", "body": "he lives", "format": "org.matrix.custom.html",
        "formatted_body": "<span data-mx-spoiler>he lives</span>"})
    carol_client = stack.nio(carol)
    await carol_client.join(mine["room_id"])
    reply = await carol_client.room_send(mine["room_id"], "m.room.message", {
        "msgtype": "m.text", "body": "CW: gore\n\nso much blood",
        "format": "org.matrix.custom.html",
        "formatted_body": '<span data-mx-spoiler="gore">so much blood</span>',
        "m.relates_to": {"rel_type": "m.thread", "event_id": mine["id"],
                         "is_falling_back": True, "m.in_reply_to": {"event_id": mine["id"]}}})

    async def indexed(event_id: str):
        status, body = await api(stack, "GET", f"/posts/{q(event_id)}", alice)
        return status == 200 and body

    got = await eventually(lambda: indexed(spoiler.event_id), what="spoiler post indexed")
    assert (got["cw"], got["text"]) == ("the finale", "Alice dies")
    got = await eventually(lambda: indexed(bare.event_id), what="bare spoiler indexed")
    assert (got["cw"], got["text"]) == ("Spoiler", "he lives")

    async def commented():
        items = (await api_ok(stack, "GET", f"/posts/{q(mine['id'])}/comments", alice))["items"]
        return items

    [comment] = await eventually(commented, what="spoiler comment indexed")
    assert comment["id"] == reply.event_id
    assert (comment["cw"], comment["text"]) == ("gore", "so much blood")


async def test_images_and_warnings_an_attacker_cannot_post(stack):
    alice, mallory = await stack.register("alice"), await stack.register("mallory")
    first = await api_ok(stack, "POST", "/posts", mallory, json={"text": "before"})
    alices = await upload(stack, alice)
    own = [await upload(stack, mallory, (0, i * 40, 0)) for i in range(5)]
    file = await api_ok(stack, "POST", "/media?kind=file", mallory, data=b"just some bytes",
                        headers={"Content-Type": "text/plain"})
    refused = [
        # somebody else's upload, alone or among her own
        {"images": [{"mxc": alices}]},
        {"images": [{"mxc": own[0]}, {"mxc": alices}]},
        {"image": alices},
        # a URI that was never uploaded through the service, a file that is not an image
        {"images": [{"mxc": "mxc://elsewhere.example/abc"}]},
        {"images": [{"mxc": file["content_uri"]}]},
        # five images, none, the same one twice, both shapes at once
        {"images": [{"mxc": uri} for uri in own]},
        {"images": []},
        {"images": [{"mxc": own[0]}, {"mxc": own[0]}]},
        {"images": [{"mxc": own[0]}], "image": own[1]},
        {"images": [own[0]]},
        # alt text and warnings past their limits, or not strings, or several lines
        {"images": [{"mxc": own[0], "alt": "a" * 1501}]},
        {"images": [{"mxc": own[0], "alt": 5}]},
        {"images": [{"mxc": own[0]}], "cw": "w" * 101},
        {"images": [{"mxc": own[0]}], "cw": "two\nlines"},
        {"images": [{"mxc": own[0]}], "cw": {"reason": "x"}},
    ]
    for body in refused:
        status, answer = await api(stack, "POST", "/posts", mallory,
                                   json={"kind": "image", **body})
        assert (status, answer["errcode"]) == (400, "M_INVALID_PARAM"), (body, answer)
    status, answer = await api(stack, "POST", "/posts", mallory,
                               json={"kind": "app", "cw": "x", "app": {
                                   "name": "A", "url": "https://a.example"}})
    assert status == 400, answer
    status, answer = await api(stack, "POST", f"/posts/{q(first['id'])}/comments", mallory,
                               json={"text": "hi", "cw": "c" * 101})
    assert (status, answer["errcode"]) == (400, "M_INVALID_PARAM")
    # Nothing was sent: the room holds the first post only.
    events = await room_texts(stack.nio(mallory), first["room_id"])
    assert [e["content"].get("body") for e in events if e["type"] == "m.room.message"] == \
        ["before"]
    # At the limits, it posts.
    ok = await api_ok(stack, "POST", "/posts", mallory, json={
        "kind": "image", "cw": "w" * 100,
        "images": [{"mxc": uri, "alt": "a" * 1500} for uri in own[:4]]})
    assert len(ok["images"]) == 4 and ok["cw"] == "w" * 100


async def test_a_repost_carries_its_original_with_the_originals_counts(stack):
    alice, bob, carol = (await stack.register("alice"), await stack.register("bob"),
                         await stack.register("carol"))
    await api_ok(stack, "POST", "/follow", carol, json={"handle": bob.user_id})
    uri = await upload(stack, alice)
    original = await api_ok(stack, "POST", "/posts", alice, json={
        "kind": "image", "text": "worth it", "cw": "bright",
        "images": [{"mxc": uri, "alt": "a red square"}]})
    await api_ok(stack, "POST", f"/posts/{q(original['id'])}/like", carol)
    repost = await api_ok(stack, "POST", f"/posts/{q(original['id'])}/repost", bob)
    assert repost["original"]["id"] == original["id"]
    feed = (await api_ok(stack, "GET", "/feed", carol))["items"]
    shown = next(p for p in feed if p["id"] == repost["id"])
    inner = shown["original"]
    assert inner["author"]["user_id"] == alice.user_id and inner["text"] == "worth it"
    assert inner["counts"] == {"likes": 1, "comments": 0, "reposts": 1}
    assert inner["liked"] is True and inner["cw"] == "bright"
    assert inner["images"][0]["alt"] == "a red square"
    # Deleted original: the repost stays, without it.
    await api_ok(stack, "DELETE", f"/posts/{q(original['id'])}", alice)
    feed = (await api_ok(stack, "GET", "/feed", carol))["items"]
    assert "original" not in next(p for p in feed if p["id"] == repost["id"])


async def test_an_idempotency_key_keeps_the_request_body_for_every_route(stack):
    """The Idempotency-Key middleware reads the body first: an upload's bytes and an optional
    JSON body (a quote's text) must still reach the route, and a retry gets the first answer."""
    alice = await stack.register("alice")
    key = f"upload-{secrets.token_hex(4)}"
    headers = {"Content-Type": "image/png", "Idempotency-Key": key}
    first = await api_ok(stack, "POST", "/media", alice, data=png((1, 2, 3)), headers=headers)
    again = await api_ok(stack, "POST", "/media", alice, data=png((1, 2, 3)), headers=headers)
    assert first == again and first["mimetype"] == "image/png"
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": "original"},
                        headers={"Idempotency-Key": f"post-{secrets.token_hex(4)}"})
    quote_key = {"Idempotency-Key": f"quote-{secrets.token_hex(4)}"}
    quoted = await api_ok(stack, "POST", f"/posts/{q(post['id'])}/repost", alice,
                          json={"text": "my comment"}, headers=quote_key)
    assert quoted["text"] == "my comment"
    replayed = await api_ok(stack, "POST", f"/posts/{q(post['id'])}/repost", alice,
                            json={"text": "my comment"}, headers=quote_key)
    assert replayed["id"] == quoted["id"]
