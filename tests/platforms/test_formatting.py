"""Cross-post formatting, counted as each platform counts.

The X cases follow the twitter-text conformance suite for config v3
(validate.yml, WeightedTweetsWithDiscountedEmojiCounterTest): URLs, emoji, CJK, ZWJ
sequences, NFC, the 280/281 boundary."""

from __future__ import annotations

import pytest
from twitter_text import parse_tweet

from matrix_social.external.platform import Draft, TextLimits
from matrix_social.external.platforms.instagram import format_instagram
from matrix_social.external.platforms.mastodon import format_mastodon, mastodon_length
from matrix_social.external.platforms.x import format_x, x_length
from matrix_social.external.previews import preview

FAMILY = "\U0001F468\u200d\U0001F469\u200d\U0001F467\u200d\U0001F466"  # one ZWJ sequence
POST = "https://social.example.org/p/abc123"  # a real TLD: twitter-text counts it 23


@pytest.mark.parametrize(("text", "length", "valid"), [
    ("Hi http://test.co", 26, True),  # a URL counts 23
    ("http://test.co", 23, True),
    ("https://www.twitter.com/aloha " * 10, 240, True),  # ten URLs, 23 each, plus ten spaces
    ("x" * 280, 280, True),
    ("x" * 281, 281, False),
    ("x" * 275 + " http://www.twitter.com/jack", 299, False),
    ("\u6545" * 140, 280, True),  # CJK count 2
    ("\u6545" * 160, 320, False),
    ("the" + "\u6545" * 160, 323, False),
    ("\U0001F637" * 140, 280, True),  # emoji count 2
    ("\U0001F637" * 160, 320, False),
    ("H\U0001F431\u263a" + FAMILY, 7, True),  # a ZWJ family is one emoji
    (FAMILY * 140, 280, True),
    (FAMILY * 141, 282, False),
    ("\U0001F64B\U0001F3FD\U0001F468\u200d\U0001F3A4", 4, True),  # skin tone, ZWJ profession
    ("1\u20e3", 2, True),  # keycap sequence
    ("\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F", 2, True),  # flag
    ("A\u0301B", 2, True),  # NFC: A + combining acute is one character
    ("x" * 279 + "A\u0301", 280, True),
    ("x" * 280 + "A\u0301", 281, False),
    ("\u2010\u2013\u2014\u2018\u2019\u201c\u201d", 7, True),  # general punctuation counts 1
    ("", 0, False),
])
def test_x_weighted_length_conformance(text, length, valid):
    assert x_length(text) == length
    assert parse_tweet(text).valid is valid


def test_x_text_within_the_limit_is_sent_as_is():
    draft = Draft("x" * 280, POST)
    result = format_x(draft)
    assert (result.text, result.length, result.truncated, result.refusal) == (
        "x" * 280, 280, False, None)


def test_x_cut_at_a_word_boundary_with_a_link_back():
    words = " ".join(f"w{n:03d}" for n in range(70))  # 70 * 5 - 1 = 349
    result = format_x(Draft(words, POST))
    assert result.truncated and result.length <= 280
    body, _, link = result.text.rpartition(" ")
    assert link == POST and body.endswith("…")
    kept = body[:-1]
    assert words.startswith(kept) and words[len(kept)] == " "  # cut before a space
    # As long as possible: one more word would not fit.
    next_word = words[len(kept):].split(" ")[1]
    assert x_length(f"{kept} {next_word}… {POST}") > 280
    # "…" is outside the weight-1 ranges (it counts 2), the space 1, the link 23.
    assert result.length == x_length(result.text) == len(kept) + 2 + 1 + 23


def test_x_cut_never_splits_a_url_or_an_emoji():
    url = "https://example.com/" + "p" * 60
    text = "a " * 120 + url + " " + "b " * 50
    result = format_x(Draft(text, POST))
    assert result.length <= 280 and (url in result.text or "example.com" not in result.text)
    emoji = format_x(Draft(FAMILY * 200, POST))
    # 127 emoji (254) + "…" (2) + " " (1) + link (23) = 280, and no sequence is split.
    assert (emoji.length, emoji.text) == (280, FAMILY * 127 + "… " + POST)
    cjk = format_x(Draft("\u6545" * 300, POST))
    assert (cjk.length, cjk.text) == (280, "\u6545" * 127 + "… " + POST)


def test_x_refuses_an_empty_post_but_takes_an_image_alone():
    assert format_x(Draft("  ", POST)).refusal
    assert format_x(Draft("", POST, ("image/png",))).refusal is None


def test_mastodon_counts_graphemes_and_urls_as_23():
    assert mastodon_length("see https://example.com/" + "x" * 200) == 4 + 23
    assert mastodon_length(FAMILY) == 1  # grapheme clusters, unlike X
    assert mastodon_length("e\u0301") == 1
    assert mastodon_length("example.com") == 11  # no scheme: not a URL for Mastodon
    assert mastodon_length("https://a.example.org https://b.example.org", url_length=30) == 61


def test_mastodon_instance_limit():
    text = "word " * 150  # 750 characters
    default = format_mastodon(Draft(text, POST))
    assert default.truncated and default.limit == 500 and default.length <= 500
    assert default.text.endswith("… " + POST)
    assert default.length == mastodon_length(default.text) >= 495
    roomy = format_mastodon(Draft(text, POST), TextLimits(1000))
    assert not roomy.truncated and roomy.text == text.strip() and roomy.length == 749


def test_instagram_needs_an_image_and_limits_captions_and_hashtags():
    text_only = format_instagram(Draft("hello", POST))
    assert text_only.text is None and "image" in text_only.refusal
    video = format_instagram(Draft("hello", POST, ("video/mp4",)))
    assert video.refusal and "image" in video.refusal
    ok = format_instagram(Draft(" ".join(f"#tag{n}" for n in range(30)), POST, ("image/jpeg",)))
    assert ok.refusal is None
    too_many = format_instagram(Draft(" ".join(f"#t{n}x" for n in range(31)), POST,
                                      ("image/jpeg",)))
    assert "30 hashtags" in too_many.refusal
    long = format_instagram(Draft("caption " * 400, POST, ("image/jpeg",)))
    assert long.truncated and long.length <= 2200 and long.text.endswith("…")
    assert POST not in long.text  # links are not clickable in captions


def test_preview_per_target():
    draft = Draft("Hello from matrix-social " + "x" * 300, POST)
    result = preview(draft, ["x", "mastodon", "instagram", "github", "myspace"],
                     {"mastodon": TextLimits(1000)})
    assert result["x"].length <= 280 and result["x"].truncated
    assert result["mastodon"].text == draft.text and not result["mastodon"].truncated
    assert result["mastodon"].length == len(draft.text)
    assert result["instagram"].refusal and result["instagram"].text is None
    assert result["github"].refusal and result["myspace"].refusal

