// The composer: text (with the server's character count), image with caption, app share,
// posting as yourself or as your AI.
import { busy, clear, errorBox, field, fill, h } from "./dom.js";
import { countChars, counterFor } from "./text.js";

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
  const submit = h("button", { type: "submit", class: "primary" }, "Post");
  const status = h("div", { class: "form-status", role: "status" });
  const textLabel = h("label", { for: "compose-text" }, "What's new?");
  text.id = "compose-text";
  const form = h("form", { class: "card composer", "aria-label": "New post" },
    textLabel, text, counter,
    h("div", { class: "compose-row" }, field("Kind", kind), field("Post as", as)),
    imageArea, appArea,
    h("div", { class: "compose-row" }, submit), status);

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
      const body = { kind: kind.value, as: as.value };
      if (kind.value === "text") {
        if (!n) throw new Error("Write something first.");
        body.text = text.value;
      } else if (kind.value === "image") {
        const file = image.files[0];
        if (!file) throw new Error("Choose an image first.");
        status.textContent = "Uploading the image…";
        const media = await ctx.api.upload(file);
        body.image = media.content_uri;
        body.text = text.value;
      } else {
        body.text = text.value;
        body.app = { name: appName.value, description: appDescription.value, url: appUrl.value };
      }
      const post = await ctx.api.post("/posts", body);
      form.reset();
      kind.dispatchEvent(new Event("change"));
      image.dispatchEvent(new Event("change"));
      counter.refresh();
      clear(status);
      ctx.announce("Posted");
      onPosted(post);
    }, (error) => { fill(status, errorBox(error)); });
  });
  return form;
}
