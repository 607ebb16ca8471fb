"""The example config, written from the table of keys (sections.py): every key with its
default and the comment that explains it. mautrix reads the file as the base of every config
(a missing key takes its value from here).

    matrix-social example-config           # rewrites matrix_social/example-config.yaml
    matrix-social example-config --check   # exit 1 when the file differs
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from .sections import HEADER, Settings
from .table import Key, walk

PATH = Path(__file__).resolve().parent.parent / "example-config.yaml"
INDENT = "    "
_PLAIN = re.compile(r"[A-Za-z0-9_./@%+-][A-Za-z0-9_./:@%+ -]*")
_YAML = YAML(typ="safe", pure=True)


def scalar(value: Any) -> str:
    """A YAML scalar: plain where it reads back as the same string, else double-quoted (JSON's
    quoting is YAML's)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if value == "":
        return "''"
    text = str(value)
    if _PLAIN.fullmatch(text) and _YAML.load(f"k: {text}") == {"k": text}:
        return text
    return json.dumps(text, ensure_ascii=False)


def _value(value: Any, depth: int) -> list[str]:
    """The text after `key:` (one line), or the lines of a block mapping below it."""
    if isinstance(value, dict) and value:
        lines = []
        for name, item in value.items():
            inner = _value(item, depth + 1)
            if isinstance(item, dict) and item:
                lines += [f"{INDENT * (depth + 1)}{name}:", *inner]
            else:
                lines.append(f"{INDENT * (depth + 1)}{name}: {inner[0]}")
        return lines
    if isinstance(value, dict):
        return ["{}"]
    if isinstance(value, list):
        return ["[" + ", ".join(scalar(item) for item in value) + "]"]
    return [scalar(value)]


def _comment(doc: str, depth: int) -> list[str]:
    return [f"{INDENT * depth}# {line}".rstrip() for line in doc.splitlines()] if doc else []


def render() -> str:
    lines = [f"# {line}" for line in HEADER.splitlines()]
    for item in walk(Settings):
        depth = item.path.count(".")
        name = item.path.rsplit(".", 1)[-1]
        if depth == 0:
            lines.append("")
        lines += _comment(item.doc, depth)
        if not isinstance(item, Key):
            lines.append(f"{INDENT * depth}{name}:")
            continue
        value = _value(item.default, depth)
        if isinstance(item.default, dict) and item.default:
            lines += [f"{INDENT * depth}{name}:", *value]
        else:
            lines.append(f"{INDENT * depth}{name}: {value[0]}")
    return "\n".join(lines) + "\n"


def main(args: list[str]) -> None:
    """`matrix-social example-config [--check]`: write the example (or check it is current),
    once the platforms' sections are plugged in (the command line loads the external wing)."""
    text = render()
    if "--check" in args:
        sys.exit(0 if PATH.read_text() == text else f"{PATH} differs from the table")
    PATH.write_text(text)
