"""The OpenAPI document: every route the app registers is in it (its description is declared
beside its handler), and it says what answers always carry and every status an operation
gives.

(That the served document is this one: test_social_follows_feed.py; that the API keeps to it
under generated input, statuses included: test_hostile_input.py and test_reliability.py.)"""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from matrix_social.api.app import api_document

from .harness import prepared_bridge

DOCUMENT = api_document()

# Object schemas of answers where no listed property is always there, and why. (Objects
# without listed properties are free-form: an event's content, a document's paths...)
OPTIONAL_ONLY = {
    "SearchResult": "one page per type asked for",
}


def _resolve(schema: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[1]
        return name, DOCUMENT["components"]["schemas"][name]
    return None, schema


def _walk(schema: dict[str, Any], name: str, seen: set[str], out: list[tuple[str, dict]]):
    ref_name, schema = _resolve(schema)
    if ref_name:
        if ref_name in seen:
            return
        seen.add(ref_name)
        name = ref_name
    out.append((name, schema))
    for key, prop in (schema.get("properties") or {}).items():
        _walk(prop, key, seen, out)
    for part in schema.get("allOf", []):
        _walk(part, name, seen, out)
    if "items" in schema:
        _walk(schema["items"], f"{name}[]", seen, out)


def _answer_schemas() -> list[tuple[str, dict]]:
    out: list[tuple[str, dict]] = []
    seen: set[str] = set()
    for operations in DOCUMENT["paths"].values():
        for op in operations.values():
            for response in op["responses"].values():
                json_content = response["content"].get("application/json")
                if json_content:  # not the platform-media JPEG
                    _walk(json_content["schema"], "answer", seen, out)
    return out


def test_every_object_in_an_answer_says_what_it_always_carries():
    schemas = _answer_schemas()
    assert len(schemas) > 100
    missing = []
    for name, schema in schemas:
        if schema.get("type") != "object" or "properties" not in schema:
            continue
        if name in OPTIONAL_ONLY:
            assert "required" not in schema, name
            continue
        required = schema.get("required")
        if not required:
            missing.append(name)
            continue
        unknown = set(required) - set(schema.get("properties") or {})
        assert not unknown, (name, unknown)
    assert missing == [], f"object schemas without required: {missing}"


def test_every_operation_documents_the_errors_any_may_give():
    for path, operations in DOCUMENT["paths"].items():
        for method, op in operations.items():
            codes = set(op["responses"])
            expected = {"400"}
            if op.get("security") != []:
                expected |= {"401", "403", "502"}
            if "requestBody" in op:
                expected |= {"408", "413"}
            assert expected <= codes, (method, path, sorted(codes))
            for code, response in op["responses"].items():
                if code.startswith(("4", "5")):
                    assert response["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/Error"}, (method, path, code)


async def test_every_registered_route_is_described_and_the_app_serves_the_document(
        tmp_path, monkeypatch):
    """The API app as the service builds it (no homeserver needed to register routes): a route
    registered any other way than with its description fails here."""
    app = prepared_bridge(tmp_path, monkeypatch).services.api_app
    registered = {(route.method, route.resource.canonical.removeprefix("/api/social"))
                  for route in app.router.routes() if route.method != "HEAD"}
    documented = {(method.upper(), path) for path, ops in DOCUMENT["paths"].items()
                  for method in ops}
    assert registered - documented == set(), "routes without an OpenAPI description"
    assert documented - registered == set(), "descriptions of routes that are not there"
    for path, ops in DOCUMENT["paths"].items():
        for method, op in ops.items():
            assert op["summary"].strip() and op["responses"], (method, path)
    async with TestClient(TestServer(app)) as client:
        served = await client.get("/api/social/openapi.json")
        assert served.status == 200
        assert await served.json() == DOCUMENT
