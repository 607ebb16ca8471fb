"""/metrics in the Prometheus text format, on its own loopback listener (the bridge as its own
process, as deployed): ingest, API latency per route template, database pool, trending."""

from __future__ import annotations

from urllib.parse import quote

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from .harness import api_ok, eventually


async def _scrape(url: str) -> tuple[str, dict[str, list]]:
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain")
        text = await resp.text()
    families = {f.name: f.samples for f in text_string_to_metric_families(text)}
    return text, families


def _value(families: dict, sample: str, **labels: str) -> float | None:
    for family in families.values():
        for s in family:
            if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return None


async def test_metrics_cover_ingest_api_routes_pool_and_trending(process_stack):
    stack = process_stack
    alice, bob = await stack.register("alice"), await stack.register("bob")
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": "measured"})
    await api_ok(stack, "POST", "/follow", bob, json={"handle": alice.localpart})
    for _ in range(3):
        await api_ok(stack, "GET", "/feed", bob)
    await api_ok(stack, "GET", f"/posts/{quote(post['id'], safe='')}", bob)
    status, _ = await stack.request("GET", f"{stack.api_url}/posts/%24nope", token=bob.access_token)
    assert status == 404

    async def indexed() -> dict | None:
        _, families = await _scrape(stack.metrics_url)
        done = _value(families, "matrix_social_transactions_indexed_total")
        return families if done and done >= 1 else None

    families = await eventually(indexed, what="a transaction counted")
    text, families = await _scrape(stack.metrics_url)
    assert _value(families, "matrix_social_events_indexed_total") >= 1
    assert _value(families, "matrix_social_ingest_lag_seconds_count") >= 1
    assert 0 <= _value(families, "matrix_social_ingest_lag_last_seconds") < 60
    feed_count = _value(families, "matrix_social_api_request_seconds_count", method="GET",
                        route="/api/social/feed")
    assert feed_count is not None and feed_count >= 3
    assert _value(families, "matrix_social_api_responses_total", method="GET",
                  route="/api/social/posts/{post_id}", status="404") >= 1
    assert _value(families, "matrix_social_api_responses_total", method="GET",
                  route="/api/social/posts/{post_id}", status="200") >= 1
    assert post["id"] not in text and "$nope" not in text  # templates, never raw paths
    assert _value(families, "matrix_social_db_pool_connections") >= 1
    assert _value(families, "matrix_social_db_pool_connections_max") >= 1
    assert _value(families, "matrix_social_trending_refreshed_timestamp_seconds") > 0
    for secret in stack.secrets().values():
        assert secret not in text
    # Not on the appservice / API port.
    headers = {"Authorization": f"Bearer {bob.access_token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        for url in (f"{stack.appservice_url}/metrics", f"{stack.api_url}/metrics"):
            async with session.get(url) as resp:
                assert resp.status == 404, url
