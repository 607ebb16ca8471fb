"""Cutting a post to fit a platform, for the platforms' own formatting (each platform module
counts as its platform counts and says what it refuses).

Over the limit, the text is cut at a word boundary and "…" plus a link back to the post is
added; the link counts as the platform counts a URL.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import regex

from .platform import Draft, Preview

ELLIPSIS = "…"
NOTHING_TO_SEND = "the post has neither text nor an image"


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


def fit(text: str, limit: int, count: Callable[[str], int], link: str | None
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


def normalized(draft: Draft) -> str:
    return unicodedata.normalize("NFC", draft.text.strip())


def text_or_image(draft: Draft, platform: str, limit: int) -> Preview | None:
    """The refusal of a post with nothing to send (no text, no image), or None."""
    if normalized(draft) or draft.image_types:
        return None
    return Preview(platform, None, 0, limit, refusal=NOTHING_TO_SEND)
