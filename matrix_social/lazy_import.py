"""Modules loaded on first use: the platform SDKs (tweepy, Mastodon.py, PyGithub, twitter-text)
cost tens of megabytes and half a second at start, and a server enables few platforms or none.
The module is found at once (a missing dependency still fails at start), executed on the
first attribute access."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy_module(name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
