// The composer: compact until you start writing, then the tools: up to four images (from the
// file picker, pasted or dropped; each with its own alt text; uploaded at once), a content
// warning, emoji, an app to share, who posts (you or your AI) and where else it is published
// (your connected accounts on platforms that publish, as toggles ticked from your defaults, with a
// preview per platform of the exact text it gets). The character count becomes a ring near
// the limit. On a phone it opens as a full-screen sheet from the floating button, so the feed
// keeps the first screen. A post is sent with one Idempotency-Key for as long as it is the
// same post: a retry after a dropped connection never posts it twice.
import { newKey } from "./api.js";
import { acceptDroppedFiles, busy, clear, describeError, fill, h, uid } from "./dom.js";
import { icon } from "./icons.js";
import { byTarget, platformName, publishTargets } from "./platforms.js";
import { avatar } from "./post.js";
import { atHandle, countChars, counterFor } from "./text.js";

const MAX_IMAGES = 4;
const IMAGE_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"];
const RING_FROM = 20;  // characters left when the ring shows the number

/** The character ring: fills as the text grows, shows what is left near the limit. */
function ring(max) {
  const r = 9;
  const length = 2 * Math.PI * r;
  const NS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "26");
  svg.setAttribute("height", "26");
  svg.setAttribute("aria-hidden", "true");
  const track = document.createElementNS(NS, "circle");
  const bar = document.createElementNS(NS, "circle");
  for (const c of [track, bar]) {
    c.setAttribute("cx", "12"); c.setAttribute("cy", "12"); c.setAttribute("r", String(r));
    c.setAttribute("fill", "none"); c.setAttribute("stroke-width", "2.6");
  }
  track.setAttribute("class", "ring-track");
  bar.setAttribute("class", "ring-bar");
  bar.setAttribute("stroke-linecap", "round");
  bar.setAttribute("stroke-dasharray", String(length));
  bar.setAttribute("transform", "rotate(-90 12 12)");
  svg.append(track, bar);
  const left = h("span", { class: "ring-left" });
  const el = h("span", { class: "ring", "aria-hidden": "true" }, svg, left);
  return {
    el,
    set(n) {
      const remaining = max - n;
      bar.setAttribute("stroke-dashoffset", String(length * (1 - Math.min(1, n / max))));
      el.classList.toggle("near", remaining <= RING_FROM && remaining >= 0);
      el.classList.toggle("over", remaining < 0);
      el.classList.toggle("empty", n === 0);
      left.textContent = remaining <= RING_FROM ? String(remaining) : "";
    },
  };
}

