"""Instagram (API with Instagram Login): authlib and aiohttp against the fake."""

from __future__ import annotations

import json
import time

import pytest

from matrix_social.errors import AuthRevoked, PlatformRateLimited, Refused, TransientError
from matrix_social.external.oauth import new_state
from matrix_social.external.platform import OutgoingPost, TokenSet
from matrix_social.external.platforms.instagram import InstagramAdapter, InstagramSettings

from ..fakes.platforms.instagram import FakeInstagram
from .browser import authorize

REDIRECT = "https://social.example.org/callback/instagram"


@pytest.fixture
async def fake():
    server = FakeInstagram(redirect_uri=REDIRECT)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def adapter(fake):
    return InstagramAdapter(InstagramSettings(
        client_id="ig-app", client_secret="ig-secret", redirect_uri=REDIRECT,
        authorize_base=fake.base_url, oauth_base=fake.base_url, graph_base=fake.base_url,
        publish_poll_s=0.01))


async def _login(adapter: InstagramAdapter) -> TokenSet:
    state = new_state()
    answer = await authorize(await adapter.authorize_url(state, None))
    assert answer["state"] == state
    return await adapter.exchange_code(answer["code"], None)


async def test_login_gets_a_long_lived_token_and_refreshes(fake, adapter):
    user = fake.add_user("shop")
    url = await adapter.authorize_url("st", "ignored-no-pkce")
    assert "code_challenge" not in url
    assert "scope=instagram_business_basic%2Cinstagram_business_content_publish" in url
    token = await _login(adapter)
    assert token.expires_at_ms > (time.time() + 50 * 86400) * 1000  # 60 days, not 1 hour
    me = await adapter.whoami(token)
    assert (me.id, me.handle, me.url) == (user, "shop", "https://www.instagram.com/shop/")
    fresh = await adapter.refresh(token)
    assert fresh.access_token != token.access_token and fresh.expires_at_ms
    assert (await adapter.whoami(fresh)).id == user
    exchange = next(r for r in fake.requests if r.path == "/access_token")
    assert exchange.query["grant_type"] == "ig_exchange_token"
    refresh = next(r for r in fake.requests if r.path == "/refresh_access_token")
    assert "client_secret" not in refresh.query  # the secret goes only where it is required


async def test_a_personal_account_is_refused_with_the_reason(fake, adapter):
    fake.add_user("me_personal", account_type="PERSONAL")
    token = await _login(adapter)
    with pytest.raises(Refused, match="professional account"):
        await adapter.whoami(token)


async def test_a_replayed_code_is_refused(fake, adapter):
    fake.add_user("shop")
    answer = await authorize(await adapter.authorize_url(new_state(), None))
    await adapter.exchange_code(answer["code"], None)
    with pytest.raises(Refused):
        await adapter.exchange_code(answer["code"], None)
    with pytest.raises(Refused):
        await adapter.exchange_code("made-up", None)


async def test_first_sync_20_then_new_ones_across_restarts(fake, adapter):
    user = fake.add_user("shop")
    base = time.time() - 1000
    ids = [fake.post(user, f"photo {n}", timestamp=base + n) for n in range(30)]
    token = await _login(adapter)
    account = await adapter.whoami(token)
    first = await adapter.fetch(token, account, None)
    assert [i.remote_id for i in first.items] == ids[-20:]
    assert first.items[-1].text == "photo 29" and first.items[-1].media[0].kind == "image"
    assert first.items[-1].url.startswith("https://www.instagram.com/p/")
    cursor = json.loads(json.dumps(first.cursor))
    assert (await adapter.fetch(token, account, cursor)).items == []
    new = [fake.post(user, f"new {n}", timestamp=base + 100 + n) for n in range(120)]
    later = await adapter.fetch(token, account, cursor)
    assert [i.remote_id for i in later.items] == new  # paged with paging.cursors.after
    assert (await adapter.fetch(token, account, later.cursor)).items == []


async def test_errors_in_graph_shape(fake, adapter):
    user = fake.add_user("shop")
    token = await _login(adapter)
    account = await adapter.whoami(token)
    fake.fail(429, path="/me/media", reset_in_s=600)
    with pytest.raises(PlatformRateLimited) as caught:
        await adapter.fetch(token, account, None)
    assert abs(caught.value.until_ms - (time.time() + 600) * 1000) < 61_000
    fake.fail(500, path="/me/media")
    with pytest.raises(TransientError):
        await adapter.fetch(token, account, None)
    fake.revoke_user(user)
    with pytest.raises(AuthRevoked):
        await adapter.fetch(token, account, None)
    with pytest.raises(AuthRevoked):
        await adapter.refresh(token)


async def test_publish_fetches_the_image_from_its_url(fake, adapter, images):
    user = fake.add_user("shop")
    token = await _login(adapter)
    account = await adapter.whoami(token)
    url = f"http://127.0.0.1:{images.port}/img.jpg"
    published = await adapter.publish(token, account, OutgoingPost("caption #one",
                                                                   image_url=url))
    assert images.hits == 1 and fake.fetched_images == [(url, "image/jpeg")]
    media = fake.media[published.remote_id]
    assert (media.owner, media.caption) == (user, "caption #one")
    assert published.url.startswith("https://www.instagram.com/p/")
    container = next(iter(fake.containers.values()))
    assert container["image"] == b"\xff\xd8\xff\xe0real-jpeg-bytes"


async def test_publish_refusals(fake, adapter, images):
    fake.add_user("shop")
    token = await _login(adapter)
    account = await adapter.whoami(token)
    with pytest.raises(Refused, match="image"):
        await adapter.publish(token, account, OutgoingPost("text only"))
    with pytest.raises(Refused, match="JPEG"):
        await adapter.publish(token, account, OutgoingPost(
            "png", image_url=f"http://127.0.0.1:{images.port}/img.png"))
    with pytest.raises(Refused):
        await adapter.publish(token, account, OutgoingPost(
            "missing", image_url=f"http://127.0.0.1:{images.port}/nope.jpg"))
    with pytest.raises(Refused, match="edit"):
        await adapter.edit(token, account, "1", OutgoingPost("x"))
    with pytest.raises(Refused, match="delete"):
        await adapter.delete(token, account, "1")
    assert fake.published == []


async def test_publishing_limit(fake, adapter, images):
    fake.add_user("shop")
    fake.quota_total = 2
    token = await _login(adapter)
    account = await adapter.whoami(token)
    url = f"http://127.0.0.1:{images.port}/img.jpg"
    for n in range(2):
        await adapter.publish(token, account, OutgoingPost(f"post {n}", image_url=url))
    with pytest.raises(PlatformRateLimited, match="2 API posts"):
        await adapter.publish(token, account, OutgoingPost("one too many", image_url=url))
    assert len(fake.published) == 2
