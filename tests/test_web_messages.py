"""Messages you can trust (issue 26), in headless Chromium against the real stack, two people
in two browser contexts: the forms that start a conversation live behind "New message" (a
dialog); images, files and app links are sent and received in an encrypted DM (the homeserver
sees only ciphertext, the other browser decrypts them); her own message is never labelled
"not encrypted", not even while it is being encrypted. The composer is a chat's: one bar
pinned under the conversation (at the bottom of a phone's screen, which an open conversation
has to itself: one head, no top or tab bar), Send greyed while there is nothing to send, a
chosen file (picked, pasted or dropped) shown as a chip that can be taken off, an app shared
from a small sheet."""

from __future__ import annotations

import asyncio
import io
import json
import secrets
from urllib.parse import quote, unquote

import pytest
from PIL import Image

from .browser import (
    COLOUR_RULES,
    DESKTOP,
    PHONE,
    axe_violations,
    every_look,
    page_shot,
    signed_in,
)
from .harness import Stack, User, api_ok, eventually, plain_dm_with_lines

pytestmark = pytest.mark.asyncio(loop_scope="session")

# A well-formed recovery key that opens no backup of Bob's.
SOMEBODY_ELSES_KEY = "EsT2 Wg6A qAjW TZ4r CQGB GmiF TqJW pPbk jG8L MNc3 BGSz VYx9"
# Counts, in the page, every moment a message of her own is shown as "not encrypted".
WATCH_PLAIN_OWN = """() => {
  window.__plainOwn = 0;
  new MutationObserver(() => {
    if (document.querySelector('.message.mine .plain-note')) window.__plainOwn += 1;
  }).observe(document.body, { subtree: true, childList: true, characterData: true });
}"""


def new_browser(browser, stack: Stack, user: User):
    """`user` signed in in a new browser (a new device); Messages' first start (the crypto's
    WebAssembly, the keys, the first sync) gets 30 s."""
    return signed_in(browser, stack, user, timeout_ms=30_000)


async def open_messages(page, stack: Stack, path: str = "") -> None:
    await page.goto(f"{stack.appservice_url}/social/messages{path}")
    await page.wait_for_selector(".section-messages[data-ready]")


def png(color: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 80), color).save(out, "PNG")
    return out.getvalue()


def message_box(page):
    return page.get_by_role("textbox", name="Message", exact=True)


def attach(page):
    """The real file input: visually hidden behind the paperclip, labelled, in the tab order."""
    return page.get_by_label("Attach an image or file")


async def send_text(page, text: str) -> None:
    await message_box(page).fill(text)
    await page.get_by_role("button", name="Send").click()


async def in_sight(page) -> dict:
    """Where the composer and the newest message are on the screen, against the tab bar (the
    bottom of the screen where there is none: a phone's open conversation)."""
    return await page.evaluate("""() => {
      const box = (e) => e && e.getBoundingClientRect();
      const composer = box(document.querySelector('.room-composer'));
      const nav = box(document.querySelector('.main-nav'));
      const timeline = box(document.querySelector('.timeline'));
      const items = document.querySelectorAll('.timeline > .message');
      const newest = box(items[items.length - 1]);
      return {composerTop: composer.top, composerBottom: composer.bottom,
              composerLeft: composer.left, composerRight: composer.right,
              navTop: nav && nav.height ? nav.top : innerHeight, height: innerHeight,
              width: innerWidth,
              newestTop: newest.top, newestBottom: newest.bottom,
              timelineTop: timeline.top, timelineBottom: timeline.bottom};
    }""")


async def shown_image(page, caption: str) -> dict:
    """The decrypted image of the message captioned `caption`, once it has loaded."""
    image = page.locator(".message", has_text="").locator(f"img[alt='{caption}']")
    await image.wait_for()
    await page.wait_for_function(
        "alt => { const i = document.querySelector(`.message img[alt='${alt}']`);"
        " return i && i.complete && i.naturalWidth > 0; }", arg=caption)
    return await image.evaluate("i => ({src: i.src, width: i.naturalWidth})")