/** The "Also publish on" toggles; `ready` once the connections and defaults are known. */
function crossPostPicker(ctx, describe) {
  const list = h("div", { class: "chips" });
  const previewButton = h("button", { type: "button", class: "link-button" }, "Preview on these platforms");
  const previewArea = h("div", { class: "cross-preview", role: "status" });
  const el = h("fieldset", { class: "cross-post-picker", hidden: true },
    h("legend", {}, "Also publish on"), list, previewButton, previewArea);
  const boxes = new Map();
  let active = true;
  const picker = {
    el, ready: false,
    chosen: () => [...boxes].filter(([, box]) => box.checked).map(([t]) => t),
    clearPreview: () => clear(previewArea),
    /** Shown only with something to pick, and only for your own posts (not your AI's). */
    setActive(value) {
      active = value;
      el.hidden = !active || !boxes.size;
    },
    reset() {
      for (const box of boxes.values()) box.checked = box.defaultChecked;
    },
  };

  function previewItem(target) {
    const name = platformName(target.target);
    if (target.refusal) {
      return h("li", { class: "refused", dataset: { target: target.target } },
        h("strong", {}, name), `: not published there. ${target.refusal}.`);
    }
    const parts = target.parts || [];
    if (parts.length > 1) {
      // Too long for one post there: a thread, each post as it is sent.
      return h("li", { dataset: { target: target.target } },
        h("strong", {}, name), ` · a thread of ${parts.length} posts, each at most `
          + `${target.limit} characters`,
        target.truncated ? " · shortened at the end, with a link back to your post" : null,
        ...parts.map((part) => h("p", { class: "preview-text" }, part)));
    }
    return h("li", { dataset: { target: target.target } },
      h("strong", {}, name), ` · ${target.length} / ${target.limit} characters`,
      target.truncated ? " · shortened, with a link back to your post (its address is "
        + "completed when it is published)" : null,
      h("p", { class: "preview-text" }, target.text));
  }

  previewButton.addEventListener("click", () => busy(previewButton, async () => {
    clear(previewArea);
    const chosen = picker.chosen();
    if (!chosen.length) throw new Error("Choose where to publish first.");
    const body = await describe();
    const answer = await ctx.api.post("/posts/preview", { ...body, cross_post: chosen });
    fill(previewArea, h("ul", { class: "preview-targets", "aria-label": "Preview per platform" },
      answer.targets.map(previewItem)));
  }, (error) => fill(previewArea, h("p", { class: "error-text" }, describeError(error)))));

  let asked = false;
  /** Asks for the connections and defaults the first time the composer opens. */
  picker.load = () => {
    if (asked) return;
    asked = true;
    Promise.all([ctx.api.get("/connections"), ctx.api.get("/settings/cross_post")])
      .then(([listed, defaults]) => {
        const wanted = new Set(defaults.cross_post_default || []);
        const mine = (listed.connections || []).filter((c) => publishTargets().includes(c.platform))
          .sort((a, b) => byTarget(a.platform, b.platform));
        for (const connection of mine) {
          const box = h("input", { type: "checkbox", name: "cross_post", class: "chip-input",
            value: connection.platform });
          box.defaultChecked = wanted.has(connection.platform);
          box.checked = box.defaultChecked;
          box.addEventListener("change", picker.clearPreview);
          boxes.set(connection.platform, box);
          const handle = connection.account && connection.account.handle;
          const broken = connection.status !== "ok";
          list.append(h("label", { class: `chip${broken ? " broken" : ""}`,
            title: handle ? atHandle(handle) : null }, box,
          h("span", { class: `platform-dot p-${connection.platform}`, "aria-hidden": "true" }),
          platformName(connection.platform),
          broken ? h("span", { class: "hint" }, " (not working: connect it again in Settings)") : null));
        }
        picker.ready = true;
        picker.setActive(active);
      }, (error) => {
        // Without the picker, a post goes where the defaults say (the server applies them).
        console.warn("cross-post targets unavailable", error);
      });
  };
  return picker;
}

/** An image waiting in the composer: its preview, its alt text, its upload. */
function attachment(ctx, file, index, onRemove, onChange) {
  const url = URL.createObjectURL(file);
  const alt = h("textarea", { rows: 2, maxlength: 1500, class: "alt-input", dir: "auto",
    placeholder: "Describe it for people who cannot see it" });
  const label = h("label", { class: "alt-label" }, h("span", {}, `Alt text for image ${index + 1}`), alt);
  const state = h("span", { class: "upload-state", role: "status" }, "Uploading…");
  const remove = h("button", { type: "button", class: "remove-image",
    "aria-label": `Remove image ${index + 1}` }, icon("close", { size: 16 }));
  const el = h("li", { class: "attachment uploading" },
    h("div", { class: "attachment-thumb" }, h("img", { src: url, alt: "" }), remove, state), label);
  const item = { el, file, url, mxc: null, key: newKey(), alt, failed: null, upload: null };
  remove.addEventListener("click", () => onRemove(item));
  item.start = () => {
    el.classList.add("uploading");
    el.classList.remove("failed");
    state.textContent = "Uploading…";
    item.failed = null;
    item.upload = ctx.api.upload(file, "image", { key: item.key }).then((media) => {
      item.mxc = media.content_uri;
      el.classList.remove("uploading");
      state.textContent = "";
      onChange();
      return media;
    }, (error) => {
      item.failed = error;
      el.classList.remove("uploading");
      el.classList.add("failed");
      const retry = h("button", { type: "button", class: "small" }, "Retry");
      retry.addEventListener("click", () => { item.start(); onChange(); });
      fill(state, "Upload failed ", retry);
      onChange();
      throw error;
    });
    item.upload.catch(() => {});
  };
  item.relabel = (i) => {
    label.firstChild.textContent = `Alt text for image ${i + 1}`;
    remove.setAttribute("aria-label", `Remove image ${i + 1}`);
  };
  item.start();
  return item;
}

