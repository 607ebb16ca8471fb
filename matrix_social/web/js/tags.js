// Hashtags in text: the server's rule (content/tags.py, Mastodon's): `#` or `＃`, then letters,
// marks, digits, `_` and the separators · ・ ZWNJ, at least one letter, no separator at the
// ends; not after a word character, `/`, `)`, `=`, `&` or `#`, and never inside a URL (URLs are
// linked first, by linkified). Each tag links to its page, /social/tag/{tag}.
import { enc } from "./api.js";
import { h, linkified } from "./dom.js";

const WORD = "\\p{L}\\p{M}\\p{Nd}\\p{Pc}";
const SEPARATORS = "\u00b7\u30fb\u200c";
const TAG = new RegExp(`(?<![${WORD}/)=&#＃])[#＃]([${WORD}][${WORD}${SEPARATORS}]*)`, "gu");
const TRAILING = new RegExp(`[${SEPARATORS}]+$`, "u");
const LETTER = /\p{L}/u;

/** The form the server stores (it normalizes again: NFKC, case-folded). */
export function normalTag(name) {
  return name.normalize("NFKC").toLowerCase().normalize("NFKC");
}

export function tagPath(tag) {
  return `/social/tag/${enc(normalTag(tag))}`;
}

export function tagLink(tag, label = `#${tag}`) {
  return h("a", { href: tagPath(tag), "data-link": true, class: "hashtag" }, label);
}

function withTags(text) {
  const parts = [];
  let last = 0;
  for (const match of text.matchAll(TAG)) {
    const name = match[1].replace(TRAILING, "");
    if (!LETTER.test(name) || name.length > 100) continue;
    parts.push(text.slice(last, match.index));
    parts.push(tagLink(name, text.slice(match.index, match.index + 1 + name.length)));
    last = match.index + 1 + name.length;
  }
  parts.push(text.slice(last));
  return parts;
}

/** Text with its URLs and its tags as links (elements, never HTML). */
export function richText(text) {
  return linkified(text).flatMap((part) => (typeof part === "string" ? withTags(part) : [part]));
}
