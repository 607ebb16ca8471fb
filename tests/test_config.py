"""Each config key is written once (matrix_social/config/sections.py), and everything else
follows from it: the shipped example config, the start-up checks, mautrix's update (a value
an operator set survives it), the typed views, and the platforms' sections plugged in."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from matrix_social.config import Config, sections
from matrix_social.config.example import PATH, render
from matrix_social.config.sections import PLATFORM_SECTIONS, Settings
from matrix_social.config.table import Key, keys
from matrix_social.errors import ConfigError
from matrix_social.external.registry import config_sections

from .harness import yaml_with
from .platforms.test_registry import PIGEON

ROOT = Path(__file__).resolve().parent.parent
FERNET_KEY = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="


def _load(path: Path, base: Path = PATH) -> Config:
    """As the service loads it: the example as the base, the file, then mautrix's update."""
    config = Config(str(path), str(path.parent / "registration.yaml"), str(base))
    config.load_and_update()
    return config


def _write(path: Path, values: dict[str, Any]) -> Path:
    """The example config with `values` (dotted paths) set."""
    return yaml_with(PATH, path, values)


def _another_value(key: Key) -> Any:
    """A valid value other than the default, for each kind of key of ours."""
    default = key.default
    if isinstance(default, bool):
        candidates: list[Any] = [not default]
    elif isinstance(default, int | float):
        candidates = [default + 1, default - 1]
    elif isinstance(default, list):
        candidates = [[FERNET_KEY], ["#policies:example.org"]]
    elif default is None:  # a platform's section, or an optional URL
        candidates = [{"client_id": "an-id"}, {}, "postgres://reader@127.0.0.1/social"]
    else:
        candidates = [default + "x", "http://127.0.0.1:1/x", "unlisted", "human", "openai"]
    for value in candidates:
        if value != default and (key.check is None or key.check(value)):
            return value
    raise AssertionError(f"no other valid value for {key.path}: add one here")


def test_the_shipped_example_config_is_written_from_the_table():
    assert PATH.read_text() == render(), "example-config.yaml drifted from config/sections.py: " \
        "matrix-social example-config"
    assert (ROOT / "config.example.yaml").resolve() == PATH


def test_every_key_of_ours_is_in_the_example_with_its_default():
    shipped = YAML(typ="safe").load(PATH)
    for key in keys(Settings):
        node = shipped
        for name in key.path.split("."):
            node = node[name]
        assert node == key.default, key.path


def test_a_value_the_operator_set_survives_the_update_and_the_typed_view_reads_it(tmp_path):
    """Every key of ours set to another valid value; mautrix's update (do_update) keeps each,
    and Config.view() reads each (a key missing from the file: its default)."""
    ours = [key for key in keys(Settings) if not key.mautrix]
    assert len(ours) > 40
    values = {key.path: _another_value(key) for key in ours}
    values |= {"platforms.public_url": "https://social.example.org",
               "platforms.token_keys": [FERNET_KEY]}
    config = _load(_write(tmp_path / "config.yaml", values))
    config.validate()
    settings = config.view()
    for path, value in values.items():
        assert config[path] == value, path
        assert _in_view(settings, path) == value, path


def _in_view(settings: Settings, path: str) -> Any:
    node: Any = settings
    for name in path.split("."):
        if isinstance(node, dict):
            node = node[name]
        elif hasattr(node, name):
            node = getattr(node, name)
        else:  # one of the keys a section holds per platform (platforms.x)
            node = next(v[name] for v in vars(node).values() if isinstance(v, dict) and name in v)
    return node


def test_each_check_refuses_a_wrong_value_with_one_line_naming_its_key(tmp_path):
    checked = [key for key in keys(Settings) if key.check is not None]
    assert len(checked) > 50
    config = _load(_write(tmp_path / "config.yaml", {}))
    config.validate()  # the example as shipped passes
    for key in checked:
        kept = config[key.path]
        config[key.path] = {"unknown_setting": 1}
        with pytest.raises(ConfigError) as refused:
            config.validate()
        config[key.path] = kept
        assert refused.value.key == key.path
        assert key.expect in str(refused.value)


def test_a_platform_declares_its_section_once_and_the_config_follows(tmp_path, monkeypatch):
    """The hook the platforms plug into: a platform the external wing declares (a test's own)
    has its section and puppet prefix in the checks, the update, the example and the
    registration's namespaces."""
    fedi = replace(PIGEON, name="fedi", config_doc="Fedi: an example platform.\n  fedi: "
                                                   "{client_id: \"...\"}")
    monkeypatch.setattr(sections, "PLATFORM_SECTIONS", [*PLATFORM_SECTIONS,
                                                        *config_sections([fedi])])
    paths = {key.path: key for key in keys(Settings)}
    assert paths["platforms.fedi"].default is None
    assert paths["bridge.platform_prefixes.fedi"].default == "fedi_"
    assert ('    # Fedi: an example platform.\n    #   fedi: {client_id: "..."}\n'
            '    fedi: null\n') in render()
    example = tmp_path / "example-config.yaml"
    example.write_text(render())
    config = _load(_write(tmp_path / "config.yaml", {}), base=example)
    assert config["bridge.platform_prefixes.fedi"] == "fedi_"
    config.validate()
    config["platforms.fedi"] = {"client_id": "id", "api_base": "file:///etc"}
    with pytest.raises(ConfigError, match="platforms.fedi"):
        config.validate()
    regexes = {ns["regex"] for ns in config.namespaces["users"]}
    assert any("fedi_" in regex for regex in regexes), regexes

