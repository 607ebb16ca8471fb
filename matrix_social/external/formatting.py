"""Cutting a post to fit a platform, or splitting it into a thread, for the platforms' own
formatting (each platform module counts as its platform counts and says what it refuses).

Over the limit, the text is cut at a word boundary and "…" plus a link back to the post is
added; the link counts as the platform counts a URL. A platform that threads (Bluesky) splits
it instead (`thread`): between sentences where that does not waste much of a part, else
between words, each part numbered (" 1/3"); never inside a grapheme cluster, except a single
cluster too big for a part by itself.
"""

from __future__ import annotations

import bisect
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace

import regex

from .platform import Draft, Preview, ThreadPart

ELLIPSIS = "…"
NOTHING_TO_SEND = "the post has neither text nor an image"
# The end of a sentence: its mark, then any closing quotes or brackets.
_SENTENCE_END = regex.compile(r"[.!?…‼⁇⁈⁉][\"'”’»)\]]*$")
# Where scripts without spaces between words may be split (after a full stop or a comma).
_NO_SPACE_STOP = regex.compile(r"[。！？]")
_NO_SPACE_COMMA = regex.compile(r"[、，]")


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
    return fit_to(text, lambda candidate: count(candidate) <= limit, link)


def fit_to(text: str, fits: Callable[[str], bool], link: str | None) -> tuple[str, bool]:
    """`text`, or its longest start that `fits` with "…" and the link back, and whether it
    was cut."""
    if fits(text):
        return text, False
    suffix = ELLIPSIS + (f" {link}" if link else "")
    if not fits(suffix):
        raise ValueError("the limit is too small for the link back")

    def candidate(cut: int) -> str:
        return text[:cut].rstrip() + suffix

    def fits_at(cut: int) -> bool:
        return fits(candidate(cut))

    # A cut at a word boundary (before a run of spaces); for a text without one that fits,
    # a cut between grapheme clusters, so no emoji, flag or accent is split.
    spaces = [m.start() for m in regex.finditer(r"\s+", text) if m.start() > 0]
    cut = _longest_fitting(spaces, fits_at)
    if cut is None:
        graphemes = [m.end() for m in regex.finditer(r"\X", text)][:-1]
        cut = _longest_fitting(graphemes, fits_at)
    return (candidate(cut) if cut is not None else suffix), True


def numbering(index: int, count: int) -> str:
    """What ends part `index` (from 0) of a thread of `count`: " 2/3"; nothing for one post."""
    return f" {index + 1}/{count}" if count > 1 else ""


@dataclass(frozen=True)
class _Break:
    cut: int  # where a part may end
    resume: int  # where the next one then begins (after the spaces)
    sentence: bool  # after a sentence (or at a line break)


