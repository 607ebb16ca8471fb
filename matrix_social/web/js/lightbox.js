// The image viewer: one image at a time, full size, with its alt text; arrows go through the
// post's images, Escape closes; the page behind is inert while it is open (a modal <dialog>)
// and focus goes back to the image that opened it.
import { h } from "./dom.js";
import { icon } from "./icons.js";
import { loadInto } from "./media.js";
import { trapFocus } from "./menu.js";

/** Open `images` ([{mxc, alt}]) at `index`. */
export function openLightbox(ctx, images, index = 0) {
  const opener = document.activeElement;
  let at = index;
  const img = h("img", { class: "lightbox-image", alt: "" });
  const caption = h("p", { class: "lightbox-alt" });
  const counter = h("p", { class: "lightbox-count", "aria-live": "polite" });
  const prev = h("button", { type: "button", class: "lightbox-nav prev", "aria-label": "Previous image" },
    icon("prev", { size: 28 }));
  const next = h("button", { type: "button", class: "lightbox-nav next", "aria-label": "Next image" },
    icon("next", { size: 28 }));
  const close = h("button", { type: "button", class: "lightbox-close", "aria-label": "Close" },
    icon("close", { size: 26 }));
  const dialog = h("dialog", { class: "lightbox", "aria-label": "Image viewer" },
    h("div", { class: "lightbox-stage" }, img), caption, counter, prev, next, close);

  function show(i) {
    at = (i + images.length) % images.length;
    const image = images[at];
    img.removeAttribute("src");
    img.alt = image.alt || `Image ${at + 1} of ${images.length}`;
    loadInto(img, ctx.session, image.mxc);
    caption.textContent = image.alt || "";
    caption.hidden = !image.alt;
    counter.textContent = images.length > 1 ? `${at + 1} of ${images.length}` : "";
    prev.hidden = next.hidden = images.length < 2;
  }
  prev.addEventListener("click", () => show(at - 1));
  next.addEventListener("click", () => show(at + 1));
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog || event.target.classList.contains("lightbox-stage")) dialog.close();
  });
  dialog.addEventListener("keydown", (event) => {
    if (event.key === "ArrowLeft") { event.preventDefault(); show(at - 1); }
    else if (event.key === "ArrowRight") { event.preventDefault(); show(at + 1); }
  });
  dialog.addEventListener("close", () => {
    dialog.remove();
    if (opener && opener.isConnected) opener.focus();
  });
  trapFocus(dialog);
  document.body.append(dialog);
  show(at);
  dialog.showModal();
  close.focus();
  return dialog;
}
