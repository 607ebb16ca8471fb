"""The platform SDKs are loaded on first use, and a missing one still fails at start."""

from __future__ import annotations

import sys

import pytest

from matrix_social.lazy_import import lazy_module


def test_a_module_runs_on_first_use_and_a_missing_one_fails_at_once(tmp_path, monkeypatch):
    (tmp_path / "heavy_sdk_for_test.py").write_text("LOADED = True\nimport builtins\n"
                                                    "builtins.heavy_sdk_ran = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import builtins

    try:
        module = lazy_module("heavy_sdk_for_test")
        assert not hasattr(builtins, "heavy_sdk_ran")
        assert module.LOADED is True and builtins.heavy_sdk_ran is True
        assert lazy_module("heavy_sdk_for_test") is sys.modules["heavy_sdk_for_test"]
    finally:
        sys.modules.pop("heavy_sdk_for_test", None)
        if hasattr(builtins, "heavy_sdk_ran"):
            del builtins.heavy_sdk_ran
    with pytest.raises(ModuleNotFoundError):
        lazy_module("no_such_sdk_for_test")


def test_the_service_starts_without_loading_the_platform_sdks():
    import subprocess

    # A package that ran imports its submodules; a lazy one has none loaded yet.
    code = ("import sys, matrix_social.bridge, matrix_social.services\n"
            "print(sorted(m for m in sys.modules if '.' in m and m.split('.')[0] in\n"
            "      ('tweepy', 'mastodon', 'github', 'twitter_text')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=180, check=True).stdout
    assert out.strip() == "[]", out
