// The server's text rule: at most N Unicode code points after trimming white space, where
// white space is what Python's str.strip() removes (not quite JavaScript's trim()).
import { h, uid } from "./dom.js";

const PY_SPACE = "\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const EDGES = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, "g");

export function serverTrim(text) {
  return String(text || "").replace(EDGES, "");
}

/** Code points, as Python's len() counts them. */
export function countChars(text) {
  let n = 0;
  for (const _ of serverTrim(text)) n += 1;
  return n;
}

/** A "12 / 500" counter that follows `input` and marks the field invalid past the limit. */
export function counterFor(input, max) {
  const counter = h("p", { class: "counter", id: uid("counter") });
  const existing = input.getAttribute("aria-describedby");
  input.setAttribute("aria-describedby", existing ? `${existing} ${counter.id}` : counter.id);
  const refresh = () => {
    const n = countChars(input.value);
    counter.textContent = `${n} / ${max} characters`;
    const over = n > max;
    counter.classList.toggle("over", over);
    input.setAttribute("aria-invalid", over ? "true" : "false");
    input.setCustomValidity(over ? `At most ${max} characters (now ${n})` : "");
  };
  input.addEventListener("input", refresh);
  queueMicrotask(refresh);
  counter.refresh = refresh;
  return counter;
}

/** A handle as people write it: "@alice" for ours; a user of another server's handle is
 * already the full "@bob:server". */
export function atHandle(handle) {
  return String(handle || "").startsWith("@") ? handle : `@${handle}`;
}
