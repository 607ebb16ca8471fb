// Building the page safely: text is always set as text, never parsed as HTML.

/**
 * h("button", {class: "x", onclick: fn, "aria-label": "Like"}, "text", child, ...)
 * Attributes starting with "on" become listeners; false/null attributes are left out.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (name === "class") {
      el.className = value;
    } else if (name === "dataset") {
      Object.assign(el.dataset, value);
    } else if (name === "value" || name === "checked" || name === "disabled" || name === "hidden") {
      el[name] = value;
    } else {
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

let announceTimer = null;
/** Say something to screen readers (polite live region). */
export function announce(text) {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  clearTimeout(announceTimer);
  announceTimer = setTimeout(() => { region.textContent = text; }, 50);
}

/** An error shown in words where it happened (role=alert is read out at once). */
export function errorBox(error, retry) {
  const box = h("div", { class: "error", role: "alert" },
    h("p", {}, describeError(error)));
  if (retry) box.append(h("button", { type: "button", onclick: retry }, "Try again"));
  return box;
}

export function describeError(error) {
  if (!error) return "Something went wrong.";
  if (error.errcode === "M_TIMEOUT" || error.errcode === "M_NETWORK") return error.message;
  if (error.name === "ApiError" || error.errcode) {
    return `${error.message}${error.errcode ? ` (${error.errcode})` : ""}`;
  }
  if (error instanceof TypeError) {
    return `Could not reach the server: ${error.message}. Check your connection and try again.`;
  }
  return error.message || String(error);
}

/** "3 min ago" style, with the full date in the title. */
export function timeEl(ms) {
  const date = new Date(ms);
  return h("time", { datetime: date.toISOString(), title: date.toLocaleString() },
    relativeTime(ms));
}

export function relativeTime(ms, now = Date.now()) {
  const seconds = Math.round((now - ms) / 1000);
  if (seconds < 45) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  if (days < 7) return `${days} d ago`;
  return new Date(ms).toLocaleDateString();
}

/** The compact time of a post ("now", "5m", "3h", "4d", "12 Mar", "12 Mar 2024"). */
export function shortTime(ms, now = Date.now()) {
  const seconds = Math.round((now - ms) / 1000);
  if (seconds < 45) return "now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours}h`;
  const days = Math.round(hours / 24);
  if (days < 7) return `${days}d`;
  const date = new Date(ms);
  const sameYear = date.getFullYear() === new Date(now).getFullYear();
  return date.toLocaleDateString(undefined,
    sameYear ? { day: "numeric", month: "short" } : { day: "numeric", month: "short", year: "numeric" });
}

/** A post's time as a link to the post's own page, the full date for hover and readers. */
export function timeLink(ms, href) {
  const date = new Date(ms);
  const full = date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  return h("a", { href, "data-link": true, class: "post-time", title: full },
    h("time", { datetime: date.toISOString() }, shortTime(ms)),
    h("span", { class: "visually-hidden" }, ` (${full})`));
}

/** "1 like", "3 likes". */
export function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

