// Settings: one module per part of the page, each loaded when Settings opens (not with the
// Feed). A new part (connected accounts, cross-post defaults) is a module in settings/ that
// exports `render(ctx, shared)` returning its <section> (or several), and one line in PARTS.
import { errorBox, h, skeletonRows } from "./dom.js";
import { sharedState } from "./settings/shared.js";

const PARTS = [
  ["Appearance", () => import("./settings/appearance.js")],
  ["Activity sharing", () => import("./settings/sharing.js")],
  ["Auto-post drafts", () => import("./settings/drafts.js")],
  ["Connected accounts", () => import("./settings/connections.js")],
  ["Cross-post defaults", () => import("./settings/crosspost.js")],
  ["Your apps", () => import("./settings/apps.js")],
  ["Blocked and muted", () => import("./settings/safety.js")],
  ["Your AI and account", () => import("./settings/account.js")],
];

async function renderPart(ctx, shared, [title, load]) {
  try {
    const part = await load();
    return await part.render(ctx, shared);
  } catch (error) {
    console.warn("settings part failed", title, error);
    return h("section", { class: "card", "aria-label": title },
      h("h2", {}, title), errorBox(error));
  }
}

export async function render(ctx, container) {
  const shared = sharedState(ctx);
  const status = skeletonRows(4, "Loading settings");
  container.append(h("div", { class: "column-head" }, h("h1", { tabindex: "-1" }, "Settings")), status);
  const sections = await Promise.all(PARTS.map((part) => renderPart(ctx, shared, part)));
  status.remove();
  container.append(...sections.flat());
  container.dataset.ready = "true";
  // Back from a platform's login page (its callback page links to #connections): go there.
  const target = location.hash.length > 1 && document.getElementById(location.hash.slice(1));
  if (target) {
    const heading = target.querySelector("[tabindex='-1']") || target;
    heading.scrollIntoView();
    heading.focus({ preventScroll: true });
  }
  return () => shared.stop();
}
