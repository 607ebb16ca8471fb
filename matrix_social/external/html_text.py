"""Plain text from a platform's HTML (Mastodon statuses): paragraphs and line breaks kept,
tags dropped, entities decoded. The result is text, never markup."""

from __future__ import annotations

from html.parser import HTMLParser

MAX_TEXT = 20_000
MAX_HTML = MAX_TEXT * 4


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p" and self.parts:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(content: str) -> str:
    parser = _Text()
    parser.feed(content[:MAX_HTML])
    parser.close()
    return "".join(parser.parts).strip()[:MAX_TEXT]  # convert_charrefs already decoded
