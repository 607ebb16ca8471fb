// A post's comments as a thread: each with its author, time, text (dir=auto) and its content
// warning collapsed; replies nested under what they answer; a reply box at the end.
import { enc, newKey } from "./api.js";
import {
  append, busy, clear, fill, h, linkified, skeletonRows, timeEl, uid,
} from "./dom.js";
import { icon } from "./icons.js";
import { avatar, postHref, profileHref } from "./post.js";
import { atHandle, countChars, counterFor } from "./text.js";

const PAGE = 50;
const MAX_PAGES = 20;

function commentText(c) {
  const text = h("div", { class: "text", dir: "auto" }, linkified(c.text));
  if (!c.cw) return text;
  const id = uid("comment-cw");
  text.id = id;
  text.hidden = true;
  const toggle = h("button", { type: "button", class: "cw-toggle small", "aria-expanded": "false",
    "aria-controls": id }, "Show");
  toggle.addEventListener("click", () => {
    text.hidden = !text.hidden;
    toggle.textContent = text.hidden ? "Show" : "Hide";
    toggle.setAttribute("aria-expanded", String(!text.hidden));
  });
  return [h("div", { class: "cw-gate small" },
    h("p", { class: "cw-reason", dir: "auto" }, icon("cw", { size: 16 }),
      h("span", { class: "visually-hidden" }, "Content warning: "), c.cw), toggle), text];
}

/**
 * The thread of `post`. `full`: every comment (the post's own page), else the first page with
 * a link to the rest. onCount(n) is told the number of comments after each change.
 */