async def test_images_files_and_app_links_in_an_encrypted_dm_never_labelled_unencrypted(
        stack: Stack, browser, tmp_path):
    alice, bob = await stack.register("alice"), await stack.register("bob")
    async with new_browser(browser, stack, alice) as a, new_browser(browser, stack, bob) as b:
        await open_messages(b, stack)  # Bob's browser has its device keys before the DM
        await open_messages(a, stack)
        # The forms are not on the page until she asks for them.
        assert await a.get_by_role("textbox", name="Message someone").count() == 0
        await a.get_by_role("button", name="New message").click()
        dialog = a.get_by_role("dialog", name="New message")
        await dialog.wait_for()
        await every_look(a, "messages-new")
        await a.keyboard.press("Escape")
        await dialog.wait_for(state="hidden")
        assert await a.evaluate("document.activeElement.textContent.trim()") == "New message"
        await a.get_by_role("button", name="New message").click()
        await a.get_by_role("textbox", name="Message someone").fill(bob.localpart)
        await a.get_by_role("button", name="Open").click()
        await dialog.wait_for(state="hidden")
        await a.locator(".badge.encrypted").wait_for()

        # Sharing the room key is held back a while: her first message stays "being
        # encrypted" long enough to be drawn; it must never read "not encrypted".
        for page in (a, b):
            await page.evaluate(WATCH_PLAIN_OWN)
        uploads: list[bytes] = []
        a.on("request", lambda r: uploads.append(r.post_data_buffer or b"")
             if "/media/v3/upload" in r.url else None)

        async def slow_key_share(route):
            await asyncio.sleep(1.5)
            await route.continue_()
        await a.route("**/_matrix/client/v3/sendToDevice/**", slow_key_share)
        await b.locator(".conversations a", has_text="Invitation").first.click()
        await b.get_by_role("button", name="Accept").click()
        await b.locator(".badge.encrypted").wait_for()

        # Send is greyed while there is nothing to send; the box names the conversation.
        send = a.get_by_role("button", name="Send")
        assert await send.is_disabled()
        title = (await a.locator(".room-head h2").inner_text()).strip()
        assert await message_box(a).get_attribute("placeholder") == f"Message {title}…"
        await message_box(a).fill("   ")
        assert await send.is_disabled()
        hello = f"hello {secrets.token_hex(3)}"
        await message_box(a).fill(hello)
        assert await send.is_enabled()
        await send.click()
        await a.locator(".message.mine", has_text=hello).wait_for()
        # What she starts writing while that one is still on its way is kept.
        assert await send.get_attribute("aria-busy") == "true"
        await message_box(a).fill("my next thought")
        await b.locator(".message", has_text=hello).locator(".lock-note").wait_for()
        await a.wait_for_function("() => !document.querySelector('.send-button[aria-busy]')")
        assert await message_box(a).input_value() == "my next thought"
        await message_box(a).fill("")
        await a.unroute("**/_matrix/client/v3/sendToDevice/**")

        # An image with a caption, and a file: the other browser decrypts both.
        picture = tmp_path / "sea.png"
        picture.write_bytes(png((20, 110, 200)))
        await attach(a).set_input_files(str(picture))
        chip = a.get_by_role("group", name="Attachment")
        await chip.get_by_text("sea.png").wait_for()
        assert "Image · " in await chip.inner_text()
        await a.wait_for_function("() => document.querySelector('.attachment-chip img')"
                                  "?.naturalWidth === 120")  # the preview, from an object URL
        assert await send.is_enabled()  # a file alone can be sent
        await message_box(a).fill("the sea today")
        await send.click()
        await chip.wait_for(state="hidden")
        received = await shown_image(b, "the sea today")
        assert received["src"].startswith("blob:") and received["width"] == 120

        # A file chosen and taken off again (×): Send then sends the text alone. Enter sends,
        # Shift+Enter is a new line.
        notes = tmp_path / "notes.txt"
        secret_text = f"meeting notes {secrets.token_hex(8)}"
        notes.write_text(secret_text)
        await attach(a).set_input_files(str(notes))
        await chip.get_by_text("notes.txt").wait_for()
        assert "File · " in await chip.inner_text()
        await a.get_by_role("button", name="Remove notes.txt").click()
        await chip.wait_for(state="hidden")
        assert await attach(a).evaluate("input => input.files.length") == 0
        assert await send.is_disabled()
        await message_box(a).click()
        await a.keyboard.type("no file")
        await a.keyboard.press("Shift+Enter")
        await a.keyboard.type("after all")
        assert await message_box(a).input_value() == "no file\nafter all"
        await a.keyboard.press("Enter")
        text_only = b.locator(".message", has_text="after all")
        await text_only.wait_for()
        assert "no file\nafter all" in await text_only.locator(".bubble").inner_text()
        assert await text_only.locator("button, img").count() == 0
        assert await message_box(a).input_value() == ""
        assert len(uploads) == 1, len(uploads)

        # The file input is in the tab order, right after "+".
        await a.get_by_role("button", name="Add to message").focus()
        await a.keyboard.press("Tab")
        assert await a.evaluate("document.activeElement.type") == "file"
        await attach(a).set_input_files(str(notes))
        await chip.get_by_text("notes.txt").wait_for()
        await send.click()
        download_button = b.get_by_role("button", name="Download notes.txt")
        await download_button.wait_for()
        await download_button.evaluate("button => { window.__download = button; }")
        # Her typing redraws his conversation; the button he is about to press stays the same
        # element (one replaced between press and release swallows the click: seen in CI).
        await message_box(a).fill("about to type more")
        await b.locator(".typing", has_text="typing").wait_for()
        assert await b.evaluate("window.__download.isConnected")
        await message_box(a).fill("")
        async with b.expect_download() as waiting:
            await download_button.click()
        download = await waiting.value
        assert (await download.path()).read_text() == secret_text
        # What reached the homeserver was ciphertext.
        assert len(uploads) == 2, len(uploads)
        assert not any(u.startswith(b"\x89PNG") or secret_text.encode() in u for u in uploads)

        # An app link, from "+" → Share an app: a small sheet, not fields in the composer.
        assert not await a.get_by_label("App name").is_visible()
        more = a.get_by_role("button", name="Add to message")
        await more.click()
        await a.get_by_role("menuitem", name="Share an app").click()
        sheet = a.get_by_role("dialog", name="Share an app")
        await sheet.wait_for()
        assert await a.evaluate("document.activeElement.name") == "app-name"
        await sheet.get_by_role("button", name="Send app link").click()
        await sheet.get_by_role("alert").filter(has_text="name and an http(s) URL").wait_for()
        assert await axe_violations(a) == []
        await page_shot(a, "messages-app-sheet-desktop-light")
        await a.set_viewport_size(PHONE)
        await a.emulate_media(color_scheme="dark")
        assert await axe_violations(a, COLOUR_RULES) == []
        await page_shot(a, "messages-app-sheet-phone-dark")
        await a.emulate_media(color_scheme="light")
        await a.set_viewport_size(DESKTOP)
        await sheet.get_by_label("App name").fill("Tide Clock")
        await sheet.get_by_label("App URL").fill("https://apps.example/tide")
        await sheet.get_by_role("button", name="Send app link").click()
        await sheet.wait_for(state="hidden")
        assert await a.evaluate("document.activeElement.getAttribute('aria-label')") == (
            "Add to message")
        await b.locator(".message .app-card, .message", has_text="Tide Clock").first.wait_for()

        # And an image the other way.
        back = tmp_path / "sunset.png"
        back.write_bytes(png((230, 120, 40)))
        await attach(b).set_input_files(str(back))
        await message_box(b).fill("sunset here")
        await b.get_by_role("button", name="Send").click()
        assert (await shown_image(a, "sunset here"))["width"] == 120

        await a.locator(".message.mine", has_text="Tide Clock").locator(".lock-note").wait_for()
        for page in (a, b):
            assert await page.evaluate("window.__plainOwn") == 0
            assert await page.locator(".message .plain-note").count() == 0

        # At phone width the composer sits whole at the bottom of the screen (an open
        # conversation has no tab bar), the newest message above it in sight; nothing scrolls
        # sideways.
        for line in ("Low tide at six", "Bring a jumper", "The wind picks up after dark",
                     "Chips after?", "Yes please", "See you there"):
            await send_text(a, line)
            await b.locator(".message", has_text=line).wait_for()
        await b.set_viewport_size(PHONE)
        await b.wait_for_timeout(300)
        seen = await in_sight(b)
        assert seen["composerBottom"] <= seen["navTop"] <= seen["height"], seen
        assert seen["composerLeft"] >= 0 and seen["composerRight"] <= seen["width"], seen
        assert seen["timelineTop"] <= seen["newestTop"], seen
        assert seen["newestBottom"] <= seen["timelineBottom"] <= seen["composerTop"], seen

        # Scrolled up to read, he stays where he is when a message comes; back at the end, the
        # newest message is followed again.
        timeline = b.locator(".timeline")
        assert await timeline.evaluate("t => t.scrollHeight - t.clientHeight") > 100
        await timeline.evaluate("t => { t.scrollTop = 0; }")
        await b.wait_for_timeout(200)
        await send_text(a, "Lovely colours!")
        await b.locator(".message", has_text="Lovely colours!").wait_for()
        await b.wait_for_timeout(200)
        assert await timeline.evaluate("t => t.scrollTop") == 0
        await timeline.evaluate("t => { t.scrollTop = t.scrollHeight; }")
        await b.wait_for_timeout(200)
        await send_text(a, "The tide is out at six")
        await b.locator(".message", has_text="The tide is out at six").wait_for()
        await b.wait_for_timeout(200)
        seen = await in_sight(b)
        assert seen["newestBottom"] <= seen["timelineBottom"], seen

        # A conversation with a file chosen and a caption being written, in every look.
        await attach(b).set_input_files(str(picture))
        await b.get_by_role("group", name="Attachment").get_by_text("sea.png").wait_for()
        await message_box(b).fill("Meet you at the pier?")
        await b.wait_for_function("() => document.querySelector('.attachment-chip img')"
                                  "?.naturalWidth === 120")
        seen = await in_sight(b)
        assert seen["composerBottom"] <= seen["navTop"], seen
        assert seen["newestBottom"] <= seen["composerTop"], seen
        await every_look(b, "messages-encrypted-media")


