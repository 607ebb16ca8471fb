// Messages: DMs and groups, read straight from the homeserver with matrix-js-sdk. DMs are
// end-to-end encrypted here, in the browser (the SDK's Rust crypto): the service never holds
// the keys. The SDK (about 2 MB of WebAssembly) is loaded only when this section opens.
import { enc } from "./api.js";
import { decryptAttachment, encryptAttachment } from "./attachments.js";
import { acceptDroppedFiles, busy, clear, errorBox, field, fill, h, keep, timeEl, uid } from "./dom.js";
import { discard, heldIn, hold, keepSendingHeld, withoutADevice } from "./held-messages.js";
import { icon } from "./icons.js";
import { keyBackupPanel } from "./key-backup.js";
import { menuButton, trapFocus } from "./menu.js";
import { appCard, avatar } from "./post.js";

/** "bob" or "@bob" or "@bob:server" as a full Matrix user ID on this server by default. */
export function userIdOf(ctx, handle) {
  const text = handle.trim().replace(/^@/, "");
  return text.includes(":") ? `@${text}` : `@${text}:${ctx.config.server_name}`;
}

const FEED_ROOM_TYPE = "m.matrix_os.social.feed";
const SHOWN_MESSAGES = 60;
let started = null;

// The SDK logs every sync step at debug level; keep warnings and errors only.
const quietLogger = {
  trace() {}, debug() {}, info() {},
  warn: (...args) => console.warn(...args),
  error: (...args) => console.error(...args),
  getChild() { return quietLogger; },
}; // {sdk, client} for this page's session, shared by every visit

async function startClient(ctx, onProgress) {
  if (started && started.userId === ctx.session.userId) return started.ready;
  const session = ctx.session;
  const ready = (async () => {
    onProgress("Loading the encryption library…");
    const sdk = await import("/social/vendor/matrix-sdk.js");
    sdk.logger.setLevel("warn", false);
    await sdk.loadCryptoWasm();
    const client = sdk.createClient({
      baseUrl: session.homeserverUrl, accessToken: session.accessToken,
      userId: session.userId, deviceId: session.deviceId, logger: quietLogger,
    });
    // This app makes no calls; asking the homeserver for call transports only adds a 404.
    client._unstable_getRTCTransports = async () => [];
    onProgress("Opening this browser's keys…");
    await client.initRustCrypto({ cryptoDatabasePrefix: "matrix-social" });
    onProgress("Syncing your conversations…");
    const prepared = new Promise((resolve, reject) => {
      const onSync = (state, _previous, data) => {
        if (state === "PREPARED" || state === "SYNCING") {
          client.off("sync", onSync);
          resolve();
        } else if (state === "ERROR" && data && data.error && data.error.httpStatus === 401) {
          client.off("sync", onSync);
          reject(data.error);
        }
      };
      client.on("sync", onSync);
    });
    await client.startClient({ initialSyncLimit: 30, lazyLoadMembers: true });
    await prepared;
    const changed = new EventTarget();
    const held = keepSendingHeld(ctx, client, () => changed.dispatchEvent(new Event("sent")));
    return { sdk, client, held, changed };
  })();
  started = { userId: session.userId, ready };
  ctx.stopMessages = async () => {
    const current = started;
    started = null;
    try {
      const { client, held } = await current.ready;
      held.stop();
      client.stopClient();
      await client.getCrypto()?.stop?.();
    } catch {
      // it never started; nothing to stop
    }
  };
  ready.catch(() => { if (started && started.ready === ready) started = null; });
  return ready;
}

function isConversation(room) {
  return room.getType() !== FEED_ROOM_TYPE
    && ["join", "invite"].includes(room.getMyMembership());
}

function isEncrypted(client, room) {
  return room.hasEncryptionStateEvent();
}

function displayName(room, userId) {
  const member = room.getMember(userId);
  return (member && member.name) || userId;
}

function preview(event) {
  if (!event) return "";
  if (event.isDecryptionFailure()) return "Encrypted message (cannot decrypt)";
  const content = event.getContent();
  if (event.getType() === "m.room.encrypted") return "Encrypted message";
  if (content.msgtype === "m.image") return "Image";
  if (content.msgtype === "m.file") return `File: ${content.body || ""}`;
  return content.body || "";
}

