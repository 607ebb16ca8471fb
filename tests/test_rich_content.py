"""The content of rich posts, without a homeserver: up to four images with alt text, content
warnings as Matrix spoilers, and how any client's events are read back (docs/events.md)."""

from __future__ import annotations

import json

import pytest

from matrix_social import events as ev
from matrix_social.content import compose
from matrix_social.content.parse import content_warning, images_of, parse_post, without_cw
from matrix_social.errors import InvalidInput, MalformedEvent
from matrix_social.social.views import post_view


def image(n: int, alt: str = "") -> compose.ImageRef:
    return compose.ImageRef(f"mxc://hs.test/img{n}", "image/png", 1000 + n, 1600, 800, alt)


def row(parsed, kind: str | None = None) -> dict:
    return {"event_id": "$p", "room_id": "!r", "author": "@alice:hs.test",
            "kind": kind or parsed.kind, "body": parsed.body,
            "content": json.dumps(parsed.content), "ts": 1, "edited_ts": None,
            "repost_of": None, "displayname": "Alice", "avatar_url": None, "likes": 0,
            "comments": 0, "reposts": 0, "liked": False, "external_verified": False}


def test_one_image_is_an_m_image_with_its_caption_filename_and_alt_text():
    content = compose.image_content([image(1, "A red square")], "Sunset")
    assert content["msgtype"] == "m.image"
    assert (content["body"], content["filename"]) == ("Sunset", "image.png")
    assert content["url"] == "mxc://hs.test/img1"
    assert content["info"] == {"mimetype": "image/png", "size": 1001, "w": 1600, "h": 800}
    assert content[ev.POST_BLOCK][ev.POST_IMAGES] == [
        {"url": "mxc://hs.test/img1", "alt": "A red square", "mimetype": "image/png",
         "size": 1001, "w": 1600, "h": 800}]
    view = post_view(row(parse_post(content)), "alice", {})
    assert view["text"] == "Sunset"
    assert view["images"] == [{"url": "/_matrix/client/v1/media/download/hs.test/img1",
                               "mxc": "mxc://hs.test/img1", "alt": "A red square",
                               "w": 1600, "h": 800, "mimetype": "image/png"}]
    assert view["image"]["url"] == "mxc://hs.test/img1"


def test_four_images_are_inline_in_an_m_text_that_element_shows():
    content = compose.image_content([image(i, f"alt {i} <b>&") for i in range(4)], "Four")
    assert content["msgtype"] == "m.text"
    assert content["format"] == "org.matrix.custom.html"
    html = content["formatted_body"]
    assert html.startswith("Four<br>")
    for i in range(4):
        # scaled to fit 320 px, alt text escaped
        assert f'<img src="mxc://hs.test/img{i}" alt="alt {i} &lt;b&gt;&amp;" ' \
               'width="320" height="160">' in html
    assert content["body"].splitlines() == ["Four"] + [f"[image: alt {i} <b>&]"
                                                       for i in range(4)]
    parsed = parse_post(content)
    assert parsed.kind == "image"
    view = post_view(row(parsed), "alice", {})
    assert [i["alt"] for i in view["images"]] == [f"alt {i} <b>&" for i in range(4)]
    assert view["text"] == "Four"
    assert view["cw"] is None


def test_a_content_warning_is_a_spoiler_with_the_reason_first_in_body():
    content = compose.text_content("The butler\ndid it", "Spoilers: the <end>")
    assert content["body"] == "CW: Spoilers: the <end>\n\nThe butler\ndid it"
    assert content["formatted_body"] == (
        '<span data-mx-spoiler="Spoilers: the &lt;end&gt;">The butler<br>did it</span>')
    parsed = parse_post(content)
    assert parsed.body == "The butler\ndid it"
    view = post_view(row(parsed), "alice", {})
    assert (view["cw"], view["text"]) == ("Spoilers: the <end>", "The butler\ndid it")

    images = compose.image_content([image(1), image(2)], "look", "flash")
    assert images["body"].startswith("CW: flash\n\nlook\n[image]")
    assert images["formatted_body"].startswith('<span data-mx-spoiler="flash">look<br><img ')
    assert images["formatted_body"].endswith("></span>")  # the images are in the spoiler
    one = compose.image_content([image(1)], "", "flash")
    assert one["msgtype"] == "m.image" and one["body"] == "CW: flash\n\nimage.png"
    assert post_view(row(parse_post(one)), "alice", {})["cw"] == "flash"