async def backed_up_keys(stack: Stack, user: User, room_id: str) -> int:
    status, body = await stack.request(
        "GET", f"{stack.synapse.url}/_matrix/client/v3/room_keys/version", token=user.access_token)
    if status != 200:
        return 0
    version = body["version"]
    status, keys = await stack.request(
        "GET", f"{stack.synapse.url}/_matrix/client/v3/room_keys/keys?version={version}",
        token=user.access_token)
    return len(keys.get("rooms", {}).get(room_id, {}).get("sessions", {})) if status == 200 else 0


async def test_a_new_browser_reads_earlier_messages_after_restoring_the_key_backup(
        stack: Stack, browser):
    alice, bob = await stack.register("alice"), await stack.register("bob")
    async with new_browser(browser, stack, alice) as a, new_browser(browser, stack, bob) as b:
        await open_messages(b, stack)
        await b.get_by_role("button", name="Set up key backup").click()
        key_box = b.locator("code.recovery-key")
        await key_box.wait_for()
        recovery_key = (await key_box.inner_text()).strip()
        assert len(recovery_key.replace(" ", "")) == 48, recovery_key
        await every_look(b, "messages-recovery-key")
        await b.get_by_role("button", name="I have saved it").click()
        await b.locator(".key-backup[data-state=on]").wait_for()

        await open_messages(a, stack)
        await a.get_by_role("button", name="New message").click()
        await a.get_by_role("textbox", name="Message someone").fill(bob.localpart)
        await a.get_by_role("button", name="Open").click()
        await a.locator(".badge.encrypted").wait_for()
        room_id = a.url.split("/messages/")[1]
        await b.locator(".conversations a", has_text="Invitation").first.click()
        await b.get_by_role("button", name="Accept").click()
        earlier = f"before the new browser {secrets.token_hex(4)}"
        await send_text(a, earlier)
        await b.locator(".message", has_text=earlier).wait_for()
        # Bob's first browser backs the message's key up (encrypted) on the homeserver.
        await eventually(lambda: backed_up_keys(stack, bob, unquote(room_id)), timeout=60,
                         what="the room key in Bob's backup")

    # A new browser of Bob's (a new device): the message is there, its key is not, until he
    # restores the backup with his recovery key.
    async with new_browser(browser, stack, bob) as b2:
        await open_messages(b2, stack, f"/{room_id}")
        await b2.locator(".undecryptable").first.wait_for()
        await open_messages(b2, stack)
        await b2.get_by_role("button", name="Restore from key backup").click()
        await b2.get_by_label("Recovery key").fill(SOMEBODY_ELSES_KEY)
        await b2.get_by_role("button", name="Restore", exact=True).click()
        await b2.get_by_role("alert").filter(has_text="does not open this backup").wait_for()
        await b2.get_by_label("Recovery key").fill(recovery_key)
        await b2.get_by_role("button", name="Restore", exact=True).click()
        await b2.locator(".key-backup[data-state=on]").wait_for()
        await open_messages(b2, stack, f"/{room_id}")
        await b2.locator(".message", has_text=earlier).wait_for()
        assert await b2.locator(".undecryptable").count() == 0
        await every_look(b2, "messages-restored")