/** "820 B", "14 KB", "2.4 MB": a file's size as a chat shows it. */
export function sizeText(bytes) {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${Math.round(bytes / 1000)} KB`;
  return `${(bytes / 1_000_000).toFixed(bytes < 10_000_000 ? 1 : 0)} MB`;
}

function lastMessage(room) {
  const events = room.getLiveTimeline().getEvents();
  for (let i = events.length - 1; i >= 0; i -= 1) {
    if (["m.room.message", "m.room.encrypted"].includes(events[i].getType())) return events[i];
  }
  return null;
}

/** Other members whose read receipt is on `event` or on anything after it. */
function readersOf(room, event) {
  const timeline = room.getLiveTimeline().getEvents();
  const position = new Map(timeline.map((e, i) => [e.getId(), i]));
  const at = position.get(event.getId());
  if (at === undefined) return [];
  return room.getJoinedMembers().map((m) => m.userId)
    .filter((userId) => userId !== event.getSender())
    .filter((userId) => (position.get(room.getEventReadUpTo(userId)) ?? -1) >= at);
}

async function mediaBlob(ctx, client, content) {
  const mxc = content.file ? content.file.url : content.url;
  const match = /^mxc:\/\/([^/]+)\/([A-Za-z0-9_-]+)$/.exec(mxc || "");
  if (!match) throw new Error("This message has no file.");
  const response = await fetch(`${ctx.session.homeserverUrl}/_matrix/client/v1/media/download/`
    + `${enc(match[1])}/${enc(match[2])}`,
  { headers: { Authorization: `Bearer ${ctx.session.accessToken}` } });
  if (!response.ok) throw new Error(`The file could not be downloaded (${response.status}).`);
  const bytes = await response.arrayBuffer();
  const plain = content.file ? await decryptAttachment(bytes, content.file) : bytes;
  const type = (content.info && content.info.mimetype) || "application/octet-stream";
  return URL.createObjectURL(new Blob([plain], { type: content.msgtype === "m.image" ? type
    : "application/octet-stream" }));
}

function messageBody(ctx, client, event) {
  if (event.isDecryptionFailure() || event.getType() === "m.room.encrypted") {
    return h("span", { class: "bubble undecryptable" },
      "This message is encrypted and this browser does not have its key. "
      + "If you have a key backup, restore it to read it.");
  }
  const content = event.getContent();
  if (content.msgtype === "m.image") {
    const img = h("img", { alt: content.body || "Image" });
    mediaBlob(ctx, client, content).then((url) => { img.src = url; })
      .catch((error) => img.replaceWith(h("span", { class: "bubble" }, error.message)));
    // A caption (the body, where it is not just the file's name) is shown under the image.
    const caption = content.filename && content.body && content.body !== content.filename
      ? h("span", { class: "image-caption", dir: "auto", "aria-hidden": "true" }, content.body) : null;
    return h("span", { class: "bubble" }, img, caption);
  }
  if (content.msgtype === "m.file") {
    const button = h("button", { type: "button" }, `Download ${content.body || "file"}`);
    button.addEventListener("click", () => busy(button, async () => {
      const link = h("a", { href: await mediaBlob(ctx, client, content),
        download: content.filename || content.body || "file" });
      document.body.append(link);
      link.click();
      link.remove();
    }, (error) => button.after(h("span", { class: "error-text" }, error.message))));
    return h("span", { class: "bubble" }, button);
  }
  const block = content["m.matrix_os.social.post"];
  if (block && block.kind === "app" && block.app) {
    return h("span", { class: "bubble" }, block.text || "", appCard(ctx, block.app));
  }
  return h("span", { class: `bubble${content.msgtype === "m.notice" ? " notice" : ""}` },
    content.body || "");
}

/** Her own message waiting to be sent into an encrypted room (a local echo) is not encrypted
 * *yet*: the SDK encrypts it before it leaves, or does not send it at all. Say so from the
 * first moment, never "not encrypted". */
function encryptionNote(event, roomEncrypted) {
  const pendingInEncryptedRoom = roomEncrypted && event.status !== null && event.status !== undefined;
  if (!event.isEncrypted() && !pendingInEncryptedRoom) {
    return h("span", { class: "plain-note" }, " · not encrypted");
  }
  return h("span", { class: "lock-note" }, " · encrypted");
}

/** "bob" for a user of this server, "bob:elsewhere.org" for another's; "" for none. */
function handleOf(ctx, userId) {
  if (!userId) return "";
  const local = `:${ctx.config.server_name}`;
  return userId.endsWith(local) ? userId.slice(1, -local.length) : userId.slice(1);
}

/** The first page of conversations from the service (GET /messages/conversations), shown
 * while the SDK syncs; {el, remove()}. Nothing is shown if it fails: the SDK's list follows. */
function earlyList(ctx, current) {
  const list = h("ul", { class: "conversations", "aria-label": "Conversations" });
  const el = h("div", { class: "messages-layout early-conversations", hidden: true },
    h("section", { class: "conversation-pane", "aria-labelledby": "early-conversations-title" },
      h("div", { class: "conversations-head" },
        h("h2", { id: "early-conversations-title" }, "Conversations")),
      list));
  let gone = false;
  ctx.api.get("/messages/conversations", { limit: 20 }).then((page) => {
    if (gone || !page.items.length) return;
    fill(list, ...page.items.map((item) => h("li", {},
      h("a", { href: `/social/messages/${enc(item.room_id)}`, "data-link": true,
        "aria-current": item.room_id === current ? "true" : "false" },
      h("strong", {}, item.name || handleOf(ctx, item.with) || "Conversation"),
      h("span", { class: "conversation-meta" }, item.encrypted ? "Encrypted · " : "",
        item.last_activity ? timeEl(item.last_activity) : "")))));
    el.hidden = false;
  }).catch(() => {});
  return { el, remove() { gone = true; el.remove(); } };
}

export async function render(ctx, container, roomParam) {
  const layout = h("div", { class: "messages-layout" });
  const listPane = h("section", { class: "conversation-pane", "aria-labelledby": "conversations-title" });
  const roomPane = h("section", { class: "room-pane", "aria-label": "Conversation" });
  const status = h("p", { class: "status", role: "status" }, "Loading Messages…");
  container.append(h("div", { class: "column-head" }, h("h1", { tabindex: "-1" }, "Messages")), status);
  layout.append(listPane, roomPane);

  const to = new URLSearchParams(location.search).get("to");
  // The service lists the conversations in one request while the SDK's first sync (every
  // room, seconds for someone in many) runs: they are shown at once, as links.
  const early = to ? null : earlyList(ctx, roomParam);
  if (early) container.append(early.el);
  let client;
  let sdk;
  let held;
  let changed;
  try {
    if (to) {
      status.textContent = `Opening a conversation with ${to}…`;
      const dm = await ctx.api.post("/messages/dm", { to: userIdOf(ctx, to) });
      history.replaceState(null, "", `/social/messages/${enc(dm.room_id)}`);
      roomParam = dm.room_id;
    }
    ({ sdk, client, held, changed } = await startClient(ctx, (text) => {
      status.textContent = text;
    }));
  } catch (error) {
    status.remove();
    early?.remove();
    container.append(errorBox(error, () => ctx.navigate(location.pathname, { replace: true })));
    return undefined;
  }
  void sdk;
  status.textContent = "";
  early?.remove();
  container.append(layout);
  const me = ctx.session.userId;
  let roomId = roomParam || null;
  let stopped = false;

  // The list of conversations, invitations, and "New message" (a dialog with the forms that
  // start a conversation or a group).
  const list = h("ul", { class: "conversations", "aria-label": "Conversations" });
  const newButton = h("button", { type: "button", class: "primary small new-message",
    "aria-haspopup": "dialog" }, icon("plus", { size: 18 }), "New message");
  const dialog = h("dialog", { class: "dialog new-message-dialog", "aria-labelledby": "new-message-title" },
    h("div", { class: "dialog-head" },
      h("h2", { id: "new-message-title" }, "New message"),
      h("button", { type: "button", class: "icon-button", "aria-label": "Close",
        onclick: () => dialog.close() }, icon("close", { size: 20 }))),
    newDmForm(), newGroupForm());
  dialog.addEventListener("click", (event) => { if (event.target === dialog) dialog.close(); });
  dialog.addEventListener("close", () => { if (newButton.isConnected) newButton.focus(); });
  newButton.addEventListener("click", () => {
    dialog.showModal();
    dialog.querySelector("input[name=to]").focus();
  });
  listPane.append(h("div", { class: "conversations-head" },
    h("h2", { id: "conversations-title" }, "Conversations"), newButton),
  keyBackupPanel(ctx, client, { onRestored: () => refresh() }), list, dialog);

  function newDmForm() {
    const who = h("input", { name: "to", autocomplete: "off" });
    const open = h("button", { type: "submit", class: "primary" }, "Open");
    const note = h("div", { role: "status" });
    const form = h("form", { class: "card", "aria-label": "Message someone" },
      field("Message someone", who, "A handle such as bob, or bob_ai for Bob's AI"), open, note);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!who.value.trim()) return;
      busy(open, async () => {
        const dm = await ctx.api.post("/messages/dm", { to: userIdOf(ctx, who.value) });
        who.value = "";
        clear(note);
        dialog.close();
        ctx.navigate(`/social/messages/${enc(dm.room_id)}`);
      }, (error) => fill(note, errorBox(error)));
    });
    return form;
  }

  function newGroupForm() {
    const name = h("input", { name: "group-name", maxlength: 100 });
    const members = h("input", { name: "members", autocomplete: "off" });
    const encrypted = h("input", { type: "checkbox", name: "encrypted", checked: true });
    const create = h("button", { type: "submit" }, "Create group");
    const note = h("div", { role: "status" });
    const form = h("form", { class: "card", "aria-label": "New group" },
      field("Group name", name), field("Members", members, "Handles separated by commas"),
      h("div", { class: "field" }, h("label", {}, encrypted, " End-to-end encrypted")),
      create, note);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(create, async () => {
        const group = await ctx.api.post("/messages/groups", {
          name: name.value, encrypted: encrypted.checked,
          members: members.value.split(",").map((m) => m.trim()).filter(Boolean)
            .map((m) => userIdOf(ctx, m)) });
        form.reset();
        encrypted.checked = true;
        clear(note);
        await waitForRoom(group.room_id);
        dialog.close();
        ctx.navigate(`/social/messages/${enc(group.room_id)}`);
      }, (error) => fill(note, errorBox(error)));
    });
    return form;
  }

  async function waitForRoom(id) {
    for (let i = 0; i < 50 && !client.getRoom(id); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Who a conversation's picture shows: the room's own picture, else the other person's in
   * a conversation of two, else the room's initials. */
  function faceOf(room) {
    const others = room.getMembers().filter((m) => m.userId !== me
      && ["join", "invite"].includes(m.membership));
    const roomPicture = room.getMxcAvatarUrl();
    return !roomPicture && others.length === 1
      ? { user_id: others[0].userId, display_name: room.name || others[0].name,
        avatar_url: others[0].getMxcAvatarUrl() || null }
      : { user_id: room.roomId, display_name: room.name || "Conversation", avatar_url: roomPicture || null };
  }

  function renderList() {
    const rooms = client.getRooms().filter(isConversation)
      .sort((a, b) => b.getLastActiveTimestamp() - a.getLastActiveTimestamp());
    if (!rooms.length) {
      fill(list, h("li", { class: "status" }, "No conversations yet."));
      return;
    }
    fill(list, ...rooms.map((room) => {
      const invited = room.getMyMembership() === "invite";
      const unread = room.getUnreadNotificationCount("total") || 0;
      const encrypted = isEncrypted(client, room);
      const waiting = heldIn(me, room.roomId);
      const last = waiting.length ? `Waiting to send: ${waiting[waiting.length - 1].content.body}`
        : preview(lastMessage(room));
      const link = h("a", { href: `/social/messages/${enc(room.roomId)}`, "data-link": true,
        "aria-current": room.roomId === roomId ? "true" : "false", class: "conversation-link" },
      avatar(ctx, faceOf(room), 44),
      h("span", { class: "conversation-text" },
        h("span", { class: "conversation-name" }, h("strong", {}, room.name || "Conversation"),
          unread ? h("span", { class: "unread", "aria-label": `${unread} unread` }, unread) : null),
        h("span", { class: "conversation-meta" },
          invited ? "Invitation" : `${encrypted ? "Encrypted · " : ""}${last}`)));
      return h("li", {}, link);
    }));
  }

  // The open conversation.
  const title = h("h2", { id: "room-title", tabindex: "-1" });
  const badge = h("span", { class: "badge" });
  const face = h("span", { class: "room-face" });
  const membersButton = h("button", { type: "button", class: "small members-button",
    "aria-expanded": "false", "aria-label": "Members", title: "Members" }, icon("users", { size: 18 }),
  h("span", { class: "members-text", "aria-hidden": "true" }, "Members"));
  const back = h("a", { href: "/social/messages", "data-link": true,
    class: "back-to-list icon-button", "aria-label": "All conversations",
    title: "All conversations" }, icon("back", { size: 20 }));
  const membersPanel = h("div", { class: "card members-panel", hidden: true });
  const invitePanel = h("div", { class: "invite-panel" });
  const timeline = h("ol", { class: "timeline", "aria-label": "Messages", tabindex: "0" });
  const typing = h("p", { class: "typing", "aria-live": "polite" });
  const receipt = h("p", { class: "receipt", "aria-live": "polite" });
  // The newest message stays in sight (above the composer) while she is at the end of the
  // conversation: new messages, an image that loads, the composer growing all keep it there;
  // once she scrolls up to read, nothing moves under her.
  // A scroll that comes with a change of layout (the window resized, text wrapping anew, the
  // browser keeping its place) is not hers: only her own scrolling stops the following.
  let following = true;
  let shape = "";
  const shapeNow = () => `${timeline.clientWidth}/${timeline.clientHeight}/${timeline.scrollHeight}`;
  const toNewest = () => {
    timeline.scrollTop = timeline.scrollHeight;
    shape = shapeNow();
  };
  timeline.addEventListener("scroll", () => {
    const moved = shapeNow() !== shape;
    shape = shapeNow();
    if (moved && following) toNewest();
    else following = timeline.scrollTop + timeline.clientHeight >= timeline.scrollHeight - 40;
  }, { passive: true });
  timeline.addEventListener("load", () => { if (following) toNewest(); }, true);
  const resized = new ResizeObserver(() => { if (following) toNewest(); });
  resized.observe(timeline);
  const composer = roomComposer();

  /** The bar pinned under the conversation, as in Bluesky's, Element's and Signal's chats:
   * "+" (a photo or file, an app to share in a small sheet), the paperclip (the real file
   * input, visually hidden but labelled and in the tab order), the text (it grows with what
   * she writes; Enter sends, Shift+Enter is a new line) and Send (greyed while there is
   * nothing to send). A chosen file is a chip above the text: a preview for an image, its
   * name and size, and × to take it off. Errors are shown under the bar. */
  function roomComposer() {
    const text = h("textarea", { rows: 1, name: "message", maxlength: 20000, class: "composer-text",
      "aria-label": "Message", placeholder: "Message…", enterkeyhint: "send", dir: "auto" });
    const send = h("button", { type: "submit", class: "send-button", "aria-label": "Send",
      title: "Send", disabled: true }, icon("send", { size: 20 }));
    const file = h("input", { type: "file", name: "attachment", id: uid("attachment"),
      class: "visually-hidden composer-file" });
    const attach = h("label", { for: file.id, class: "composer-tool", title: "Attach an image or file" },
      icon("paperclip", { size: 22 }), h("span", { class: "visually-hidden" }, "Attach an image or file"));
    const chip = h("div", { class: "attachment-chip", role: "group", "aria-label": "Attachment",
      hidden: true });
    const note = h("div", { class: "composer-note", role: "status" });
    const more = menuButton({ label: "Add to message", menuLabel: "Add to message", iconName: "plus",
      className: "composer-tool composer-more", items: () => [
        { label: "Photo or file", icon: "image", onSelect: () => file.click() },
        { label: "Share an app", icon: "app", onSelect: openAppSheet }] });
    const bar = h("div", { class: "composer-bar" }, chip, more.el, file, attach, text, send);
    const form = h("form", { class: "room-composer", "aria-label": "Write a message" }, bar, note);
    const sheet = appSheet();

    // Send is offered only when there is something to send.
    function ready() {
      send.disabled = !text.value.trim() && !file.files.length;
    }
    // The text grows with what she writes (field-sizing in CSS; by hand where unsupported).
    const grows = typeof CSS !== "undefined" && CSS.supports("field-sizing", "content");
    function grow() {
      if (grows) return;
      text.style.height = "auto";
      text.style.height = `${Math.min(text.scrollHeight, 168)}px`;
    }

    let previewUrl = null;
    function dropPreview() {
      if (previewUrl) URL.revokeObjectURL(previewUrl);
      previewUrl = null;
    }
    /** The chip of the chosen file, or none. */
    function showAttachment() {
      dropPreview();
      const chosen = file.files[0];
      if (!chosen) {
        chip.hidden = true;
        clear(chip);
        ready();
        return;
      }
      const isImage = chosen.type.startsWith("image/");
      let thumb;
      if (isImage) {
        const url = URL.createObjectURL(chosen);
        previewUrl = url;
        thumb = h("img", { class: "chip-thumb", src: url, alt: "" });
        // Drawn once it has loaded: the object URL is let go of then.
        const done = () => {
          URL.revokeObjectURL(url);
          if (previewUrl === url) previewUrl = null;
        };
        thumb.addEventListener("load", done, { once: true });
        thumb.addEventListener("error", done, { once: true });
      } else {
        thumb = h("span", { class: "chip-thumb chip-file" }, icon("file", { size: 22 }));
      }
      const remove = h("button", { type: "button", class: "chip-remove",
        "aria-label": `Remove ${chosen.name}`, title: "Remove" }, icon("close", { size: 16 }));
      remove.addEventListener("click", () => {
        clearAttachment();
        text.focus();
        ctx.announce(`${chosen.name} removed`);
      });
      fill(chip, thumb, h("span", { class: "chip-text" },
        h("span", { class: "chip-name", dir: "auto" }, chosen.name),
        h("span", { class: "chip-size" }, `${isImage ? "Image" : "File"} · ${sizeText(chosen.size)}`)),
      remove);
      chip.hidden = false;
      ready();
    }
    function clearAttachment() {
      file.value = "";
      showAttachment();
    }
    function choose(chosen) {
      const list = new DataTransfer();
      list.items.add(chosen);
      file.files = list.files;
      showAttachment();
      ctx.announce(`${chosen.name} attached`);
    }
    file.addEventListener("change", () => {
      showAttachment();
      if (file.files.length) {
        ctx.announce(`${file.files[0].name} attached`);
        text.focus();
      }
    });
    // A pasted image or file, or one dropped on the bar, is attached as if chosen.
    text.addEventListener("paste", (event) => {
      const pasted = event.clipboardData && event.clipboardData.files[0];
      if (!pasted) return;
      event.preventDefault();
      choose(pasted);
    });
    acceptDroppedFiles(form, (files) => choose(files[0]));

    let typingSent = 0;
    text.addEventListener("input", () => {
      ready();
      grow();
      if (!roomId) return;
      const now = Date.now();
      if (text.value && now - typingSent > 3000) {
        typingSent = now;
        client.sendTyping(roomId, true, 6000).catch(() => {});
      } else if (!text.value) {
        typingSent = 0;
        client.sendTyping(roomId, false).catch(() => {});
      }
    });
    // An AI reads an encrypted room through the service's bot device, which joins just after
    // the AI: a message sent before that would carry a key the bot never gets, so it waits
    // (at most 20 s) for the bot when an AI is in the room.
    async function untilAnAiCanRead() {
      const isAi = (id) => id.endsWith(`${ctx.config.ai_suffix}:${ctx.config.server_name}`);
      const deadline = Date.now() + 20_000;
      for (;;) {
        const room = client.getRoom(roomId);
        if (!room || !room.hasEncryptionStateEvent()) return;
        const joined = room.getJoinedMembers().map((m) => m.userId);
        if (!joined.some(isAi) || joined.includes(ctx.config.bot_user_id)) return;
        if (Date.now() > deadline) return;
        await new Promise((resolve) => { setTimeout(resolve, 250); });
      }
    }
    text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const body = text.value.trim();
      const attachment = file.files[0];
      if (!body && !attachment) return;
      busy(send, async () => {
        clear(note);
        await untilAnAiCanRead();
        const room = client.getRoom(roomId);
        const unable = isEncrypted(client, room) ? await withoutADevice(ctx, client, room) : [];
        if (unable.length && attachment) {
          throw new Error(`${names(room, unable)} cannot read encrypted messages yet. `
            + "Send the file once they have opened Messages.");
        }
        if (unable.length) {
          hold(me, roomId, { msgtype: "m.text", body }, unable);
          ctx.announce(`Message held until ${names(room, unable)} can read it`);
          refresh();
        } else if (attachment) await sendFile(attachment, body);
        else await client.sendMessage(roomId, { msgtype: "m.text", body });
        // What she wrote while it was on its way is her next message: only what was sent goes.
        if (text.value.trim() === body) text.value = "";
        if (file.files[0] === attachment) clearAttachment();
        ready();
        grow();
        typingSent = 0;
        client.sendTyping(roomId, false).catch(() => {});
        following = true;
        refresh();
        const focused = document.activeElement;
        if (!focused || focused === document.body || form.contains(focused)) {
          text.focus({ preventScroll: true });
        }
        ctx.announce("Message sent");
      }, (error) => fill(note, errorBox(error)));
    });

    /** "Share an app": a small sheet (a modal dialog; a bottom sheet on a phone). */
    function appSheet() {
      const appName = h("input", { name: "app-name", autocomplete: "off", maxlength: 100 });
      const appUrl = h("input", { name: "app-url", type: "url", autocomplete: "off",
        placeholder: "https://" });
      const sendApp = h("button", { type: "submit", class: "primary" }, "Send app link");
      const cancel = h("button", { type: "button" }, "Cancel");
      const appNote = h("div", { role: "status" });
      const titleId = uid("app-sheet");
      const appForm = h("form", { novalidate: true },
        field("App name", appName), field("App URL", appUrl, "Where it runs: they get a Try it button"),
        appNote, h("div", { class: "dialog-actions" }, cancel, sendApp));
      const dialog = h("dialog", { class: "dialog app-sheet", "aria-labelledby": titleId },
        h("div", { class: "dialog-head" }, h("h2", { id: titleId }, "Share an app"),
          h("button", { type: "button", class: "icon-button", "aria-label": "Close",
            onclick: () => dialog.close() }, icon("close", { size: 20 }))),
        appForm);
      trapFocus(dialog);
      cancel.addEventListener("click", () => dialog.close());
      dialog.addEventListener("click", (event) => { if (event.target === dialog) dialog.close(); });
      dialog.addEventListener("close", () => { if (more.button.isConnected) more.button.focus(); });
      appForm.addEventListener("submit", (event) => {
        event.preventDefault();
        busy(sendApp, async () => {
          const app = { name: appName.value.trim(), url: appUrl.value.trim(), description: "" };
          if (!app.name || !/^https?:\/\//.test(app.url)) {
            throw new Error("Give the app a name and an http(s) URL.");
          }
          app.try_url = ctx.config.app_runner_url.replace("{url}", app.url).replace("{slug}", "");
          await client.sendMessage(roomId, {
            msgtype: "m.text", body: `${app.name}\nTry it: ${app.try_url}`,
            "m.matrix_os.social.post": { kind: "app", app, text: "" } });
          appName.value = appUrl.value = "";
          following = true;
          dialog.close();
          ctx.announce(`${app.name} shared`);
        }, (error) => fill(appNote, errorBox(error)));
      });
      return { dialog, open() {
        clear(appNote);
        dialog.showModal();
        appName.focus();
      } };
    }
    function openAppSheet() {
      sheet.open();
    }

    return {
      el: h("div", { class: "room-composer-wrap" }, form, sheet.dialog),
      /** The placeholder names the conversation ("Message Bob…"). */
      named(roomName) {
        const wanted = `Message ${roomName}…`;
        if (text.placeholder !== wanted) text.placeholder = wanted;
      },
    };
  }

  async function sendFile(attachment, caption) {
    const room = client.getRoom(roomId);
    const isImage = attachment.type.startsWith("image/");
    const info = { mimetype: attachment.type || "application/octet-stream", size: attachment.size };
    const content = { msgtype: isImage ? "m.image" : "m.file", body: caption || attachment.name,
      filename: attachment.name, info };
    if (isEncrypted(client, room)) {
      const { data, file } = await encryptAttachment(await attachment.arrayBuffer());
      const upload = await client.uploadContent(new Blob([data]),
        { type: "application/octet-stream", includeFilename: false });
      content.file = { ...file, url: upload.content_uri };
    } else {
      const upload = await client.uploadContent(attachment, { name: attachment.name });
      content.url = upload.content_uri;
    }
    await client.sendMessage(roomId, content);
  }

  async function renderMembers() {
    const room = client.getRoom(roomId);
    fill(membersPanel, h("p", { class: "status" }, "Loading members…"));
    try {
      const data = await ctx.api.get(`/messages/rooms/${enc(roomId)}/members`);
      const who = h("input", { name: "invite", autocomplete: "off" });
      const invite = h("button", { type: "submit" }, "Invite");
      const note = h("div", { role: "status" });
      const form = h("form", { "aria-label": "Invite someone" },
        field("Invite someone", who, "A handle such as carol"), invite, note);
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        busy(invite, async () => {
          await ctx.api.post(`/messages/rooms/${enc(roomId)}/invite`,
            { user: userIdOf(ctx, who.value) });
          ctx.announce(`Invited ${who.value.trim()}`);
          await renderMembers();
        }, (error) => fill(note, errorBox(error)));
      });
      const leave = h("button", { type: "button", class: "danger" }, "Leave conversation");
      leave.addEventListener("click", () => busy(leave, async () => {
        await ctx.api.post(`/messages/rooms/${enc(roomId)}/leave`);
        ctx.navigate("/social/messages");
      }, (error) => fill(note, errorBox(error))));
      fill(membersPanel, h("h3", {}, `Members (${data.count})`),
        h("ul", { class: "members" }, data.members.map((m) => {
          const remove = m.user_id === me ? null : h("button", { type: "button",
            "aria-label": `Remove ${m.display_name || m.user_id}` }, "Remove");
          if (remove) {
            remove.addEventListener("click", () => busy(remove, async () => {
              await ctx.api.post(`/messages/rooms/${enc(roomId)}/remove`, { user: m.user_id });
              await renderMembers();
            }, (error) => fill(note, errorBox(error))));
          }
          return h("li", {}, h("span", {}, m.display_name || m.user_id,
            h("span", { class: "handle" }, ` ${m.user_id}${m.is_ai ? " · AI" : ""}`)), remove);
        })),
        form, leave);
    } catch (error) {
      fill(membersPanel, errorBox(error, renderMembers));
    }
    void room;
  }
  membersButton.addEventListener("click", () => {
    membersPanel.hidden = !membersPanel.hidden;
    membersButton.setAttribute("aria-expanded", String(!membersPanel.hidden));
    if (!membersPanel.hidden) renderMembers();
  });

  function renderInvite(room) {
    const accept = h("button", { type: "button", class: "primary" }, "Accept");
    const decline = h("button", { type: "button" }, "Decline");
    const note = h("div", { role: "status" });
    const inviter = room.getDMInviter && room.getDMInviter();
    accept.addEventListener("click", () => busy(accept, async () => {
      await client.joinRoom(room.roomId);
      if (inviter) await markDirect(inviter, room.roomId);
      showRoom();
    }, (error) => fill(note, errorBox(error))));
    decline.addEventListener("click", () => busy(decline, async () => {
      await client.leave(room.roomId);
      ctx.navigate("/social/messages");
    }, (error) => fill(note, errorBox(error))));
    fill(invitePanel, h("div", { class: "card" },
      h("p", {}, inviter ? `${inviter} wants to message you.` : "You are invited to this conversation."),
      h("div", { class: "button-row" }, accept, decline), note));
  }

  async function markDirect(other, id) {
    const current = client.getAccountData("m.direct")?.getContent() || {};
    const rooms = new Set(current[other] || []);
    rooms.add(id);
    await client.setAccountData("m.direct", { ...current, [other]: [...rooms] });
  }

  // Each message's element is made once and kept while it looks the same: the timeline is
  // drawn again on every sync, receipt and typing change, and an element replaced between
  // the press and the release of a click (a Download button) swallows the click.
  const drawn = new Map();
  const emptyNote = h("li", { class: "status" }, "No messages yet. Say hello.");
  function messageItem(room, event, encrypted) {
    const id = event.getId() || "";
    const mine = event.getSender() === me;
    const looks = [event.getType(), event.isDecryptionFailure(), event.status, encrypted,
      event.isEncrypted(), mine ? "" : displayName(room, event.getSender()),
      JSON.stringify(event.getContent())].join("\u0001");
    const known = drawn.get(id);
    if (known && known.looks === looks) return known.item;
    const item = h("li", { class: `message${mine ? " mine" : ""}`, dataset: { eventId: id } },
      h("span", { class: "message-meta" }, mine ? "You" : displayName(room, event.getSender()),
        " · ", timeEl(event.getTs()), encryptionNote(event, encrypted)),
      messageBody(ctx, client, event));
    drawn.set(id, { looks, item });
    return item;
  }

  /** A message that follows one of the same sender within five minutes goes on its group
   * (as in every chat, her name and the time are shown once, at the group's top; screen
   * readers still hear them for each message). */
  function followsOn(item, previous, event) {
    const follows = Boolean(previous && previous.getSender() === event.getSender()
      && event.getTs() - previous.getTs() < 5 * 60_000);
    item.classList.toggle("follows", follows);
    return item;
  }

  let lastReceiptSent = null;
  function renderRoom() {
    const room = roomId && client.getRoom(roomId);
    if (!room) return;
    const encrypted = isEncrypted(client, room);
    title.textContent = room.name || "Conversation";
    drawFace(room);
    composer.named(room.name || "this conversation");
    if (badge.dataset.encrypted !== String(encrypted)) {
      badge.dataset.encrypted = String(encrypted);
      fill(badge, icon(encrypted ? "lock" : "cw", { size: 13 }),
        encrypted ? "End-to-end encrypted" : "Not encrypted");
      badge.className = `badge ${encrypted ? "encrypted" : "unencrypted"}`;
    }
    const invited = room.getMyMembership() === "invite";
    if (invited) renderInvite(room);
    else clear(invitePanel);
    composer.el.hidden = invited;
    membersButton.hidden = invited;
    const events = room.getLiveTimeline().getEvents()
      .filter((e) => ["m.room.message", "m.room.encrypted"].includes(e.getType())
        && !e.isRedacted())
      .slice(-SHOWN_MESSAGES);
    const waiting = heldIn(me, room.roomId);
    keep(timeline, [
      ...(events.length ? events.map((event, i) => followsOn(messageItem(room, event, encrypted),
        events[i - 1], event)) : waiting.length ? [] : [emptyNote]),
      ...waiting.map((message) => heldMessage(room, message))]);
    if (following) toNewest();

    const typers = room.getMembers().filter((m) => m.typing && m.userId !== me).map((m) => m.name);
    typing.textContent = typers.length
      ? `${typers.join(", ")} ${typers.length === 1 ? "is" : "are"} typing…` : "";

    const lastMine = [...events].reverse().find((e) => e.getSender() === me);
    if (lastMine) {
      const readers = readersOf(room, lastMine).map((u) => displayName(room, u));
      receipt.textContent = lastMine.status ? "Sending…"
        : readers.length ? `Read by ${readers.join(", ")}` : "Delivered";
    } else {
      receipt.textContent = "";
    }
    const last = events[events.length - 1];
    if (last && !invited && last.getSender() !== me && last.getId() !== lastReceiptSent
        && !document.hidden && last.getId() && !last.getId().startsWith("~")) {
      lastReceiptSent = last.getId();
      client.sendReadReceipt(last).catch(() => { lastReceiptSent = null; });
    }
    roomPane.dataset.ready = "true";
  }

  /** The conversation's picture in its head: the room's own, else the other person's in a
   * conversation of two, else the room's initials (drawn again only when it changes). */
  function drawFace(room) {
    const person = faceOf(room);
    const key = JSON.stringify(person);
    if (face.dataset.key === key) return;
    face.dataset.key = key;
    fill(face, avatar(ctx, person, 40));
  }

  function names(room, userIds) {
    return userIds.map((id) => displayName(room, id)).join(", ");
  }

  /** Her message waiting for a device of each person it is for, with a way to drop it. */
  function heldMessage(room, message) {
    const known = drawn.get(message.id);
    if (known) return known.item;
    const who = names(room, message.waitingFor || []);
    const cancel = h("button", { type: "button", class: "small" }, "Don't send");
    cancel.addEventListener("click", () => {
      discard(me, message.id);
      ctx.announce("Message dropped");
      refresh();
    });
    const item = h("li", { class: "message mine held", dataset: { heldId: message.id } },
      h("span", { class: "message-meta" }, "You · ", timeEl(message.ts),
        h("span", { class: "held-note" }, " · waiting")),
      h("span", { class: "bubble", dir: "auto" }, message.content.body),
      h("p", { class: "held-explainer" },
        `${who || "They"} ${message.waitingFor?.length > 1 ? "have" : "has"} not opened `
        + "Messages yet, so an encrypted message sent now could never be read. It is sent from "
        + "this browser as soon as they have.", " ", cancel));
    drawn.set(message.id, { looks: "", item });
    return item;
  }

  function showRoom() {
    layout.classList.toggle("in-room", Boolean(roomId));
    if (!roomId) {
      fill(roomPane, h("p", { class: "status" }, "Choose a conversation, or start one."));
      return;
    }
    if (!client.getRoom(roomId)) {
      // Its head still has the way back (on a phone it is the only way out of the screen).
      fill(roomPane, h("div", { class: "room-head" }, back,
        h("div", { class: "room-title" }, h("h2", {}, "Conversation"))),
      h("p", { class: "status", role: "status" },
        "This conversation is not on your list (yet). If someone just invited you, it appears in a moment."));
      return;
    }
    if (!roomPane.contains(timeline)) {
      fill(roomPane,
        h("div", { class: "room-head" }, back, face, h("div", { class: "room-title" }, title, badge),
          membersButton),
        membersPanel, invitePanel, timeline, h("div", { class: "room-status" }, typing, receipt),
        composer.el);
    }
    renderRoom();
  }

  let scheduled = false;
  function refresh() {
    if (scheduled || stopped) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      if (stopped) return;
      renderList();
      if (roomId && client.getRoom(roomId) && !roomPane.contains(timeline)) showRoom();
      else renderRoom();
    });
  }
  const events = ["sync", "Room.timeline", "Room.receipt", "RoomMember.typing",
    "Event.decrypted", "Room.myMembership", "Room.name", "Room.localEchoUpdated"];
  for (const name of events) client.on(name, refresh);
  changed.addEventListener("sent", refresh);

  renderList();
  showRoom();
  container.dataset.ready = "true";
  performance.mark("messages-ready");
  if (roomId) title.focus();
  return () => {
    stopped = true;
    resized.disconnect();
    for (const name of events) client.off(name, refresh);
    changed.removeEventListener("sent", refresh);
  };
}
