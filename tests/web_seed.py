"""A small, lifelike social graph for the web app's screenshots and design checks: people with
pictures, banners and bios, an AI, posts with images (alt text), a content warning, a quote, a
plain repost, a thread, an app share, right-to-left text, likes enough to trend, activity posts
and a connected Mastodon account with a cross-posted post. Images are drawn here (PIL), nothing
is downloaded."""

from __future__ import annotations

import io
import math
import random
import secrets
from dataclasses import dataclass
from urllib.parse import quote

from PIL import Image, ImageDraw, ImageFilter

from .harness import Stack, User, api_ok
from .platform_steps import connect


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=82)
    return out.getvalue()


def gradient(size: tuple[int, int], top: tuple[int, int, int], bottom: tuple[int, int, int]
             ) -> Image.Image:
    width, height = size
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / max(1, height - 1)
        color = tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        draw.line([(0, y), (width, y)], fill=color)
    return image


def landscape(seed: int, size: tuple[int, int] = (1200, 800)) -> bytes:
    """A sunset over water or hills: sky gradient, a sun, layered ridges."""
    rng = random.Random(seed)
    palettes = [((255, 170, 120), (110, 80, 170), (40, 40, 90)),
                ((130, 200, 240), (250, 230, 200), (40, 90, 80)),
                ((255, 210, 150), (240, 120, 110), (70, 50, 90)),
                ((160, 210, 255), (220, 240, 255), (50, 110, 150))]
    sky_top, sky_bottom, ground = palettes[seed % len(palettes)]
    image = gradient(size, sky_top, sky_bottom)
    draw = ImageDraw.Draw(image, "RGBA")
    width, height = size
    sun = (rng.randint(width // 4, 3 * width // 4), rng.randint(height // 4, height // 2))
    for r, alpha in ((140, 40), (90, 90), (60, 255)):
        draw.ellipse([sun[0] - r, sun[1] - r, sun[0] + r, sun[1] + r], fill=(255, 245, 220, alpha))
    for layer in range(4):
        base = height * (0.55 + layer * 0.11)
        shade = tuple(max(0, c - 25 * (3 - layer)) for c in ground)
        points = [(0, height)]
        for x in range(0, width + 40, 40):
            points.append((x, base + 40 * math.sin(x / (90 + 40 * layer) + seed + layer)
                           + rng.randint(-8, 8)))
        points.append((width, height))
        draw.polygon(points, fill=(*shade, 235))
    return _jpeg(image.filter(ImageFilter.GaussianBlur(0.6)))


def portrait(seed: int, size: int = 400) -> bytes:
    """An abstract profile picture: a soft gradient with a head-and-shoulders silhouette."""
    rng = random.Random(seed)
    colors = [((255, 196, 160), (240, 120, 150)), ((160, 210, 255), (90, 110, 220)),
              ((190, 240, 200), (60, 150, 120)), ((250, 225, 140), (230, 140, 60)),
              ((220, 200, 255), (130, 90, 210))]
    top, bottom = colors[seed % len(colors)]
    image = gradient((size, size), top, bottom)
    draw = ImageDraw.Draw(image, "RGBA")
    tone = rng.choice([(60, 40, 35), (120, 80, 60), (200, 150, 120), (235, 200, 170)])
    draw.ellipse([size * .30, size * .20, size * .70, size * .62], fill=(*tone, 255))
    draw.ellipse([size * .12, size * .62, size * .88, size * 1.25], fill=(30, 35, 60, 235))
    return _png(image)


def banner(seed: int) -> bytes:
    return landscape(seed + 7, (1500, 500))


@dataclass
class Seeded:
    alice: User
    bob: User
    carol: User
    layla: User
    dave: User
    newbie: User
    posts: dict[str, dict]


async def _user(stack: Stack, name: str) -> User:
    """A person with a readable handle (a short suffix keeps it unique per stack)."""
    localpart = f"{name}{secrets.token_hex(1)}"
    password = secrets.token_urlsafe(12)
    data = await stack.synapse.register_user(localpart, password)
    return User(localpart, data["user_id"], password, data["access_token"])


async def _upload(stack: Stack, user: User, data: bytes, mimetype: str) -> str:
    media = await api_ok(stack, "POST", "/media", user, data=data,
                         headers={"Content-Type": mimetype})
    return media["content_uri"]


async def seed(stack: Stack) -> Seeded:
    alice, bob, carol = (await _user(stack, "alice"), await _user(stack, "bob"),
                         await _user(stack, "carol"))
    layla, newbie, dave = (await _user(stack, "layla"), await _user(stack, "newbie"),
                           await _user(stack, "dave"))
    profiles = [
        (alice, "Alice Moreau", "Tea, chess and small apps. Building a calmer internet.",
         ["tea", "chess", "apps"], 1),
        (bob, "Bob Tanaka", "Photographer. Mostly coastlines.", ["photography", "chess"], 2),
        (carol, "Carol Díaz", "Writes about cities and the people in them.", ["cities", "tea"], 3),
        (layla, "ليلى حداد", "مصممة ومطوّرة. أحب الخط العربي.", ["design"], 4),
        (dave, "Dave Okafor", "Runs, reads, repeats.", ["running"], 0),
    ]
    for user, name, bio, interests, picture in profiles:
        body = {"display_name": name, "bio": bio, "interests": interests}
        if user is not dave:
            body["avatar_url"] = await _upload(stack, user, portrait(picture), "image/png")
        await api_ok(stack, "PATCH", "/profile", user, json=body)
    await api_ok(stack, "PATCH", "/profile", alice, json={
        "banner_url": await _upload(stack, alice, banner(1), "image/jpeg"),
        "links": [{"url": "https://alice.example", "title": "alice.example"}]})
    await api_ok(stack, "PATCH", "/profile/ai", alice, json={
        "personality": "A patient chess teacher who explains one idea at a time.",
        "skills": ["Chess coaching", "Tea pairing"], "capabilities": ["Books lessons"]})
    for follower, followed in ((alice, bob), (alice, carol), (alice, layla), (alice, dave),
                               (bob, alice), (carol, alice), (layla, alice), (dave, alice),
                               (bob, carol)):
        await api_ok(stack, "POST", "/follow", follower, json={"handle": followed.user_id})

    posts: dict[str, dict] = {}
    posts["morning"] = await api_ok(stack, "POST", "/posts", dave, json={
        "text": "Morning run done: 8 km along the river before the city woke up. 🏃"})
    shots = [await _upload(stack, bob, landscape(i), "image/jpeg") for i in range(4)]
    alts = ("Orange sunset over low hills, the sun half hidden",
            "Pale blue sky over a green bay at noon",
            "Pink dusk with layered purple ridges",
            "Clear morning sky above a calm blue sea")
    posts["gallery"] = await api_ok(stack, "POST", "/posts", bob, json={
        "kind": "image",
        "text": "Four evenings on the same stretch of coast. Same place, never the same light.",
        "images": [{"mxc": uri, "alt": alt} for uri, alt in zip(shots, alts, strict=True)]})
    posts["cw"] = await api_ok(stack, "POST", "/posts", carol, json={
        "text": "The ending of the series: the city they were looking for was the one they left.",
        "cw": "Spoilers for The Long Way Home"})
    posts["rtl"] = await api_ok(stack, "POST", "/posts", layla, json={
        "text": "أنهيت اليوم تصميم خط جديد للواجهات. التفاصيل الصغيرة تصنع الفرق ✨"})
    posts["app"] = await api_ok(stack, "POST", "/posts", alice, json={
        "kind": "app", "text": "Made a tiny chess trainer this weekend: one puzzle a day.",
        "app": {"name": "Daily Chess", "description": "One puzzle a day, no account needed",
                "url": "https://apps.example/daily-chess"}})
    posts["photo"] = await api_ok(stack, "POST", "/posts", alice, json={
        "kind": "image", "text": "Tea break with a view.",
        "images": [{"mxc": await _upload(stack, alice, landscape(5, (1200, 900)), "image/jpeg"),
                    "alt": "Hills at sunset seen from a window"}]})
    posts["question"] = await api_ok(stack, "POST", "/posts", carol, json={
        "text": "What makes a neighbourhood feel like home to you? Corner shops, trees, "
                "the people who nod hello? Tell me about yours. https://cities.example/home"})
    q = quote(posts["question"]["id"], safe="")
    first = await api_ok(stack, "POST", f"/posts/{q}/comments", bob,
                         json={"text": "A bakery that knows my order."})
    await api_ok(stack, "POST", f"/posts/{q}/comments", alice,
                 json={"text": "Same! And a bench under a big tree.", "reply_to": first["id"]})
    await api_ok(stack, "POST", f"/posts/{q}/comments", dave,
                 json={"text": "Running routes that start at my door."})
    gallery = quote(posts["gallery"]["id"], safe="")
    posts["quote"] = await api_ok(stack, "POST", f"/posts/{gallery}/repost", carol,
                                  json={"text": "These are wonderful."})
    posts["repost"] = await api_ok(stack, "POST", f"/posts/{q}/repost", bob)
    for liker in (alice, bob, dave, layla):
        await api_ok(stack, "POST", f"/posts/{gallery}/like", liker)
    for liker in (alice, bob, layla):
        await api_ok(stack, "POST", f"/posts/{q}/like", liker)
    await api_ok(stack, "POST", f"/posts/{quote(posts['rtl']['id'], safe='')}/like", alice)
    await api_ok(stack, "PATCH", "/profile", alice, json={"pinned_post": posts["app"]["id"]})
    await _activity_and_a_connected_account(stack, alice, dave, posts)
    await stack.bridge.services.trending.refresh()
    return Seeded(alice, bob, carol, layla, dave, newbie, posts)


async def _activity_and_a_connected_account(stack: Stack, alice: User, dave: User,
                                            posts: dict[str, dict]) -> None:
    """The other kinds of posts and what Settings lists: a workout, her AI's task and a game
    score shared (a draft published), a Mastodon account connected, a cross-post default and a
    post sent there with its per-target status."""
    posts["workout"] = await api_ok(stack, "POST", "/posts", dave, json={
        "kind": "activity", "activity": {"kind": "workout", "data": {"km": 5, "minutes": 31}}})
    await api_ok(stack, "PUT", "/settings", alice, json={
        "share_ai_activity": True, "share_game_scores": True, "timezone": "Europe/Paris"})
    task = await api_ok(stack, "POST", "/activity", alice, json={
        "kind": "ai_task", "data": {"task": "planned a chess lesson"}})
    await api_ok(stack, "POST", f"/drafts/{quote(task['draft']['id'], safe='')}/publish",
                 alice)
    await api_ok(stack, "POST", "/activity", alice, json={
        "kind": "game_score", "data": {"game": "chess", "score": 1200, "duration": 720}})
    mastodon = stack.platforms.mastodon
    mastodon.oauth.authorizing_user = mastodon.add_account(f"alice{secrets.token_hex(3)}")
    await connect(stack, alice, "mastodon", mastodon.base_url)
    await api_ok(stack, "PUT", "/settings/cross_post", alice,
                 json={"cross_post_default": ["mastodon"]})
    posts["crossposted"] = await api_ok(stack, "POST", "/posts", alice, json={
        "text": "Here and on Mastodon too", "cross_post": ["mastodon"]})
