"""The object graph, built once at start: each component is made on first use from the
components it needs, and kept. A component that needs itself, directly or not, is an error at
start (CyclicDependency), not a hang or a half-built object at run time.

Every constructor takes what it uses; nothing reaches through this container at call time.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class CyclicDependency(RuntimeError):
    pass


class component(Generic[T]):  # noqa: N801 - used as a decorator, like property
    """A method that builds one component; its result is kept on the container."""

    def __init__(self, build: Callable[[Any], T]) -> None:
        self.build = build
        self.name = build.__name__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, container: Any, owner: type | None = None) -> T:
        if container is None:
            return self  # type: ignore[return-value]
        built = container.__dict__.get("_built")
        if built is None:
            built = container.__dict__["_built"] = {}
            container.__dict__["_building"] = []
        if self.name in built:
            return built[self.name]
        building: list[str] = container.__dict__["_building"]
        if self.name in building:
            chain = " -> ".join([*building[building.index(self.name):], self.name])
            raise CyclicDependency(f"{type(container).__name__}: {chain}")
        building.append(self.name)
        try:
            built[self.name] = value = self.build(container)
        finally:
            building.pop()
        return value


def assemble(cls: Callable[..., T], container: Any) -> T:
    """An object whose constructor names the components it takes (the API's route groups):
    each parameter gets the component of that name, made and cycle-checked as any other."""
    return cls(**{name: getattr(container, name) for name in inspect.signature(cls).parameters})


def built_components(container: Any) -> dict[str, Any]:
    return dict(container.__dict__.get("_built", {}))


def all_components(container_type: type) -> list[str]:
    return [name for name, value in vars(container_type).items() if isinstance(value, component)]
