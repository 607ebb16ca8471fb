"""Headless Chromium (Debian's package) driven by Playwright, for the web app's tests.

In CI (CI=true) a missing browser fails the run; elsewhere the browser tests skip and say how
to install it.
"""

from __future__ import annotations

import json
import os
import re
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

# Debian's headless shell (package chromium-headless-shell, built from the same chromium
# source package, the engine Playwright itself runs headless by default) draws the same pages
# for half the CPU of the full browser in headless mode (282 -> 146 CPU-s over the browser
# tests, measured side by side); the full browser where only it is installed.
HEADLESS_SHELL = "/usr/lib/chromium/chromium-headless-shell"
CHROMIUM = os.environ.get("CHROMIUM") or (
    HEADLESS_SHELL if Path(HEADLESS_SHELL).exists() else "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--disable-dev-shm-usage"]
INSTALL_HINT = ("apt-get install -y chromium-headless-shell (Debian's headless Chromium) and "
                "pip install playwright (never `playwright install`)")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "web"
# Every page of the app, light and dark, desktop and phone (tests/test_web_design.py).
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
AXE = Path(__file__).resolve().parent / "browser" / "vendor" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

# The one request the app makes that answers an error on a fresh account: the Rust crypto asks
# whether a server-side key backup exists (404 M_NOT_FOUND when there is none).
EXPECTED_FAILURES = [re.compile(r"/_matrix/client/v3/room_keys/version$")]


def browser_missing() -> str | None:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed"
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} does not exist"
    return None


def require_browser() -> None:
    missing = browser_missing()
    if missing is None:
        return
    message = f"browser tests need headless Chromium: {missing}. Install: {INSTALL_HINT}"
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


async def launch(playwright) -> Any:
    return await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)


class PageWatch:
    """Console errors, page errors and failed requests of one page, for "no console errors"."""

    def __init__(self, page) -> None:
        self.page = page
        self.errors: list[str] = []
        self.failed: list[str] = []
        self.expected = list(EXPECTED_FAILURES)
        self.expected_console: list[re.Pattern] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on("response", self._response)

    def _console(self, message) -> None:
        if message.type == "error":
            self.errors.append(f"console error: {message.text} at {message.location}")

    def _response(self, response) -> None:
        if response.status >= 400:
            self.failed.append(f"{response.status} {response.url.split('?')[0]}")

    def expect_console(self, pattern: str) -> None:
        """A console error the test causes on purpose (a connection it drops)."""
        self.expected_console.append(re.compile(pattern))

    def expect_failure(self, status: int, url_pattern: str) -> None:
        """A request the test makes fail on purpose (to see its error shown in words)."""
        self.expected.append(re.compile(rf"^{status} .*{url_pattern}"))

    def unexpected(self) -> list[str]:
        expected = [f for f in self.failed
                    if any(p.search(f.split(" ", 1)[1]) or p.search(f) for p in self.expected)]
        errors = [e for e in self.errors if not any(p.search(e) for p in self.expected_console)]
        # Chromium logs each failed request as a console error; drop one per expected failure.
        for _ in expected:
            for i, error in enumerate(errors):
                if "Failed to load resource" in error:
                    del errors[i]
                    break
        unexpected_failures = [f for f in self.failed if f not in expected]
        return errors + [f"failed request: {f}" for f in unexpected_failures]


# What a colour scheme changes: a page checked whole in one scheme needs only these in the other.
COLOUR_RULES = ("color-contrast", "link-in-text-block")


async def axe_violations(page, rules: tuple[str, ...] | None = None) -> list[dict]:
    """Serious and critical axe-core violations on the page as it is now (of `rules` only,
    when given)."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        # evaluate() runs the library as DevTools would, outside the page's CSP.
        await page.evaluate(AXE.read_text())
    # Colours are read as painted: a theme switch or a hover fading its background measured
    # half-way fails contrast on whichever element is still changing (the flake seen once per
    # few runs, a different element each time). Finite transitions and animations end first.
    # Two frames first: a colour scheme just switched starts its transitions only once the
    # styles are recomputed, and getAnimations() lists nothing before that.
    await page.evaluate(
        "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    await page.evaluate(
        "() => Promise.all(document.getAnimations()"
        ".filter(a => a.effect && a.effect.getComputedTiming().iterations !== Infinity)"
        ".map(a => a.finished.catch(() => null)))")
    result = await _axe_run(page, rules)
    if any(v["id"] == "color-contrast" for v in result):
        # Still flaky after all that (a card re-rendered by a pushed update, a transition
        # started after the wait): contrast counts when it is still wrong a moment later.
        await page.wait_for_timeout(500)
        again = await _axe_run(page, ("color-contrast",))
        result = [v for v in result if v["id"] != "color-contrast"] + again
    return result


async def _axe_run(page, rules: tuple[str, ...] | None) -> list[dict]:
    options = {"resultTypes": ["violations"]}
    if rules:
        options["runOnly"] = {"type": "rule", "values": list(rules)}
    result = await page.evaluate(
        "async options => (await axe.run(document, options)).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))", options)
    return [v for v in result if v["impact"] in ("serious", "critical")]


async def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def page_shot(page, name: str) -> Path:
    """What the screen shows now (the viewport), into test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path))
    return path