async def _messages_in(stack: Stack, user: User, room_id: str) -> list[dict]:
    """Every message event of the room as the homeserver holds it (ciphertext or not)."""
    status, body = await stack.request(
        "GET", f"{stack.synapse.url}/_matrix/client/v3/rooms/{room_id}/messages?dir=b&limit=50",
        token=user.access_token)
    assert status == 200, body
    return [e for e in body["chunk"] if e["type"] in ("m.room.message", "m.room.encrypted")]


async def test_a_first_message_to_someone_who_never_opened_messages_waits_until_she_can_read_it(
        stack: Stack, browser):
    """A message's key goes only to the devices that exist when it is sent: sent to Bob before
    any browser of his had opened Messages, it could never be read. It waits in her browser,
    shown as waiting, and goes (encrypted) once his first browser has a device; Bob reads it."""
    alice, bob = await stack.register("alice"), await stack.register("bob")
    async with new_browser(browser, stack, alice) as a:
        await open_messages(a, stack)
        await a.get_by_role("button", name="New message").click()
        await a.get_by_role("textbox", name="Message someone").fill(bob.localpart)
        await a.get_by_role("button", name="Open").click()
        await a.locator(".badge.encrypted").wait_for()
        room_id = unquote(a.url.split("/messages/")[1])
        first = f"welcome aboard {secrets.token_hex(4)}"
        await send_text(a, first)
        waiting = a.locator(".message.held", has_text=first)
        await waiting.wait_for()
        assert "not opened Messages yet" in await waiting.inner_text()
        await every_look(a, "messages-held")
        await a.wait_for_timeout(1000)
        assert await _messages_in(stack, alice, room_id) == []  # nothing left her browser

        async with new_browser(browser, stack, bob) as b:
            await open_messages(b, stack)
            await b.locator(".conversations a", has_text="Invitation").first.click()
            await b.get_by_role("button", name="Accept").click()
            # Her browser sends it once his device is there; his browser decrypts it.
            received = b.locator(".message", has_text=first)
            await received.wait_for(timeout=60_000)
            assert await received.locator(".undecryptable").count() == 0
        await waiting.wait_for(state="detached")
        await a.locator(".message.mine", has_text=first).locator(".lock-note").wait_for()
        sent = await _messages_in(stack, alice, room_id)
        assert [e["type"] for e in sent] == ["m.room.encrypted"], sent
        assert await a.evaluate("Object.keys(localStorage).filter(k => "
                                "k.startsWith('matrix-social.held-messages'))") == []


