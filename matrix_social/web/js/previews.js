// Link preview cards: the first http(s) link of a post's text, previewed by the homeserver
// (GET /previews asks its URL preview API; the browser never contacts the linked site, and
// the image comes from the homeserver's media store). Nothing is shown until a preview with
// a title is there, so a post never jumps for a link without one.
import { externalLink, h } from "./dom.js";
import { loadInto } from "./media.js";

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/;
const asked = new Map();

export function firstLink(text) {
  const match = String(text || "").match(URL_PATTERN);
  return match ? match[0] : null;
}

function previewOf(ctx, url) {
  if (!asked.has(url)) {
    const promise = ctx.api.get("/previews", { url });
    promise.catch(() => asked.delete(url));
    asked.set(url, promise);
  }
  return asked.get(url);
}

/** A slot that becomes the link's card once its preview is known (or stays empty). */
export function linkPreview(ctx, text) {
  const url = firstLink(text);
  const slot = h("div", { class: "link-preview-slot" });
  if (!url) return slot;
  previewOf(ctx, url).then((preview) => {
    if (!preview.available) return;
    let host = "";
    try { host = new URL(url).host; } catch { /* shown without it */ }
    const image = preview.image
      ? loadInto(h("img", { alt: "", class: "link-preview-image", loading: "lazy" }), ctx.session,
        preview.image.mxc, 320, "scale")
      : null;
    const card = externalLink(url, [
      image,
      h("span", { class: "link-preview-text" },
        h("span", { class: "link-preview-site" }, preview.site_name || host),
        h("span", { class: "link-preview-title", dir: "auto" }, preview.title),
        preview.description
          ? h("span", { class: "link-preview-description", dir: "auto" }, preview.description) : null),
    ], { class: `link-preview${image ? " with-image" : ""}` });
    slot.append(card);
  }).catch(() => { /* no card: the link in the text is still there */ });
  return slot;
}
