"""Hashtags: what a `#tag` is (Mastodon's rules), its one normalized form, and the HTML that
links each tag of a text to its tag page.

A tag is `#` (or the full-width `＃`) followed by word characters (Unicode letters, digits, `_`)
and the separators Mastodon allows inside a name (middle dot, katakana middle dot, zero-width
non-joiner), with at least one letter (`#2024` is no tag) and no separator at either end. It
starts a text or follows a character that cannot be part of a word, a path or a fragment: `#`
after a letter or digit (`a#b`), a `/`, `)`, `=` or `&` (`https://x.example/#frag`,
`?a=#b`, `&#39;`) is no tag, and neither is any `#` inside a URL.

Tags are stored normalized (NFKC, case-folded, NFKC again: case folding may undo the first
normalization), so `#Matrix`, `#MATRIX` and `#ｍａｔｒｉｘ` are one tag. A normalized tag is made
of word characters and those separators only, so it is safe in a URL path segment once
percent-encoded (no `/`, `.`, `%`, `?`); the API refuses anything else.
"""

from __future__ import annotations

import html
import unicodedata
from urllib.parse import quote

import regex

from .. import events as ev

MAX_TAG_CHARS = 100
MAX_TAGS_PER_TEXT = 30
SEPARATORS = "\u00b7\u30fb\u200c"

# A word character as Ruby's [[:word:]] has it: letters, marks (Devanagari vowel signs...),
# decimal digits, connector punctuation.
_WORD = r"\p{L}\p{M}\p{Nd}\p{Pc}"
_URL = regex.compile(r"\b[a-z][a-z0-9+.-]*://\S+|\bwww\.\S+", regex.IGNORECASE)
_TAG = regex.compile(rf"(?<![{_WORD}/)=&#＃])[#＃]([{_WORD}][{_WORD}{SEPARATORS}]*)")
_NAME = regex.compile(rf"[{_WORD}](?:[{_WORD}{SEPARATORS}]*[{_WORD}])?")


def _name(raw: str) -> str | None:
    """The tag name in a match: trailing separators dropped; None when it has no letter or
    is too long."""
    name = raw.rstrip(SEPARATORS)
    if not name or len(name) > MAX_TAG_CHARS or not any(c.isalpha() for c in name):
        return None
    return name


def normalize(name: str) -> str:
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def checked(tag: object) -> str | None:
    """A tag as a request names it (with or without `#`), normalized; None if it is no tag."""
    if not isinstance(tag, str):
        return None
    tag = tag[1:] if tag[:1] in ("#", "＃") else tag
    tag = normalize(tag)
    if not _NAME.fullmatch(tag) or _name(tag) != tag:
        return None
    return tag


def _spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, normalized tag) of each tag in the text, outside URLs."""
    urls = [m.span() for m in _URL.finditer(text)]
    found = []
    for match in _TAG.finditer(text):
        start = match.start()
        if any(a <= start < b for a, b in urls):
            continue
        name = _name(match.group(1))
        if name is None:
            continue
        found.append((start, match.start(1) + len(name), normalize(name)))
    return found


def tags_in(text: object) -> list[str]:
    """The distinct normalized tags of a text, in order (at most MAX_TAGS_PER_TEXT)."""
    if not isinstance(text, str):
        return []
    seen: list[str] = []
    for _, _, tag in _spans(text):
        if tag not in seen:
            seen.append(tag)
            if len(seen) == MAX_TAGS_PER_TEXT:
                break
    return seen


def tag_path(tag: str) -> str:
    """The web app's page of a (normalized) tag, percent-encoded."""
    return f"/social/tag/{quote(tag, safe='')}"


def linked_html(text: str, base_url: str) -> str:
    """The text as HTML (escaped, line breaks as <br>), each tag a link to its page under
    `base_url` (the service's public URL)."""
    out, last = [], 0
    for start, end, tag in _spans(text):
        out.append(html.escape(text[last:start]))
        href = html.escape(base_url.rstrip("/") + tag_path(tag))
        out.append(f'<a href="{href}">{html.escape(text[start:end])}</a>')
        last = end
    out.append(html.escape(text[last:]))
    return "".join(out).replace("\n", "<br>")


def has_tags(text: object) -> bool:
    return isinstance(text, str) and bool(_spans(text))


def with_links(content: dict, base_url: str) -> dict:
    """A post's content with its tags linked in formatted_body (added when there was none;
    otherwise the escaped text inside it is replaced by its linked form). Without a public
    URL to link to, the content as it was: the tags are still read from the body."""
    block = content.get(ev.POST_BLOCK) or {}
    source = next((text for text in (block.get(ev.POST_TEXT), block.get(ev.POST_CAPTION),
                                     content.get("body")) if isinstance(text, str) and text),
                  None)
    if not base_url or source is None or not has_tags(source):
        return content
    formatted = content.get("formatted_body")
    if formatted is None:
        if source != content.get("body"):
            return content
        return {**content, "format": "org.matrix.custom.html",
                "formatted_body": linked_html(source, base_url)}
    plain = html.escape(source).replace("\n", "<br>")
    if not isinstance(formatted, str) or formatted.count(plain) != 1:
        return content
    return {**content, "formatted_body": formatted.replace(plain, linked_html(source, base_url))}