async def test_the_conversations_show_before_the_first_sync_ends(stack, browser):
    """Issue 28: the SDK's first sync carries every room (seconds for someone in many); the
    service's list (one sliding sync request) is shown meanwhile, as links, and gives way to
    the full page once the sync is done."""

    alice, bob = await stack.register("alice"), await stack.register("bob")
    for name in ("Harbour walk", "Book club"):
        await api_ok(stack, "POST", "/messages/groups", alice,
                     json={"name": name, "members": [bob.user_id]})
    release = asyncio.Event()
    held: list[str] = []

    async def hold_sync(route):
        held.append(route.request.url)
        await asyncio.wait_for(release.wait(), 60)
        await route.continue_()

    async with new_browser(browser, stack, alice) as page:
        await page.route("**/_matrix/client/v3/sync*", hold_sync)
        await page.goto(f"{stack.appservice_url}/social/messages")
        early = page.locator(".early-conversations").get_by_role("list", name="Conversations")
        await early.get_by_role("link", name="Book club").wait_for()
        await early.get_by_role("link", name="Harbour walk").wait_for()
        links = [await a.get_attribute("href") for a in await early.get_by_role("link").all()]
        assert len(links) == 2 and all(h.startswith("/social/messages/!") for h in links)
        await eventually(lambda: _true(bool(held)), what="the SDK's first sync asked for")
        assert await page.locator(".section-messages[data-ready]").count() == 0
        assert await axe_violations(page) == []
        await page_shot(page, "messages-before-the-first-sync-desktop-light")
        release.set()
        await page.wait_for_selector(".section-messages[data-ready]")
        await page.get_by_role("button", name="New message").wait_for()
        assert await page.locator(".early-conversations").count() == 0
        assert await page.get_by_role("list", name="Conversations").count() == 1
        await page.unroute("**/_matrix/client/v3/sync*")


