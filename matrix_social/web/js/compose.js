// The composer: text (with the server's character count), image with caption, app share,
// posting as yourself or as your AI, and where else your post is published (your connected X,
// Mastodon and Instagram, ticked from your cross-post defaults), with a preview per platform
// of the exact text it will get, its counted length, or why it will not take the post.
import { busy, clear, errorBox, field, fill, h, uid } from "./dom.js";
import { byTarget, platformName, publishTargets } from "./platforms.js";
import { countChars, counterFor } from "./text.js";

/** The "Also publish on" picker; `ready` once the connections and defaults are known. */
function crossPostPicker(ctx, describe) {
  const list = h("div", { class: "cross-targets" });
  const previewButton = h("button", { type: "button" }, "Preview on these platforms");
  const previewArea = h("div", { class: "cross-preview", role: "status" });
  const el = h("fieldset", { class: "cross-post-picker", hidden: true },
    h("legend", {}, "Also publish on"), list,
    h("div", { class: "button-row" }, previewButton), previewArea);
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
  };

  function previewItem(target) {
    const name = platformName(target.target);
    if (target.refusal) {
      return h("li", { class: "refused", dataset: { target: target.target } },
        h("strong", {}, name), `: not published there. ${target.refusal}.`);
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
    if (!chosen.length) throw new Error("Tick where to publish first.");
    const body = await describe(previewArea);
    const answer = await ctx.api.post("/posts/preview", { ...body, cross_post: chosen });
    fill(previewArea, h("ul", { class: "preview-targets", "aria-label": "Preview per platform" },
      answer.targets.map(previewItem)));
  }, (error) => fill(previewArea, errorBox(error))));

  Promise.all([ctx.api.get("/connections"), ctx.api.get("/settings/cross_post")])
    .then(([listed, defaults]) => {
      const wanted = new Set(defaults.cross_post_default || []);
      const targets = publishTargets();
      const mine = (listed.connections || []).filter((c) => targets.includes(c.platform))
        .sort((a, b) => byTarget(a.platform, b.platform));
      for (const connection of mine) {
        const id = uid(`cross-${connection.platform}`);
        const box = h("input", { type: "checkbox", id, name: "cross_post",
          value: connection.platform });
        box.defaultChecked = wanted.has(connection.platform);
        box.checked = box.defaultChecked;
        box.addEventListener("change", picker.clearPreview);
        boxes.set(connection.platform, box);
        const handle = connection.account && connection.account.handle;
        list.append(h("div", { class: "cross-target" }, box,
          h("label", { for: id }, platformName(connection.platform),
            h("span", { class: "hint" }, handle ? ` @${handle}` : "",
              connection.status === "ok" ? "" : " (not working: connect it again in Settings)"))));
      }
      picker.ready = true;
      picker.setActive(active);
    }, (error) => {
      // Without the picker, a post goes where the defaults say (the server applies them).
      console.warn("cross-post targets unavailable", error);
    });
  return picker;
}

export function composer(ctx, onPosted) {
  const max = ctx.config.max_post_chars;
  const text = h("textarea", { rows: 3, name: "text", placeholder: "Share something…" });
  const counter = counterFor(text, max);
  const kind = h("select", { name: "kind" },
    h("option", { value: "text" }, "Text"),
    h("option", { value: "image" }, "Image with caption"),
    h("option", { value: "app" }, "App share"));
  const as = h("select", { name: "as" },
    h("option", { value: "me" }, "Me"), h("option", { value: "ai" }, "My AI"));
  const image = h("input", { type: "file", name: "image", accept: "image/png,image/jpeg,image/gif,image/webp" });
  const preview = h("img", { class: "compose-preview", alt: "", hidden: true });
  const imageArea = h("div", { class: "compose-extra", hidden: true },
    field("Image", image, "PNG, JPEG, GIF or WebP. The text above is its caption."), preview);
  const appName = h("input", { name: "app-name", maxlength: 100 });
  const appDescription = h("input", { name: "app-description", maxlength: 500 });
  const appUrl = h("input", { name: "app-url", type: "url", placeholder: "https://…" });
  const appArea = h("div", { class: "compose-extra", hidden: true },
    field("App name", appName), field("What it does", appDescription),
    field("App URL", appUrl, "People open it with “Try it”."));
  let uploaded = null;  // {file, uri}: an image uploaded for a preview is not sent twice
  async function imageUri(file, status) {
    if (uploaded && uploaded.file === file) return uploaded.uri;
    status.textContent = "Uploading the image…";
    const media = await ctx.api.upload(file);
    uploaded = { file, uri: media.content_uri };
    return uploaded.uri;
  }
  /** The post as POST /posts (and /posts/preview) take it. */
  async function describe(status) {
    const body = { kind: kind.value };
    if (kind.value === "text") {
      if (!countChars(text.value)) throw new Error("Write something first.");
      body.text = text.value;
    } else if (kind.value === "image") {
      const file = image.files[0];
      if (!file) throw new Error("Choose an image first.");
      body.image = await imageUri(file, status);
      body.text = text.value;
    } else {
      body.text = text.value;
      body.app = { name: appName.value, description: appDescription.value, url: appUrl.value };
    }
    return body;
  }
  const picker = crossPostPicker(ctx, describe);
  const submit = h("button", { type: "submit", class: "primary" }, "Post");
  const status = h("div", { class: "form-status", role: "status" });
  const textLabel = h("label", { for: "compose-text" }, "What's new?");
  text.id = "compose-text";
  const form = h("form", { class: "card composer", "aria-label": "New post" },
    textLabel, text, counter,
    h("div", { class: "compose-row" }, field("Kind", kind), field("Post as", as)),
    imageArea, appArea, picker.el,
    h("div", { class: "compose-row" }, submit), status);

  for (const input of [text, appName, appDescription, appUrl]) {
    input.addEventListener("input", picker.clearPreview);
  }
  as.addEventListener("change", () => {
    picker.setActive(as.value === "me");  // your AI's posts are never cross-posted
    picker.clearPreview();
  });
  kind.addEventListener("change", picker.clearPreview);
  image.addEventListener("change", picker.clearPreview);
  kind.addEventListener("change", () => {
    imageArea.hidden = kind.value !== "image";
    appArea.hidden = kind.value !== "app";
    textLabel.textContent = kind.value === "image" ? "Caption"
      : kind.value === "app" ? "Say something about it (optional)" : "What's new?";
  });
  image.addEventListener("change", () => {
    const file = image.files[0];
    if (preview.src) URL.revokeObjectURL(preview.src);
    preview.hidden = !file;
    if (file) preview.src = URL.createObjectURL(file);
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clear(status);
    const n = countChars(text.value);
    if (n > max) {
      status.append(errorBox(new Error(`Posts are at most ${max} characters; this one has ${n}.`)));
      return;
    }
    busy(submit, async () => {
      const body = { ...await describe(status), as: as.value };
      if (picker.ready && as.value === "me") body.cross_post = picker.chosen();
      const post = await ctx.api.post("/posts", body);
      form.reset();
      uploaded = null;
      picker.clearPreview();
      kind.dispatchEvent(new Event("change"));
      as.dispatchEvent(new Event("change"));
      image.dispatchEvent(new Event("change"));
      counter.refresh();
      clear(status);
      const elsewhere = (post.cross_posts || []).map((d) => platformName(d.target));
      ctx.announce(elsewhere.length ? `Posted; publishing on ${elsewhere.join(", ")}` : "Posted");
      onPosted(post);
    }, (error) => { fill(status, errorBox(error)); });
  });
  return form;
}
