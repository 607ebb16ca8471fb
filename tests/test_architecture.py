"""The architecture holds: layers, no import cycle, explicit wiring, mautrix seams intact."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

from matrix_social.container import CyclicDependency, all_components, built_components, component
from matrix_social.matrix import mautrix_seams
from matrix_social.services import Services

PACKAGE = Path(__file__).resolve().parent.parent / "matrix_social"


def _cycles(graph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), plus self-imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_import_cycle_anywhere_in_the_package():
    graph = grimp.build_graph("matrix_social")
    assert _cycles(graph) == []


def test_the_layer_contract_is_kept():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint, "import-linter is part of the test extra"
    result = subprocess.run([lint, "--no-cache"], capture_output=True, text=True,
                            cwd=PACKAGE.parent, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:]


def test_a_back_edge_would_break_the_contract():
    """The contract really checks something: social importing api is reported."""
    graph = grimp.build_graph("matrix_social")
    graph.add_import(importer="matrix_social.social.feed", imported="matrix_social.api.params")
    illegal = graph.find_illegal_dependencies_for_layers(
        layers=("matrix_social.api", "matrix_social.social"), containers=set())
    assert illegal


def test_no_class_keeps_the_bridge_or_reaches_through_it():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "bridge" \
                    and isinstance(node.value, ast.Name) and node.value.id == "self":
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert offenders == []


def test_mautrix_seams_still_hold():
    assert mautrix_seams.check() == []


def test_a_cyclic_dependency_is_an_error_naming_the_cycle():
    class Looping:
        @component
        def a(self):
            return ("a", self.b)

        @component
        def b(self):
            return ("b", self.c)

        @component
        def c(self):
            return ("c", self.a)

        @component
        def leaf(self):
            return object()

    looping = Looping()
    with pytest.raises(CyclicDependency, match="a -> b -> c -> a"):
        _ = looping.a
    assert looping.leaf is looping.leaf


def test_every_component_is_built_once_at_start_without_a_homeserver(tmp_path, monkeypatch):
    """prepare() wires the whole graph (no homeserver is contacted); each component is one
    object, whichever component asked for it."""
    from .harness import prepared_bridge

    services = prepared_bridge(tmp_path, monkeypatch).services
    for name in all_components(Services):
        getattr(services, name)
    built = built_components(services)
    assert set(built) == set(all_components(Services))
    assert services.posts.feed is services.feed and services.feed.users is services.users
    assert services.responder.puppets is services.puppets is services.intents.puppets


MODULES_START = "<!-- modules: python -m tests.test_architecture writes this list -->"
MODULES_END = "<!-- /modules -->"
ARCHITECTURE_DOC = PACKAGE.parent / "docs" / "architecture.md"


def _summary(docstring: str, limit: int = 200) -> str:
    """A module's line: its docstring's first sentence (cut at `limit` characters)."""
    paragraph = " ".join(docstring.split("\n\n")[0].split())
    sentence = re.split(r"(?<=[.!?])\s+(?=[A-Z`(])", paragraph)[0]
    if len(sentence) > limit:
        sentence = sentence[:limit].rsplit(" ", 1)[0] + " …"
    return sentence


def module_lines() -> list[str]:
    """One line per module of the package, in path order (so a package's modules are together)."""
    lines = []
    for path in sorted(PACKAGE.rglob("*.py"), key=lambda p: p.relative_to(PACKAGE).parts):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative == "__main__.py":
            continue
        docstring = ast.get_docstring(ast.parse(path.read_text()))
        assert docstring, f"{relative} has no docstring"
        lines.append(f"- `{relative}`: {_summary(docstring)}")
    return lines


def _with_module_lines(doc: str) -> str:
    head, rest = doc.split(MODULES_START, 1)
    _, tail = rest.split(MODULES_END, 1)
    return "".join([head, MODULES_START, "\n", "\n".join(module_lines()), "\n", MODULES_END, tail])


def test_every_module_has_a_docstring_and_its_line_in_the_architecture_doc():
    """The list is written from the docstrings: a module added, moved, removed or re-described
    without `python -m tests.test_architecture` fails here."""
    doc = ARCHITECTURE_DOC.read_text()
    assert doc == _with_module_lines(doc), \
        "docs/architecture.md's module list is stale: run python -m tests.test_architecture"


def test_each_platform_module_stands_alone():
    """A platform is one module: it imports no other platform, and of the wing only the
    interface and the plumbing every adapter shares, never the machinery that uses it (so the
    machinery holds nothing about any one platform, and a new platform touches none of it)."""
    shared = {"platform", "formatting", "net", "oauth", "headers"}
    graph = grimp.build_graph("matrix_social")
    modules = [m for m in graph.find_children("matrix_social.external.platforms")]
    assert len(modules) >= 4
    for module in modules:
        wing = {m.split(".")[2] for m in graph.find_modules_directly_imported_by(module)
                if m.startswith("matrix_social.external.")}
        assert wing <= shared | {"platforms"}, (module, wing - shared)
        siblings = {m for m in graph.find_modules_directly_imported_by(module)
                    if m.startswith("matrix_social.external.platforms.")}
        assert not siblings, (module, siblings)


if __name__ == "__main__":
    ARCHITECTURE_DOC.write_text(_with_module_lines(ARCHITECTURE_DOC.read_text()))