async def _true(value: bool) -> bool:
    return value


def _js_image(name: str, data: bytes) -> str:
    """A File made in the page (for a paste or a drop), as a browser builds one."""
    return f"new File([new Uint8Array({list(data)})], {json.dumps(name)}, {{type: 'image/png'}})"


async def _headers_shown(page) -> dict:
    """Which heads are drawn, and where the conversation's parts sit on the screen."""
    return await page.evaluate("""() => {
      const shown = (sel) => [...document.querySelectorAll(sel)].filter((e) => {
        const r = e.getBoundingClientRect();
        return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden';
      }).length;
      const box = (sel) => { const e = document.querySelector(sel);
        return e ? e.getBoundingClientRect().toJSON() : null; };
      return {topBar: shown('.top-title'), tabBar: shown('.main-nav'),
              columnHead: shown('.section-messages > .column-head h1:not(.visually-hidden)')
                + shown('.section-messages > .column-head'),
              roomHead: shown('.room-head'), face: shown('.room-head .room-face .avatar'),
              back: shown('.room-head .back-to-list'), badge: shown('.room-head .badge'),
              head: box('.room-head'), timeline: box('.timeline'),
              composer: box('.room-composer'), height: innerHeight, width: innerWidth,
              scrollHeight: document.documentElement.scrollHeight,
              scrollWidth: document.documentElement.scrollWidth};
    }""")