async def check_both_widths(page, name: str) -> None:
    """No serious axe violation and no sideways scrolling, on a desktop and at phone width; a
    screenshot of each (`{name}-desktop`, `{name}-phone`). The page ends at desktop width."""
    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        await page.set_viewport_size(viewport)
        assert await axe_violations(page) == [], f"{name} at {label}"
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"{name} scrolls sideways at {label}: {width}"
        await page.evaluate("window.scrollTo(0, 0)")
        await screenshot(page, f"{name}-{label}")
    await page.set_viewport_size(DESKTOP)


async def every_look(page, name: str) -> None:
    """Axe finds nothing serious and nothing scrolls sideways, light and dark, desktop and
    phone (whole in light; in dark what a colour scheme can change); a screenshot of each in
    test-artifacts/screenshots/. Ends light, on a desktop."""
    for scheme in ("light", "dark"):
        await page.emulate_media(color_scheme=scheme)
        await page.wait_for_timeout(400)  # colours change with a transition
        for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            await page.set_viewport_size(viewport)
            rules = None if scheme == "light" else COLOUR_RULES
            violations = await axe_violations(page, rules)
            assert violations == [], f"{name} {scheme} {label}: {violations}"
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"{name} scrolls sideways ({scheme} {label})"
            await page_shot(page, f"{name}-{label}-{scheme}")
    await page.emulate_media(color_scheme="light")
    await page.set_viewport_size(DESKTOP)


async def session_of(stack, user) -> dict:
    """A new Matrix session of `user` (a new device), as the web app keeps it after sign-in."""
    status, body = await stack.request(
        "POST", f"{stack.synapse.url}/_matrix/client/v3/login", json={
            "type": "m.login.password", "identifier": {"type": "m.id.user",
                                                      "user": user.localpart},
            "password": user.password})
    assert status == 200, body
    return {"homeserverUrl": stack.synapse.url, "userId": body["user_id"],
            "accessToken": body["access_token"], "deviceId": body["device_id"]}


@asynccontextmanager
async def watched_page(context, failure_name: str):
    """The first page of `context`, its console watched (nothing may go wrong that the test
    did not cause); a screenshot `failure_name` if the test fails there; the context closed
    after."""
    page = await context.new_page()
    page.watch = PageWatch(page)
    try:
        yield page
        assert page.watch.unexpected() == [], page.watch.unexpected()
    except BaseException:
        await screenshot(page, failure_name)
        raise
    finally:
        await context.close()


@asynccontextmanager
async def signed_in(browser, stack, user, viewport=DESKTOP, scheme="light", clipboard=False,
                    timeout_ms: int = 20_000):
    """A browser context (its own storage: a new device) with `user`'s session in it, as after
    signing in; its page watched (watched_page)."""
    context = await browser.new_context(viewport=viewport, color_scheme=scheme)
    context.set_default_timeout(timeout_ms)
    if clipboard:
        await context.grant_permissions(["clipboard-read", "clipboard-write"],
                                        origin=stack.appservice_url)
    session = await session_of(stack, user)
    await context.add_init_script(
        f"localStorage.setItem('matrix-social.session', {json.dumps(json.dumps(session))})")
    async with watched_page(context, f"failure-{user.localpart}") as page:
        yield page


@asynccontextmanager
async def signed_out(browser, name: str, timeout_ms: int = 20_000):
    """A new browser context with nobody signed in; its page watched (watched_page), a
    screenshot `name` if the test fails there."""
    context = await browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(timeout_ms)
    async with watched_page(context, name) as page:
        yield page
