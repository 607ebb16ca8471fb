"""The OpenAPI document of /api/social, served at /api/social/openapi.json: assembled from the
routes the app registered, each with the description declared beside its handler
(routing.py), and the schemas of the groups that registered them (schemas.py for the shared
ones)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aiohttp import web

from .routing import Operation, RouteGroup, get
from .schemas import SHARED, STRING, obj


def document(operations: Iterable[Operation], schemas: dict[str, Any]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        method = op.method.lower()
        if method in paths.setdefault(op.path, {}):
            raise ValueError(f"{op.method} {op.path} is registered twice")
        paths[op.path][method] = op.openapi()
    return {
        "openapi": "3.0.3",
        "info": {"title": "matrix-social API", "version": "1",
                 "description": "Errors are Matrix-style: {errcode, error}. Authenticate with "
                                "Authorization: Bearer <Matrix access token>."},
        "servers": [{"url": "/api/social"}],
        "security": [{"matrixToken": []}],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {
            "matrixToken": {"type": "http", "scheme": "bearer"}}},
    }


def group_schemas(groups: Iterable[type[RouteGroup]]) -> dict[str, Any]:
    """The shared schemas and each group's own; a name given twice is an error."""
    schemas = dict(SHARED)
    for group in groups:
        clash = set(schemas) & set(group.schemas)
        if clash:
            raise ValueError(f"{group.__name__} redefines the schemas {sorted(clash)}")
        schemas |= group.schemas
    return schemas


class OpenApiRoutes(RouteGroup):
    """The document itself, made from the other groups of the app once they registered."""

    schemas = {"Document": obj(["openapi", "info", "paths", "components"], {
        "openapi": STRING, "info": {"type": "object"}, "paths": {"type": "object"},
        "components": {"type": "object"}})}

    def __init__(self, groups: list[RouteGroup]) -> None:
        self.groups = groups
        self.document: dict[str, Any] = {}

    def register(self, app: web.Application, auth: Any) -> list[Operation]:
        operations = [op for group in self.groups for op in group.register(app, auth)]
        operations += super().register(app, auth)
        self.document = document(operations, group_schemas(
            [*(type(group) for group in self.groups), type(self)]))
        return operations

    @get("/openapi.json", "This document", "Document", errors=(), auth="public")
    async def openapi(self, request: web.Request) -> dict[str, Any]:
        return self.document