@pytest.mark.parametrize("formatted, reason", [
    ('Alice <span data-mx-spoiler="the finale">dies</span>', "the finale"),
    ("<span data-mx-spoiler>dies</span>", "Spoiler"),  # Element's /spoiler gives no reason
    ("<span class='x' data-mx-spoiler='a &amp; b'>x</span>", "a & b"),
    ('<span data-mx-spoiler="' + "long " * 120 + '">x</span>', ("long " * 100).strip()),
    ("<b data-mx-spoiler>not a span</b>", ""),
    ("<span>data-mx-spoiler in text</span>", ""),
])
def test_a_spoiler_from_any_client_is_read_back_as_its_cw(formatted, reason):
    content = {"msgtype": "m.text", "body": "Alice dies", "format": "org.matrix.custom.html",
               "formatted_body": formatted}
    parsed = parse_post(content)
    assert parsed.content[ev.POST_BLOCK].get(ev.POST_CW, "") == reason
    assert content_warning(parsed.content) == reason
    assert parsed.body == "Alice dies"
    # without the format marker, formatted_body is not HTML
    assert content_warning({**content, "format": "text/plain"}) == ""


def test_the_cw_prefix_of_a_plain_client_is_taken_off_the_text():
    assert without_cw("CW: gore\n\nthe text", "gore") == "the text"
    assert without_cw("CW: gore\n\nthe text", "other") == "CW: gore\n\nthe text"
    assert without_cw("the text", "gore") == "the text"


def test_a_plain_clients_image_caption_is_read_as_matrix_1_10_says():
    captioned = parse_post({"msgtype": "m.image", "body": "At the beach", "filename": "a.jpg",
                            "url": "mxc://hs.test/a", "info": {"w": 4, "h": 3}})
    assert captioned.content[ev.POST_BLOCK][ev.POST_CAPTION] == "At the beach"
    assert images_of(captioned.content) == [{"url": "mxc://hs.test/a", "alt": "", "w": 4,
                                             "h": 3}]
    bare = parse_post({"msgtype": "m.image", "body": "a.jpg", "url": "mxc://hs.test/a"})
    assert bare.content[ev.POST_BLOCK][ev.POST_CAPTION] == ""


@pytest.mark.parametrize("images", [
    [],
    [{"url": f"mxc://hs.test/{i}"} for i in range(5)],
    [{"url": "https://evil.example/x.png"}],
    [{"url": "mxc://hs.test/a", "alt": 7}],
    "mxc://hs.test/a",
    [["mxc://hs.test/a"]],
])
def test_a_forged_image_list_is_malformed(images):
    content = {"msgtype": "m.text", "body": "x",
               ev.POST_BLOCK: {ev.POST_KIND: "image", ev.POST_IMAGES: images}}
    with pytest.raises(MalformedEvent):
        parse_post(content)


def test_images_only_on_image_posts_and_an_m_text_image_post_lists_them():
    with pytest.raises(MalformedEvent):
        parse_post({"msgtype": "m.text", "body": "x", ev.POST_BLOCK: {
            ev.POST_KIND: "text", ev.POST_IMAGES: [{"url": "mxc://hs.test/a"}]}})
    with pytest.raises(MalformedEvent):
        parse_post({"msgtype": "m.text", "body": "x", ev.POST_BLOCK: {ev.POST_KIND: "image"}})
    with pytest.raises(MalformedEvent):
        parse_post({"msgtype": "m.text", "body": "x", ev.POST_BLOCK: {
            ev.POST_KIND: "text", ev.POST_CW: ["not", "a", "string"]}})


def test_a_long_alt_or_cw_in_an_event_is_cut_not_refused():
    content = compose.image_content([image(1)], "x")
    content[ev.POST_BLOCK][ev.POST_IMAGES][0]["alt"] = "a" * 5000
    content[ev.POST_BLOCK][ev.POST_CW] = "w" * 5000
    parsed = parse_post(content)
    assert len(parsed.content[ev.POST_BLOCK][ev.POST_IMAGES][0]["alt"]) == 1500
    assert parsed.content[ev.POST_BLOCK][ev.POST_CW] == "w" * 500


def test_an_edit_keeps_the_images_and_the_content_warning():
    parsed = parse_post(compose.image_content([image(1, "one"), image(2, "two")], "old", "cw"))
    edited = compose.edited_post_content(row(parsed), "new caption")
    assert [i["alt"] for i in images_of(edited)] == ["one", "two"]
    assert content_warning(edited) == "cw"
    assert edited[ev.POST_BLOCK][ev.POST_CAPTION] == "new caption"
    text = parse_post(compose.text_content("old", "cw"))
    assert content_warning(compose.edited_post_content(row(text), "new")) == "cw"


def test_compose_refuses_more_than_four_images():
    with pytest.raises(InvalidInput):
        compose.image_content([image(i) for i in range(5)], "")
    with pytest.raises(InvalidInput):
        compose.image_content([], "")
