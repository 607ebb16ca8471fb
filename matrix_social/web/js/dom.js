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

/** Run `action` with the button disabled and busy; errors go to `onError`. */
export async function busy(button, action, onError) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    return await action();
  } catch (error) {
    if (onError) onError(error);
    else throw error;
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
  return undefined;
}

/** Replace an element's children (arrays are flattened; null and false are left out). */
export function fill(el, ...children) {
  return append(clear(el), children);
}
