"""How a config key is written once: a field of a section dataclass (sections.py) carries the
key's default, its check and its description; the checks at start, mautrix's update copy list,
the example config and the typed views all come from those fields.

    @dataclass(frozen=True)
    class ApiSection:
        max_page_size: int = key(100, "Largest page a list endpoint returns.",
                                 check=is_positive_int, expect="a positive integer")
"""

from __future__ import annotations

import base64
import binascii
import copy
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, TypeVar

T = TypeVar("T")
Check = Callable[[Any], bool]


@dataclass(frozen=True)
class Key:
    """One config key: where it is, its default (the example config's value), what a value
    must be (`check`, said as `expect` when it is not), the comment above it in the example,
    and whether mautrix's own update copies it (`mautrix`) or ours does."""

    path: str
    default: Any
    doc: str = ""
    check: Check | None = None
    expect: str = ""
    mautrix: bool = False


@dataclass(frozen=True)
class Section:
    """A mapping of keys (a section dataclass) at `path`, with the comment above it."""

    path: str
    doc: str = ""


@dataclass(frozen=True)
class PerName:
    """One key per name (a platform), whose names come from outside the table: the field's
    value is a {name: value} dict; each name's check, what it expects, default and comment."""

    check: Callable[[str], Check | None]
    expect: Callable[[str], str]
    default: Callable[[str], Any]
    doc: Callable[[str], str]


def key(default: Any, doc: str = "", *, check: Check | None = None, expect: str = "",
        mautrix: bool = False) -> Any:
    """A field of a section dataclass that is a config key."""
    info = {"doc": doc, "check": check, "expect": expect, "mautrix": mautrix}
    if isinstance(default, list | dict):
        return field(default_factory=lambda: copy.deepcopy(default), metadata={"key": info})
    return field(default=default, metadata={"key": info})


def section(kind: type, doc: str = "") -> Any:
    """A field of a section dataclass that is a section of its own (a nested mapping)."""
    return field(default_factory=kind, metadata={"section": doc})


def per_name(names: Callable[[], tuple[str, ...]], spec: PerName, doc: str = "", *,
             inline: bool = False) -> Any:
    """A field holding one key per name (the platforms), the names asked for when the table is
    walked: a mapping of its own (`doc` above it), or, `inline`, keys of the section itself."""
    return field(default_factory=lambda: {name: spec.default(name) for name in names()},
                 metadata={"per_name": (names, spec), "section": doc, "inline": inline})


def walk(kind: type, prefix: str = "") -> Iterator[Key | Section]:
    """Every section and key of a section dataclass, in the order they are written."""
    for f in fields(kind):
        path = f"{prefix}{f.name}"
        if "per_name" in f.metadata:
            names, spec = f.metadata["per_name"]
            if not f.metadata["inline"]:
                yield Section(path, f.metadata["section"])
            within = prefix if f.metadata["inline"] else f"{path}."
            for name in names():
                yield Key(f"{within}{name}", spec.default(name), spec.doc(name),
                          spec.check(name), spec.expect(name))
        elif "section" in f.metadata:
            yield Section(path, f.metadata["section"])
            yield from walk(f.default_factory, f"{path}.")  # type: ignore[arg-type]
        else:
            info = f.metadata["key"]
            default = f.default if f.default is not MISSING else f.default_factory()  # type: ignore[misc]
            yield Key(path, default, info["doc"], info["check"], info["expect"],
                      info["mautrix"])


def keys(kind: type) -> list[Key]:
    return [item for item in walk(kind) if isinstance(item, Key)]


def view(kind: type[T], get: Callable[[str], Any], prefix: str = "") -> T:
    """The typed view of a section: each field read with `get(path)` (KeyError: the default)."""
    values: dict[str, Any] = {}
    for f in fields(kind):  # type: ignore[arg-type]
        path = f"{prefix}{f.name}"
        if "per_name" in f.metadata:
            names, spec = f.metadata["per_name"]
            within = prefix if f.metadata["inline"] else f"{path}."
            values[f.name] = {name: _read(get, f"{within}{name}", spec.default(name))
                              for name in names()}
        elif "section" in f.metadata:
            values[f.name] = view(f.default_factory, get, f"{path}.")  # type: ignore[arg-type]
        else:
            default = f.default if f.default is not MISSING else f.default_factory()  # type: ignore[misc]
            values[f.name] = _read(get, path, default)
    return kind(**values)


def _read(get: Callable[[str], Any], path: str, default: Any) -> Any:
    try:
        return get(path)
    except KeyError:
        return default


# Checks -------------------------------------------------------------------------------------

def is_http_url(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"https?://[^\s/]+(/\S*)?", value) is not None


def is_server_name(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9.\-\[\]:]+", value) is not None


def is_localpart(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"[a-z0-9._=\-/]+", value) is not None


def is_port(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 65536


def is_database_url(value: Any) -> bool:
    pattern = r"sqlite3?:.+|postgres(ql)?://.+"
    return isinstance(value, str) and re.fullmatch(pattern, value) is not None


def is_int_between(low: int, high: float = float("inf")) -> Check:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and low <= v <= high


is_positive_int = is_int_between(1)


def is_positive_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def is_text(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def is_one_of(*choices: Any) -> Check:
    return lambda v: v in choices


def is_empty_or_http_url(value: Any) -> bool:
    return value in ("", None) or is_http_url(value)


def is_fernet_key(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return len(base64.urlsafe_b64decode(value.strip().encode())) == 32
    except (binascii.Error, ValueError):
        return False


def is_mapping(value: Any) -> bool:
    return isinstance(value, Mapping)
