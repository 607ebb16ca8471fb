"""What the wheel ships: the service, its web app and example config, not the local dev stack
(matrix_social/devstack/, which an editable install imports from the checkout)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _built(into: Path) -> set[str]:
    """The files setuptools puts into the wheel's tree (build_py, as `pip wheel .` runs it:
    packages and package data from pyproject.toml)."""
    result = subprocess.run([sys.executable, "-c", "from setuptools import setup; setup()", "-q",
                             "build_py", "--build-lib", str(into)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return {path.relative_to(into).as_posix() for path in into.rglob("*") if path.is_file()}


def test_the_wheel_leaves_the_dev_stack_out_and_ships_everything_else(tmp_path):
    built = _built(tmp_path)
    assert not [name for name in built if "devstack" in name]
    sources = {path.relative_to(ROOT).as_posix() for path in (ROOT / "matrix_social").rglob("*.py")
               if "devstack" not in path.parts}
    assert sources - built == set()
    assert {"matrix_social/example-config.yaml", "matrix_social/web/index.html"} <= built


def test_the_dev_command_says_what_it_needs_without_the_dev_stack(tmp_path):
    """In a wheel install `matrix-social dev` names the install it needs, not a traceback (the
    package without devstack/, and without site-packages, where the editable install's finder
    would find the checkout's)."""
    shadow = tmp_path / "matrix_social"
    shadow.mkdir()
    for name in ("__init__.py", "cli.py"):
        (shadow / name).write_text((ROOT / "matrix_social" / name).read_text())
    result = subprocess.run(
        [sys.executable, "-S", "-c", "from matrix_social.cli import main; main()", "dev"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 1, result
    assert "pip install -e '.[dev]'" in result.stderr, result.stderr
