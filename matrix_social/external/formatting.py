"""Per-platform cross-post formatting, counted exactly as each platform counts.

X: twitter-text config v3 weighted length (twitter-text-parser): URLs 23, CJK and emoji 2
(a ZWJ sequence is one emoji), NFC. Mastodon: StatusLengthValidator: grapheme clusters, every
URL with a scheme counts `characters_reserved_per_url` (23) — found with twitter-text's
extractor, as Mastodon does; Mastodon's extra schemes (gemini://, ipfs://...) are counted in
full, which can only over-count, never send a post over the limit. Instagram: an image (JPEG) with a
caption of at most 2,200 characters and 30 hashtags. GitHub: nothing to publish to.

Over the limit, the text is cut at a word boundary and "…" plus a link back to the post is
added; the link counts as a URL (23).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import regex

from ..lazy_import import lazy_module

twitter_text = lazy_module("twitter_text")
X_LIMIT = 280
MASTODON_DEFAULT_LIMIT = 500
MASTODON_URL_LENGTH = 23
INSTAGRAM_CAPTION_LIMIT = 2200
INSTAGRAM_HASHTAG_LIMIT = 30
INSTAGRAM_MENTION_LIMIT = 20
ELLIPSIS = "…"
TARGETS = ("x", "mastodon", "instagram", "github")

_HASHTAG = regex.compile(r"(?<![\p{L}\p{N}_&/])[#＃][\p{L}\p{M}\p{N}_]*\p{L}[\p{L}\p{M}\p{N}_]*")
_MENTION = regex.compile(r"(?<![\p{L}\p{N}_@])@[A-Za-z0-9_.]+")


@dataclass(frozen=True)
class Draft:
    text: str
    post_url: str | None = None  # the link back to the post, added when the text is cut
    image_types: tuple[str, ...] = ()  # mimetypes of the attached images, in order


@dataclass(frozen=True)
class Preview:
    target: str
    text: str | None  # exactly what would be sent; None when refused
    length: int  # as the platform counts it
    limit: int
    truncated: bool = False
    refusal: str | None = None  # why this target will not get the post


def x_length(text: str) -> int:
    return twitter_text.parse_tweet(text).weightedLength


def mastodon_length(text: str, url_length: int = MASTODON_URL_LENGTH) -> int:
    urls = twitter_text.extract_urls_with_indices(text, extract_urls_without_protocol=False)
    total, position = 0, 0
    for url in urls:
        start, end = url["indices"]
        total += len(regex.findall(r"\X", text[position:start])) + url_length
        position = end
    return total + len(regex.findall(r"\X", text[position:]))


def instagram_length(text: str) -> int:
    """UTF-16 code units: never fewer than Instagram counts, whichever unit it uses."""
    return len(text.encode("utf-16-le")) // 2


def _longest_fitting(cuts: list[int], fits: Callable[[int], bool]) -> int | None:
    """The largest cut (cuts ascending) that fits. A longer prefix never counts less when no
    cut splits a URL or a grapheme, so: gallop up from the shortest (each probe counts only a
    prefix, cheap for a long text), then bisect."""
    if not cuts or not fits(cuts[0]):
        return None
    good, step = 0, 1
    while good + step < len(cuts) and fits(cuts[good + step]):
        good, step = good + step, step * 2
    low, high = good + 1, min(good + step, len(cuts)) - 1
    while low <= high:
        middle = (low + high) // 2
        if fits(cuts[middle]):
            good, low = middle, middle + 1
        else:
            high = middle - 1
    return cuts[good]


def _fit(text: str, limit: int, count: Callable[[str], int], link: str | None
         ) -> tuple[str, bool]:
    if count(text) <= limit:
        return text, False
    suffix = ELLIPSIS + (f" {link}" if link else "")
    if count(suffix) > limit:
        raise ValueError("the limit is too small for the link back")

    def candidate(cut: int) -> str:
        return text[:cut].rstrip() + suffix

    def fits(cut: int) -> bool:
        return count(candidate(cut)) <= limit

    # A cut at a word boundary (before a run of spaces); for a text without one that fits,
    # a cut between grapheme clusters, so no emoji, flag or accent is split.
    spaces = [m.start() for m in regex.finditer(r"\s+", text) if m.start() > 0]
    cut = _longest_fitting(spaces, fits)
    if cut is None:
        graphemes = [m.end() for m in regex.finditer(r"\X", text)][:-1]
        cut = _longest_fitting(graphemes, fits)
    return (candidate(cut) if cut is not None else suffix), True


def _normalized(draft: Draft) -> str:
    return unicodedata.normalize("NFC", draft.text.strip())


def format_x(draft: Draft) -> Preview:
    text = _normalized(draft)
    if not text and not draft.image_types:
        return Preview("x", None, 0, X_LIMIT, refusal="the post has neither text nor an image")
    text, cut = _fit(text, X_LIMIT, x_length, draft.post_url)
    return Preview("x", text, x_length(text) if text else 0, X_LIMIT, cut)


def format_mastodon(draft: Draft, limit: int = MASTODON_DEFAULT_LIMIT,
                    url_length: int = MASTODON_URL_LENGTH) -> Preview:
    text = _normalized(draft)
    if not text and not draft.image_types:
        return Preview("mastodon", None, 0, limit,
                       refusal="the post has neither text nor an image")

    def count(t: str) -> int:
        return mastodon_length(t, url_length)

    text, cut = _fit(text, limit, count, draft.post_url)
    return Preview("mastodon", text, count(text), limit, cut)


def format_instagram(draft: Draft) -> Preview:
    limit = INSTAGRAM_CAPTION_LIMIT
    if not draft.image_types:
        return Preview("instagram", None, 0, limit, refusal=(
            "Instagram only publishes posts with an image; this post has none"))
    if not any(t.startswith("image/") for t in draft.image_types[:1]):
        return Preview("instagram", None, 0, limit, refusal=(
            "Instagram only publishes images (JPEG); this post's attachment is not an image"))
    text = _normalized(draft)
    hashtags = len(_HASHTAG.findall(text))
    if hashtags > INSTAGRAM_HASHTAG_LIMIT:
        return Preview("instagram", None, instagram_length(text), limit, refusal=(
            f"Instagram allows at most {INSTAGRAM_HASHTAG_LIMIT} hashtags; this post has "
            f"{hashtags}"))
    mentions = len(_MENTION.findall(text))
    if mentions > INSTAGRAM_MENTION_LIMIT:
        return Preview("instagram", None, instagram_length(text), limit, refusal=(
            f"Instagram allows at most {INSTAGRAM_MENTION_LIMIT} @mentions; this post has "
            f"{mentions}"))
    # A link in a caption is not clickable on Instagram: cut with "…" and no link back.
    text, cut = _fit(text, limit, instagram_length, None)
    return Preview("instagram", text, instagram_length(text), limit, cut)


def format_github(draft: Draft) -> Preview:
    return Preview("github", None, 0, 0, refusal="GitHub has no posts to publish to")


def preview(draft: Draft, targets: Iterable[str], *, mastodon_limit: int = MASTODON_DEFAULT_LIMIT,
            mastodon_url_length: int = MASTODON_URL_LENGTH) -> dict[str, Preview]:
    """Per target: the exact text that would be sent, its counted length, or the refusal."""
    result: dict[str, Preview] = {}
    for target in targets:
        if target == "x":
            result[target] = format_x(draft)
        elif target == "mastodon":
            result[target] = format_mastodon(draft, mastodon_limit, mastodon_url_length)
        elif target == "instagram":
            result[target] = format_instagram(draft)
        elif target == "github":
            result[target] = format_github(draft)
        else:
            result[target] = Preview(target, None, 0, 0, refusal=f"unknown platform {target!r}")
    return result