/** 1234 -> "1.2K" (as social apps count). */
export function compactCount(n) {
  if (!n) return "";
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0).replace(/\.0$/, "")}K`;
  return `${(n / 1_000_000).toFixed(1).replace(/\.0$/, "")}M`;
}

/** Grey placeholder posts while the first page loads (hidden from screen readers, which
 * hear the status instead). */
export function skeletonPosts(count = 4, label = "Loading posts") {
  const widths = [["92%", "76%", "40%"], ["85%", "55%"], ["96%", "88%", "70%", "30%"], ["64%"]];
  return h("div", { class: "skeletons", role: "status", "aria-live": "polite" },
    h("span", { class: "visually-hidden" }, `${label}…`),
    Array.from({ length: count }, (_, i) => h("div", { class: "skeleton-post", "aria-hidden": "true" },
      h("span", { class: "sk sk-avatar" }),
      h("div", { class: "sk-lines" },
        h("span", { class: "sk sk-name" }),
        widths[i % widths.length].map((w) => {
          const line = h("span", { class: "sk sk-line" });
          line.style.width = w;
          return line;
        }),
        i % 3 === 0 ? h("span", { class: "sk sk-media" }) : null))));
}

/** Placeholder rows for people and small lists. */
export function skeletonRows(count = 3, label = "Loading") {
  return h("div", { class: "skeletons", role: "status" },
    h("span", { class: "visually-hidden" }, `${label}…`),
    Array.from({ length: count }, () => h("div", { class: "skeleton-row", "aria-hidden": "true" },
      h("span", { class: "sk sk-avatar small" }),
      h("div", { class: "sk-lines" }, h("span", { class: "sk sk-name" }),
        h("span", { class: "sk sk-line short" })))));
}

let toastTimer = null;
/** A short confirmation at the bottom of the screen ("Link copied"), also read out. */
export function toast(text) {
  let el = document.getElementById("toast");
  if (!el) {
    el = h("div", { id: "toast", class: "toast", role: "status", "aria-live": "polite" });
    document.body.append(el);
  }
  el.textContent = text;
  el.classList.add("shown");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove("shown"), 3200);
}

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;

/** Text with http(s) links made clickable (as elements, never as HTML). */
export function linkified(text) {
  const parts = [];
  let last = 0;
  for (const match of String(text || "").matchAll(URL_PATTERN)) {
    parts.push(text.slice(last, match.index));
    parts.push(externalLink(match[0], match[0]));
    last = match.index + match[0].length;
  }
  parts.push(String(text || "").slice(last));
  return parts;
}

/** A link to somewhere else, only for http(s) URLs; anything else is plain text. */
export function externalLink(url, label, attrs = {}) {
  if (!isHttpUrl(url)) return h("span", {}, label);
  return h("a", { href: url, target: "_blank", rel: "noopener noreferrer nofollow", ...attrs },
    label);
}

export function isHttpUrl(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:";
  } catch {
    return false;
  }
}

let idCounter = 0;
export function uid(prefix = "id") {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/** A labelled form field. */
export function field(label, control, hint) {
  control.id = control.id || uid("field");
  const hintEl = hint ? h("p", { class: "hint", id: `${control.id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute("aria-describedby", hintEl.id);
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control, hintEl);
}

/** Run `action` with the button busy (not clickable again, but still focusable, so
 * keyboard focus stays on it); errors go to `onError`. Every request has a time limit
 * (api.js), so the button is never left busy. */
export async function busy(button, action, onError) {
  if (button.getAttribute("aria-busy") === "true") return undefined;
  button.setAttribute("aria-busy", "true");
  button.setAttribute("aria-disabled", "true");
  const keepFocus = document.activeElement === button;
  try {
    return await action();
  } catch (error) {
    if (onError) onError(error);
    else throw error;
  } finally {
    button.removeAttribute("aria-busy");
    button.removeAttribute("aria-disabled");
    if (keepFocus && button.isConnected && document.activeElement === document.body) button.focus();
  }
  return undefined;
}

/** Replace an element's children (arrays are flattened; null and false are left out). */
export function fill(el, ...children) {
  return append(clear(el), children);
}

/**
 * Make `nodes` the children of `el`, in order, touching only what differs: a child already in
 * its place stays attached (its focus, a click being made on it, its scroll are kept).
 */
export function keep(el, nodes) {
  nodes.forEach((node, i) => {
    if (el.children[i] !== node) el.insertBefore(node, el.children[i] || null);
  });
  while (el.children.length > nodes.length) el.lastElementChild.remove();
  return el;
}

/** Files dragged over `target` mark it `dragging`; dropped ones go to onFiles(FileList). */
export function acceptDroppedFiles(target, onFiles) {
  target.addEventListener("dragover", (event) => {
    if (![...(event.dataTransfer?.types || [])].includes("Files")) return;
    event.preventDefault();
    target.classList.add("dragging");
  });
  target.addEventListener("dragleave", (event) => {
    if (!target.contains(event.relatedTarget)) target.classList.remove("dragging");
  });
  target.addEventListener("drop", (event) => {
    target.classList.remove("dragging");
    const files = event.dataTransfer?.files;
    if (!files || !files.length) return;
    event.preventDefault();
    onFiles(files);
  });
}