/**
 * A composer. Options: onPosted(post); inline (the compact one at the top of Home); sheet
 * (inside the dialog: open from the start, with a Cancel button via onCancel).
 */
export function composer(ctx, { onPosted, inline = false, onCancel = null } = {}) {
  const max = ctx.config.max_post_chars;
  const textId = uid("compose-text");
  const text = h("textarea", { id: textId, rows: inline ? 1 : 4, name: "text", dir: "auto",
    placeholder: "What's new?" });
  const counter = counterFor(text, max);
  counter.classList.add("visually-hidden");
  const meter = ring(max);
  const cwInput = h("input", { name: "cw", maxlength: 100, dir: "auto",
    placeholder: "What is it about? (shown instead of the post)" });
  const cwField = h("label", { class: "cw-field", hidden: true },
    h("span", { class: "cw-label" }, icon("cw", { size: 16 }), "Content warning"), cwInput);
  const attachments = h("ul", { class: "attachments", "aria-label": "Images" });
  const appName = h("input", { name: "app-name", maxlength: 100 });
  const appDescription = h("input", { name: "app-description", maxlength: 500 });
  const appUrl = h("input", { name: "app-url", type: "url", placeholder: "https://…" });
  const appArea = h("fieldset", { class: "app-fields", hidden: true },
    h("legend", {}, "Share an app"),
    h("label", {}, h("span", {}, "App name"), appName),
    h("label", {}, h("span", {}, "What it does"), appDescription),
    h("label", {}, h("span", {}, "App URL"), appUrl),
    h("p", { class: "hint" }, "People open it with “Try it”."));
  const fileInput = h("input", { type: "file", accept: IMAGE_TYPES.join(","), multiple: true,
    class: "visually-hidden", tabindex: "-1", "aria-hidden": "true" });

  // Tools.
  const tool = (name, label, extra = {}) => h("button", { type: "button", class: "tool",
    "aria-label": label, title: label, ...extra }, icon(name, { size: 20 }));
  const imageButton = tool("image", "Add images");
  const cwButton = tool("cw", "Add a content warning", { "aria-pressed": "false" });
  const emojiButton = tool("emoji", "Add emoji", { "aria-expanded": "false", "aria-haspopup": "dialog" });
  const appButton = tool("app", "Share an app", { "aria-pressed": "false" });
  const emojiSlot = h("div", { class: "emoji-slot" });

  const asName = uid("post-as");
  const asMe = h("input", { type: "radio", name: asName, value: "me", checked: true, class: "chip-input" });
  const asAi = h("input", { type: "radio", name: asName, value: "ai", class: "chip-input" });
  const asGroup = h("fieldset", { class: "post-as" }, h("legend", { class: "visually-hidden" }, "Post as"),
    h("div", { class: "chips" },
      h("label", { class: "chip" }, asMe, icon("profile", { size: 16 }), "You"),
      h("label", { class: "chip" }, asAi, icon("sparkle", { size: 16 }), "Your AI")));
  const postAs = () => (asAi.checked ? "ai" : "me");

  let items = [];
  let key = newKey();
  const describe = async () => {
    const body = {};
    const uploads = items.map((item) => item.upload);
    if (items.some((item) => item.failed)) throw new Error("An image did not upload: retry it or remove it.");
    await Promise.all(uploads);
    if (!appArea.hidden) {
      body.kind = "app";
      body.text = text.value;
      body.app = { name: appName.value, description: appDescription.value, url: appUrl.value };
    } else if (items.length) {
      body.kind = "image";
      body.text = text.value;
      body.images = items.map((item) => ({ mxc: item.mxc, alt: item.alt.value.trim() }));
    } else {
      if (!countChars(text.value)) throw new Error("Write something first.");
      body.kind = "text";
      body.text = text.value;
    }
    if (!cwField.hidden && cwInput.value.trim()) body.cw = cwInput.value.trim();
    return body;
  };
  const picker = crossPostPicker(ctx, describe);
  const submit = h("button", { type: "submit", class: "primary post-submit" }, "Post");
  const status = h("div", { class: "compose-status", role: "status" });
  const dropHint = h("div", { class: "drop-hint", "aria-hidden": "true" }, icon("image", { size: 28 }),
    "Drop images to add them");

  const me = h("div", { class: "compose-avatar" },
    avatar(ctx, { user_id: ctx.session.userId, handle: ctx.session.userId.slice(1).split(":")[0] }, 44));
  (ctx.firstPaint || Promise.resolve()).then(() => ctx.myProfile())
    .then((profile) => fill(me, avatar(ctx, profile, 44))).catch(() => {});
  const send = h("div", { class: "compose-send" }, meter.el, counter, submit);
  const tools = h("div", { class: "tools" }, imageButton, cwButton, emojiButton, appButton, fileInput);
  // In a dialog (a sheet on a phone): Cancel and Post at the top, the tools at the bottom.
  const sheet = Boolean(onCancel);
  const form = h("form", { class: `composer${inline ? " inline" : " open"}${sheet ? " sheet" : ""}`,
    "aria-label": "New post" },
  sheet ? h("div", { class: "sheet-head" },
    h("button", { type: "button", class: "link-button cancel", onclick: onCancel }, "Cancel"), send) : null,
  me,
  h("div", { class: "compose-main" },
    h("label", { for: textId, class: "visually-hidden" }, "What's new?"),
    cwField, text, attachments, appArea, emojiSlot,
    h("div", { class: "compose-extra" }, asGroup, picker.el),
    h("div", { class: "compose-bar" }, tools, sheet ? null : send),
    status),
  dropHint);

  function opened() {
    form.classList.add("open");
    picker.load();
  }
  function maybeClose() {
    if (!inline) return;
    setTimeout(() => {
      const busyDraft = countChars(text.value) || items.length || !cwField.hidden || !appArea.hidden;
      if (!form.contains(document.activeElement) && !busyDraft) form.classList.remove("open");
    }, 150);
  }
  text.addEventListener("focus", opened);
  form.addEventListener("focusout", maybeClose);
  const refreshMeter = () => {
    meter.set(countChars(text.value));
    text.style.height = "auto";
    text.style.height = `${Math.min(text.scrollHeight, 420)}px`;
  };
  text.addEventListener("input", () => { refreshMeter(); picker.clearPreview(); });
  queueMicrotask(refreshMeter);

  function relabel() {
    items.forEach((item, i) => item.relabel(i));
    imageButton.disabled = items.length >= MAX_IMAGES || !appArea.hidden;
  }
  function addFiles(files) {
    const images = [...files].filter((f) => IMAGE_TYPES.includes(f.type));
    if (!images.length) return;
    opened();
    clear(status);
    const room = MAX_IMAGES - items.length;
    if (images.length > room) {
      status.append(h("p", { class: "error-text" }, `A post has at most ${MAX_IMAGES} images.`));
    }
    for (const file of images.slice(0, Math.max(0, room))) {
      const item = attachment(ctx, file, items.length, removeItem, () => picker.clearPreview());
      items.push(item);
      attachments.append(item.el);
    }
    relabel();
    picker.clearPreview();
    ctx.announce(`${items.length} ${items.length === 1 ? "image" : "images"} added`);
  }
  function removeItem(item) {
    items = items.filter((other) => other !== item);
    URL.revokeObjectURL(item.url);
    item.el.remove();
    relabel();
    picker.clearPreview();
    imageButton.focus();
  }
  imageButton.addEventListener("click", () => fileInput.click());
  fileInput.addEventListener("change", () => {
    addFiles(fileInput.files);
    fileInput.value = "";
  });
  text.addEventListener("paste", (event) => {
    const files = event.clipboardData ? [...event.clipboardData.files] : [];
    if (files.some((f) => IMAGE_TYPES.includes(f.type))) {
      event.preventDefault();
      addFiles(files);
    }
  });
  acceptDroppedFiles(form, addFiles);

  cwButton.addEventListener("click", () => {
    cwField.hidden = !cwField.hidden;
    cwButton.setAttribute("aria-pressed", String(!cwField.hidden));
    opened();
    if (!cwField.hidden) cwInput.focus();
    else { cwInput.value = ""; cwButton.focus(); }
  });
  appButton.addEventListener("click", () => {
    appArea.hidden = !appArea.hidden;
    appButton.setAttribute("aria-pressed", String(!appArea.hidden));
    opened();
    relabel();
    picker.clearPreview();
    if (!appArea.hidden) appName.focus();
    else appButton.focus();
  });
  let picking = null;
  function closeEmoji(focus = true) {
    if (!picking) return;
    picking.remove();
    picking = null;
    emojiButton.setAttribute("aria-expanded", "false");
    if (focus) emojiButton.focus();
  }
  emojiButton.addEventListener("click", async () => {
    if (picking) { closeEmoji(); return; }
    const { emojiPicker } = await import("./emoji.js");
    picking = emojiPicker((emoji) => {
      const start = text.selectionStart ?? text.value.length;
      const end = text.selectionEnd ?? text.value.length;
      text.setRangeText(emoji, start, end, "end");
      text.dispatchEvent(new Event("input"));
      closeEmoji(false);
      text.focus();
    }, () => closeEmoji());
    emojiSlot.append(picking);
    emojiButton.setAttribute("aria-expanded", "true");
    picking.querySelector("button")?.focus();
  });
  for (const radio of [asMe, asAi]) {
    radio.addEventListener("change", () => {
      picker.setActive(postAs() === "me");  // your AI's posts are never cross-posted
      picker.clearPreview();
    });
  }
  for (const input of [appName, appDescription, appUrl, cwInput]) {
    input.addEventListener("input", picker.clearPreview);
  }

  function sending(on) {
    for (const field of [text, cwInput, appName, appDescription, appUrl]) field.readOnly = on;
    form.setAttribute("aria-busy", String(on));
  }

  function reset() {
    text.value = "";
    cwInput.value = "";
    cwField.hidden = true;
    cwButton.setAttribute("aria-pressed", "false");
    appArea.hidden = true;
    appButton.setAttribute("aria-pressed", "false");
    appName.value = appDescription.value = appUrl.value = "";
    for (const item of items) URL.revokeObjectURL(item.url);
    items = [];
    clear(attachments);
    asMe.checked = true;
    picker.reset();
    picker.setActive(true);
    picker.clearPreview();
    relabel();
    counter.refresh();
    refreshMeter();
    key = newKey();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clear(status);
    const n = countChars(text.value);
    if (n > max) {
      status.append(h("p", { class: "error-text", role: "alert" },
        `Posts are at most ${max} characters; this one has ${n}.`));
      return;
    }
    busy(submit, async () => {
      // Read-only while it is sent: what she typed meanwhile would be wiped by the reset
      // below (a second Post is ignored while the first is on its way).
      sending(true);
      let post;
      try {
        const body = { ...await describe(), as: postAs() };
        if (picker.ready && body.as === "me") body.cross_post = picker.chosen();
        post = await ctx.api.post("/posts", body, { key });
        reset();
      } finally {
        sending(false);
      }
      const elsewhere = (post.cross_posts || []).map((d) => platformName(d.target));
      ctx.announce(elsewhere.length ? `Posted; publishing on ${elsewhere.join(", ")}` : "Posted");
      if (onPosted) onPosted(post);
      submit.focus();
    }, (error) => {
      // The same key stays: pressing Post again is the same post, never a second one.
      fill(status, h("p", { class: "error-text", role: "alert" }, describeError(error)));
    });
  });
  if (!inline) picker.load();
  return { el: form, focus: () => { opened(); text.focus(); }, reset };
}

/** The composer in a dialog: a full-screen sheet on a phone, a centred panel elsewhere. */
export function openComposer(ctx, { onPosted } = {}) {
  const opener = document.activeElement;
  const dialog = h("dialog", { class: "compose-dialog", "aria-label": "New post" });
  const close = () => dialog.close();
  const box = composer(ctx, {
    onCancel: close,
    onPosted: (post) => {
      close();
      document.dispatchEvent(new CustomEvent("social:posted", { detail: post }));
      if (onPosted) onPosted(post);
      import("./dom.js").then(({ toast }) => toast("Posted"));
    },
  });
  dialog.append(box.el);
  dialog.addEventListener("close", () => {
    dialog.remove();
    if (opener && opener.isConnected) opener.focus();
  });
  dialog.addEventListener("click", (event) => { if (event.target === dialog) close(); });
  import("./menu.js").then(({ trapFocus }) => trapFocus(dialog));
  document.body.append(dialog);
  dialog.showModal();
  box.focus();
  return dialog;
}