async def test_a_pasted_and_a_dropped_image_are_sent_and_a_phone_shows_one_header(
        stack: Stack, browser):
    """Issue 26: an image pasted into the Messages bar, and one dropped on it, are attached as
    if chosen (the chip) and sent; the other side reads image messages on the homeserver. On a
    phone an open conversation is a chat app's screen: one head (back arrow, picture, name,
    encryption) where the top bar was, the messages scrolling, the bar at the bottom."""
    alice, bob = await stack.register("alice"), await stack.register("bob")
    room_id = await plain_dm_with_lines(
        stack, alice, bob, [f"Bob's line {i}: the tide is turning" for i in range(14)])
    async with new_browser(browser, stack, alice) as a:
        await open_messages(a, stack, f"/{quote(room_id)}")
        await a.locator(".message", has_text="Bob's line 13").wait_for()
        chip = a.get_by_role("group", name="Attachment")

        # Pasted into the text: a ClipboardEvent carrying a file, built in the page.
        await message_box(a).click()
        await message_box(a).evaluate(f"""t => {{ const data = new DataTransfer();
            data.items.add({_js_image("pasted.png", png((200, 60, 90)))});
            t.dispatchEvent(new ClipboardEvent("paste", {{clipboardData: data, bubbles: true,
                cancelable: true}})); }}""")
        await chip.get_by_text("pasted.png").wait_for()
        assert "Image · " in await chip.inner_text()
        await message_box(a).fill("pasted in")
        await a.get_by_role("button", name="Send").click()
        await chip.wait_for(state="hidden")

        # Dropped on the bar: it is marked while the file is over it, then attached.
        await a.locator(".room-composer").evaluate(f"""f => {{ const data = new DataTransfer();
            data.items.add({_js_image("dropped.png", png((40, 160, 90)))});
            f.querySelector('.composer-bar').dispatchEvent(new DragEvent("dragover",
                {{dataTransfer: data, bubbles: true, cancelable: true}}));
            window.__marked = f.classList.contains('dragging');
            f.querySelector('.composer-bar').dispatchEvent(new DragEvent("drop",
                {{dataTransfer: data, bubbles: true, cancelable: true}})); }}""")
        assert await a.evaluate("window.__marked")
        await chip.get_by_text("dropped.png").wait_for()
        assert not await a.locator(".room-composer.dragging").count()
        await a.get_by_role("button", name="Send").click()
        await chip.wait_for(state="hidden")
        await a.locator(".message.mine img[alt='dropped.png']").wait_for()

        # What Bob's client reads: two image messages, each with its picture uploaded.
        async def images() -> list[dict]:
            status, body = await stack.request(
                "GET", f"{stack.synapse.url}/_matrix/client/v3/rooms/{quote(room_id)}/messages"
                       "?dir=b&limit=30", token=bob.access_token)
            assert status == 200, body
            found = [e["content"] for e in body["chunk"] if e["type"] == "m.room.message"
                     and e["content"].get("msgtype") == "m.image"]
            return found if len(found) >= 2 else []
        sent = await eventually(images, what="both images on the homeserver")
        assert sorted((c["filename"], c["body"], c["info"]["mimetype"]) for c in sent) == [
            ("dropped.png", "dropped.png", "image/png"),
            ("pasted.png", "pasted in", "image/png")], sent
        assert all(c["url"].startswith("mxc://") for c in sent), sent

        # On a phone: one head, the conversation's own, at the top of the screen; the
        # messages between it and the bar, which sits at the bottom; nothing else scrolls.
        await a.set_viewport_size(PHONE)
        await a.wait_for_timeout(300)
        seen = await _headers_shown(a)
        assert (seen["topBar"], seen["tabBar"], seen["columnHead"], seen["roomHead"]) == (
            0, 0, 0, 1), seen
        assert (seen["face"], seen["back"], seen["badge"]) == (1, 1, 1), seen
        assert seen["head"]["top"] == 0, seen
        assert seen["head"]["bottom"] <= seen["timeline"]["top"] + 1, seen
        assert seen["timeline"]["bottom"] <= seen["composer"]["top"], seen
        assert seen["height"] - 12 <= seen["composer"]["bottom"] <= seen["height"], seen
        assert seen["scrollHeight"] <= seen["height"], seen
        assert seen["scrollWidth"] <= seen["width"], seen
        await message_box(a).fill("See you at the pier?")
        await every_look(a, "messages-conversation")
        # The back arrow leads to the list, which has the app's bars again.
        await a.set_viewport_size(PHONE)
        await a.get_by_role("link", name="All conversations").click()
        await a.get_by_role("list", name="Conversations").wait_for()
        seen = await _headers_shown(a)
        assert seen["topBar"] == 1 and seen["tabBar"] == 1, seen
        await page_shot(a, "messages-list-phone-light")
        # A conversation not on her list still has its way back (the only one on a phone).
        await open_messages(a, stack, f"/{quote('!nowhere:' + stack.domain)}")
        await a.get_by_text("not on your list").wait_for()
        await a.get_by_role("link", name="All conversations").click()
        await a.get_by_role("list", name="Conversations").wait_for()