export function threadView(ctx, post, { full = false, onCount, onComment } = {}) {
  const el = h("section", { class: `thread${full ? " full" : ""}`, "aria-label": "Comments" });
  const listArea = h("div", {}, skeletonRows(2, "Loading comments"));
  const more = h("div", {});
  let comments = [];
  let complete = false;
  // Reply boxes she opened, by comment: a redraw (a comment by someone else, a reload after
  // a count changed) keeps them and what she typed in them.
  const openReplies = new Map();

  function commentForm(replyTo, label) {
    const text = h("textarea", { rows: 1, name: "comment", dir: "auto", placeholder: label,
      "aria-label": label });
    const cw = h("input", { name: "cw", maxlength: 100, placeholder: "Content warning",
      "aria-label": "Content warning for this comment", hidden: true });
    const cwToggle = h("button", { type: "button", class: "icon-button small", "aria-pressed": "false",
      "aria-label": "Add a content warning" }, icon("cw", { size: 18 }));
    cwToggle.addEventListener("click", () => {
      cw.hidden = !cw.hidden;
      cwToggle.setAttribute("aria-pressed", String(!cw.hidden));
      if (!cw.hidden) cw.focus();
      else cw.value = "";
    });
    const send = h("button", { type: "submit", class: "primary small" }, replyTo ? "Reply" : "Comment");
    const counter = counterFor(text, ctx.config.max_post_chars);
    counter.classList.add("compact");
    const me = h("span", {},
      avatar(ctx, { user_id: ctx.session.userId, handle: ctx.session.userId.slice(1).split(":")[0] }, 32));
    ctx.firstPaint.then(() => ctx.myProfile())
      .then((profile) => fill(me, avatar(ctx, profile, 32))).catch(() => {});
    const form = h("form", { class: "comment-form" }, me,
      h("div", { class: "comment-fields" }, cw, text,
        h("div", { class: "inline-row" }, cwToggle, counter, send)));
    let key = newKey();
    text.addEventListener("focus", () => form.classList.add("open"));
    text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.metaKey || event.ctrlKey)) form.requestSubmit();
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!countChars(text.value)) { text.focus(); return; }
      busy(send, async () => {
        const body = { text: text.value, ...(replyTo ? { reply_to: replyTo } : {}),
          ...(cw.value.trim() ? { cw: cw.value.trim() } : {}) };
        const created = await ctx.api.post(`/posts/${enc(post.id)}/comments`, body, { key });
        key = newKey();
        text.value = "";
        cw.value = "";
        counter.refresh();
        comments.push({ created_at: Date.now(), ...created });
        if (replyTo) openReplies.delete(replyTo);  // her reply is sent: its box closes
        draw();
        if (onCount) onCount(comments.length);
        if (onComment) onComment(created);
        ctx.announce("Comment posted");
        const mineEl = el.querySelector(`[data-comment-id="${CSS.escape(created.id)}"]`);
        if (mineEl) mineEl.querySelector(".reply-button")?.focus();
      }, (error) => ctx.banner.show(error));
    });
    return form;
  }

  const replyBox = commentForm(null, "Write a comment");

  function draw() {
    const children = new Map();
    for (const c of comments) {
      const parent = c.in_reply_to && comments.some((o) => o.id === c.in_reply_to) ? c.in_reply_to : "";
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(c);
    }
    function list(parent, depth) {
      const mine = children.get(parent);
      if (!mine) return null;
      return h("ul", { class: `comments depth-${Math.min(depth, 3)}` }, mine.map((c) => {
        const open = openReplies.get(c.id);
        const replyArea = h("div", {}, open || null);
        const replyButton = h("button", { type: "button", class: "link-button reply-button",
          "aria-expanded": String(Boolean(open)),
          "aria-label": `Reply to ${c.author.display_name || c.author.handle}` },
        icon("comment", { size: 16 }), "Reply");
        replyButton.addEventListener("click", () => {
          if (replyArea.firstChild) {
            clear(replyArea);
            openReplies.delete(c.id);
            replyButton.setAttribute("aria-expanded", "false");
            replyButton.focus();
            return;
          }
          const form = commentForm(c.id, `Reply to @${c.author.handle}`);
          openReplies.set(c.id, form);
          replyArea.append(form);
          replyButton.setAttribute("aria-expanded", "true");
          form.querySelector("textarea").focus();
        });
        return h("li", { class: "comment", dataset: { commentId: c.id } },
          h("a", { href: profileHref(c.author), "data-link": true, class: "comment-avatar",
            tabindex: "-1", "aria-hidden": "true" }, avatar(ctx, c.author, 32)),
          h("div", { class: "comment-main" },
            h("p", { class: "comment-head" },
              h("a", { href: profileHref(c.author), "data-link": true, class: "name" },
                h("bdi", {}, c.author.display_name || c.author.handle)),
              h("span", { class: "handle" }, atHandle(c.author.handle)),
              h("span", { class: "dot", "aria-hidden": "true" }, "·"),
              timeEl(c.created_at)),
            commentText(c),
            replyButton, replyArea, list(c.id, depth + 1)));
      }));
    }
    const focused = document.activeElement;
    fill(listArea, list("", 0) || h("p", { class: "thread-empty" },
      full ? "No comments yet. Start the conversation." : "No comments yet."));
    if (focused !== document.activeElement && listArea.contains(focused)) focused.focus();
    fill(more, !complete && !full ? h("a", { href: postHref(post), "data-link": true,
      class: "thread-more" }, "Show all comments") : null);
  }

  async function load() {
    comments = [];
    let cursor = null;
    for (let page = 0; page < (full ? MAX_PAGES : 1); page += 1) {
      const answer = await ctx.api.get(`/posts/${enc(post.id)}/comments`, { cursor, limit: PAGE });
      comments.push(...answer.items);
      cursor = answer.next_cursor;
      if (!cursor) break;
    }
    complete = !cursor;
    draw();
    if (onCount && complete) onCount(comments.length);
  }

  append(el, full ? [replyBox, listArea, more] : [listArea, more, replyBox]);
  const loaded = load().catch((error) => {
    fill(listArea, h("p", { class: "thread-empty" }, "Comments could not be loaded."));
    ctx.banner.show(error, () => load());
  });
  return {
    el,
    loaded,
    reload: () => load().catch((error) => ctx.banner.show(error, () => load())),
    focusReply: () => replyBox.querySelector("textarea").focus(),
  };
}
