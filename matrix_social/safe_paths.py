"""Identifiers that reach a URL or a file path: a user-chosen localpart may hold `/`, `..` or
control characters (Synapse allows `/` and `.` in localparts), so it is refused or escaped
before it names a file or a path segment."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from .errors import Forbidden

_UNSAFE = re.compile(r"[/\\\x00-\x1f\x7f]")
MAX_SEGMENT = 255


def safe_segment(value: str) -> str | None:
    """The value if it can be one path segment as it is; None if it would traverse or break
    one (a slash or backslash, `.` or `..`, control characters, empty, too long)."""
    if not value or value in (".", "..") or _UNSAFE.search(value) or len(value) > MAX_SEGMENT:
        return None
    return value


def url_segment(value: str) -> str:
    """One URL path segment, percent-escaped; traversal refused."""
    if safe_segment(value) is None:
        raise Forbidden(f"{value!r} cannot name a URL path segment")
    return quote(value, safe="")


def file_in(template: str, value: str) -> Path:
    """`template` with {localpart} filled in, refusing a value that would leave the file's
    directory (checked on the resolved path as well)."""
    if safe_segment(value) is None:
        raise Forbidden(f"{value!r} cannot name a file")
    path = Path(template.format(localpart=value))
    directory = Path(template.format(localpart="x")).resolve().parent
    if path.resolve().parent != directory:
        raise Forbidden(f"{value!r} would name a file outside {directory}")
    return path