class _Text:
    """A text with where it may be split: its grapheme cluster boundaries and its breaks
    (between words, after sentences), each a cluster boundary."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.bounds = [m.end() for m in regex.finditer(r"\X", text)]
        edges = set(self.bounds) | {0}
        found: dict[int, _Break] = {}
        for m in regex.finditer(r"\s+", text):
            if m.start() > 0 and m.end() < len(text) and m.start() in edges \
                    and m.end() in edges:
                sentence = "\n" in m.group() or "\u2029" in m.group() or bool(
                    _SENTENCE_END.search(text, max(0, m.start() - 8), m.start()))
                found[m.start()] = _Break(m.start(), m.end(), sentence)
        for pattern, sentence in ((_NO_SPACE_STOP, True), (_NO_SPACE_COMMA, False)):
            for m in pattern.finditer(text):
                cut = m.end()
                if cut < len(text) and cut in edges and cut not in found \
                        and not text[cut].isspace():
                    found[cut] = _Break(cut, cut, sentence)
        self.breaks = [found[cut] for cut in sorted(found)]
        self.cuts = [b.cut for b in self.breaks]

    def part(self, start: int, fits: Callable[[str], bool]) -> tuple[int, int, bool]:
        """The longest part from `start` that `fits`: (its end, where the next begins, whether
        a word had to be cut). Between sentences if that keeps at least half of what fits
        between words; inside a word only for a word longer than a part."""
        text = self.text

        def fits_at(end: int) -> bool:
            return fits(text[start:end])

        first = bisect.bisect_right(self.cuts, start)
        after = self.breaks[first:]
        best = _longest_fitting([b.cut for b in after], fits_at)
        if best is not None:
            chosen = next(b for b in after if b.cut == best)
            sentences = [b for b in after if b.sentence and b.cut <= best]
            if sentences and 2 * (sentences[-1].cut - start) >= best - start:
                chosen = sentences[-1]
            # A next word longer than a part is cut anyway: begin it here, the part full.
            later = [b.cut for b in after if b.cut > chosen.resume]
            word_end = later[0] if later else len(text)
            if not fits(text[chosen.resume:word_end]):
                low = bisect.bisect_right(self.bounds, chosen.resume)
                high = bisect.bisect_left(self.bounds, word_end)
                end = _longest_fitting(self.bounds[low:high], fits_at)
                if end is not None:
                    return end, end, True
            return chosen.cut, chosen.resume, False
        # The first word alone is too long: cut it between grapheme clusters.
        word_end = after[0].cut if after else len(text)
        low = bisect.bisect_right(self.bounds, start)
        high = bisect.bisect_left(self.bounds, word_end)
        end = _longest_fitting(self.bounds[low:high], fits_at)
        if end is None:
            # One cluster is over the limit by itself (hundreds of combining marks, a chain of
            # hundreds of joined emoji): only here is it cut, between its code points.
            end = _longest_fitting(list(range(start + 1, self.bounds[low])), fits_at)
            if end is None:
                raise ValueError("the limit is too small for one character")
        return end, end, True


def thread(text: str, fits: Callable[[str], bool], link: str | None, max_parts: int
           ) -> tuple[list[ThreadPart], bool]:
    """`text` (normalized: no spaces at either end) as the posts of a thread, each of which
    `fits` with its numbering, and whether it was cut: beyond `max_parts` the last part ends
    with "…" and the link back. One part (unnumbered) when the whole text fits."""
    if fits(text):
        return [ThreadPart(text)], False
    split = _Text(text)
    count = 2
    while True:
        parts, cut = _split(split, fits, count, link, max_parts)
        if len(parts) <= count:
            break
        count = len(parts)  # more parts, maybe a wider numbering: split again
    # Fewer parts than numbered for: a numbering no wider, so each part still fits.
    return [replace(part, numbering=numbering(i, len(parts)))
            for i, part in enumerate(parts)], cut


def _split(split: _Text, fits: Callable[[str], bool], count: int, link: str | None,
           max_parts: int) -> tuple[list[ThreadPart], bool]:
    text = split.text
    parts: list[ThreadPart] = []
    start, cut_before = 0, False
    while start < len(text):
        number = numbering(len(parts), count)

        def fits_numbered(candidate: str, number: str = number) -> bool:
            return fits(candidate + number)

        rest = text[start:]
        if fits_numbered(rest):
            parts.append(ThreadPart(rest, number, cut_before))
            return parts, False
        if len(parts) == max_parts - 1:
            shortened, _ = fit_to(rest, fits_numbered, link)
            parts.append(ThreadPart(shortened, number, cut_before))
            return parts, True
        end, resume, cut_after = split.part(start, fits_numbered)
        parts.append(ThreadPart(text[start:end], number, cut_before, cut_after))
        start, cut_before = resume, cut_after
    return parts, False


def normalized(draft: Draft) -> str:
    return unicodedata.normalize("NFC", draft.text.strip())


def text_or_image(draft: Draft, platform: str, limit: int) -> Preview | None:
    """The refusal of a post with nothing to send (no text, no image), or None."""
    if normalized(draft) or draft.image_types:
        return None
    return Preview(platform, None, 0, limit, refusal=NOTHING_TO_SEND)
