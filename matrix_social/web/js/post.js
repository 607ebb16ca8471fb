// One post as a card: its content by kind, like, threaded comments, repost, edit and delete.
import { enc } from "./api.js";
import {
  append, busy, clear, errorBox, externalLink, field, fill, h, isHttpUrl, linkified, timeEl, uid,
} from "./dom.js";
import { loadInto } from "./media.js";
import { byTarget, platformName, platformOf } from "./platforms.js";
import { countChars, counterFor } from "./text.js";

export { byTarget, platformName };

/** A cross-post's status in words (docs/platforms.md, Cross-posting). */
export function deliveryWords(delivery) {
  const error = delivery.last_error || "";
  const attempts = delivery.attempts || 0;
  switch (delivery.status) {
    case "pending":
      return attempts ? `Waiting to try again (${attempts} ${attempts === 1 ? "attempt" : "attempts"}`
        + ` so far${error ? `: ${error}` : ""})` : "Waiting to be published";
    case "sending": return "Being published…";
    case "delivered": return "Published";
    case "failed": return `Failed after ${attempts} ${attempts === 1 ? "attempt" : "attempts"}`
      + `${error ? `: ${error}` : ""}`;
    case "refused": return `Not published: ${error || "the platform did not take it"}`;
    case "deleted": return "Deleted there too";
    default: return String(delivery.status || "unknown");
  }
}

const FINAL_DELIVERY = new Set(["delivered", "failed", "refused", "deleted"]);

/** Where your own post was also published, and how that went (only on your own posts). */
function crossPostBlock(deliveries) {
  if (!Array.isArray(deliveries) || !deliveries.length) return null;
  const titleId = uid("cross-posts");
  const ordered = [...deliveries].sort((a, b) => byTarget(a.target, b.target));
  return h("div", { class: "cross-posts" },
    h("p", { class: "cross-posts-title", id: titleId }, "On other platforms"),
    h("ul", { "aria-labelledby": titleId }, ordered.map((d) => {
      const name = platformName(d.target);
      return h("li", { class: `cross-post cross-post-${String(d.status).replace(/[^a-z]/g, "")}`,
        dataset: { target: d.target, status: d.status } },
      h("strong", {}, name), `: ${deliveryWords(d)}`,
      d.status === "delivered" && isHttpUrl(d.url)
        ? [" · ", externalLink(d.url, `View on ${name}`)] : null);
    })));
}

function deliveriesKey(deliveries) {
  return JSON.stringify((deliveries || []).map((d) => [d.target, d.status, d.attempts, d.url]));
}

export function avatar(ctx, person, size = 40) {
  const name = person.display_name || person.handle || person.user_id || "?";
  const img = h("span", { class: "avatar", style: null, "aria-hidden": "true" },
    name.replace(/^@/, "").slice(0, 1).toUpperCase());
  img.classList.add(`avatar-${size}`);
  if (person.avatar_url) {
    const picture = h("img", { alt: "", width: size, height: size });
    loadInto(picture, ctx.session, person.avatar_url, size * 2);
    img.append(picture);
  }
  return img;
}

export function profileHref(person) {
  return `/social/profile/${enc(person.handle || person.user_id)}`;
}

function authorLine(ctx, post) {
  const author = post.author || {};
  return h("header", { class: "post-head" },
    avatar(ctx, author),
    h("div", { class: "who" },
      h("a", { href: profileHref(author), "data-link": true, class: "name" },
        author.display_name || author.handle),
      h("span", { class: "handle" }, ` @${author.handle} · `),
      timeEl(post.created_at),
      post.edited_at ? h("span", { class: "edited" }, " · edited") : null));
}

function imageBlock(ctx, post) {
  const image = post.image || {};
  const img = h("img", {
    alt: post.text ? `Image: ${post.text}` : "Image without a caption",
    width: image.w || null, height: image.h || null, class: "post-image" });
  loadInto(img, ctx.session, image.url);
  return h("figure", { class: "post-figure" }, img);
}

export function tryUrl(config, app) {
  if (app.try_url) return app.try_url;
  return config.app_runner_url.replace("{url}", app.url || "").replace("{slug}", app.slug || "");
}

export function appCard(ctx, app, extra = null) {
  const icon = h("span", { class: "app-icon", "aria-hidden": "true" },
    (app.name || "?").slice(0, 1).toUpperCase());
  if (app.icon && app.icon.startsWith("mxc://")) {
    const img = h("img", { alt: "", width: 48, height: 48 });
    loadInto(img, ctx.session, app.icon, 96);
    icon.append(img);
  }
  const target = tryUrl(ctx.config, app);
  return h("div", { class: "app-card" }, icon,
    h("div", { class: "app-info" },
      h("p", { class: "app-name" }, app.name || "An app"),
      app.description ? h("p", { class: "app-description" }, app.description) : null,
      h("div", { class: "app-actions" },
        isHttpUrl(target) ? externalLink(target, "Try it", {
          class: "button primary", "aria-label": `Try it: ${app.name || "this app"}` }) : null,
        extra)));
}

function activityBlock(activity) {
  const data = activity && typeof activity.data === "object" && activity.data ? activity.data : {};
  const kind = String((activity && activity.kind) || "activity").replace(/_/g, " ")
    .replace(/\bai\b/gi, "AI");
  const rows = Object.entries(data)
    .filter(([, value]) => ["string", "number"].includes(typeof value))
    .slice(0, 12)
    .map(([key, value]) => [h("dt", {}, key.replace(/_/g, " ")), h("dd", {}, String(value))]);
  return h("div", { class: "activity-card" },
    h("p", { class: "activity-kind" }, kind.charAt(0).toUpperCase() + kind.slice(1)),
    rows.length ? h("dl", {}, rows) : null);
}

/** The body the server writes for an activity without text (social/posts.render_activity). */
function activityFallback(activity) {
  if (!activity) return "";
  const kind = String(activity.kind || "").replace(/_/g, " ");
  const details = Object.entries(activity.data || {})
    .filter(([, v]) => typeof v === "string" || typeof v === "number")
    .map(([k, v]) => `${k}: ${v}`).join(", ");
  return kind.charAt(0).toUpperCase() + kind.slice(1).toLowerCase() + (details ? ` — ${details}` : "");
}

function externalBlock(external) {
  if (!external || typeof external !== "object") return null;
  const key = String(external.platform || "").toLowerCase();
  const declared = platformOf(key);
  const platform = declared ? { name: declared.label, mark: declared.mark }
    : { name: external.platform || "the web", mark: "↗" };
  return h("div", { class: `external external-${key.replace(/[^a-z]/g, "")}` },
    h("span", { class: "platform-badge" },
      h("span", { "aria-hidden": "true", class: "platform-mark" }, platform.mark),
      ` From ${platform.name}`),
    isHttpUrl(external.url)
      ? externalLink(external.url, `View on ${platform.name}`, { class: "view-on" }) : null);
}

/** The content of a post by kind (without header and actions). */
export function postBody(ctx, post) {
  const parts = [];
  if (post.external) parts.push(externalBlock(post.external));
  if (post.kind === "image") {
    parts.push(imageBlock(ctx, post));
    if (post.text) parts.push(h("p", { class: "caption" }, linkified(post.text)));
  } else if (post.kind === "app" && post.app) {
    if (post.text) parts.push(h("p", { class: "text" }, linkified(post.text)));
    parts.push(appCard(ctx, post.app));
  } else if (post.kind === "activity") {
    parts.push(activityBlock(post.activity));
    if (post.text && post.text !== activityFallback(post.activity)) {
      parts.push(h("p", { class: "text" }, linkified(post.text)));
    }
    if (post.app && typeof post.app === "object") parts.push(appCard(ctx, post.app));
  } else if (post.text) {
    parts.push(h("p", { class: "text" }, linkified(post.text)));
  }
  return parts;
}

const originals = new Map();
function original(ctx, ref) {
  if (!originals.has(ref.event_id)) {
    const promise = ctx.api.get(`/posts/${enc(ref.event_id)}`);
    promise.catch(() => originals.delete(ref.event_id));
    originals.set(ref.event_id, promise);
  }
  return originals.get(ref.event_id);
}

function repostBlock(ctx, post) {
  const box = h("div", { class: "quoted" }, h("p", { class: "status" }, "Loading the original…"));
  original(ctx, post.repost_of || {}).then((orig) => {
    append(clear(box), [authorLine(ctx, orig), postBody(ctx, orig)]);
  }).catch((error) => {
    fill(box, h("p", { class: "status" },
      error.status === 404 ? "The original post was deleted." : `Original unavailable: ${error.message}`));
  });
  return box;
}

/**
 * The card for `post`. `onChange(post)` is told about edits, `onDelete(post)` about deletes.
 * Returns {el, update(post)} so a live refresh can move the counts in place.
 */
export function postCard(ctx, post, { onDelete, onRepost } = {}) {
  let current = post;
  const titleId = uid("post");
  const article = h("article", { class: "post", "aria-labelledby": titleId,
    dataset: { postId: post.id } });
  const mine = post.author && post.author.user_id === ctx.session.userId;
  const head = h("div", {});
  const body = h("div", { class: "post-body" });
  const likeCount = h("span", { class: "count" });
  const commentCount = h("span", { class: "count" });
  const repostCount = h("span", { class: "count" });
  const likeButton = h("button", { type: "button", class: "action like" },
    h("span", { "aria-hidden": "true", class: "heart" }), " Like ", likeCount);
  const commentButton = h("button", { type: "button", class: "action", "aria-expanded": "false" },
    "Comments ", commentCount);
  const repostButton = h("button", { type: "button", class: "action", "aria-expanded": "false" },
    h("span", { "aria-hidden": "true" }, "↻"), " Repost ", repostCount);
  const thread = h("section", { class: "thread", hidden: true, "aria-label": "Comments" });
  const panel = h("div", { class: "post-panel" });
  const status = h("div", { class: "post-status", role: "status" });
  const crossPosts = h("div", {});

  function showError(error) {
    fill(status, errorBox(error));
  }

  function paint() {
    const p = current;
    const heading = h("h2", { class: "visually-hidden", id: titleId },
      `${p.kind === "repost" ? "Repost" : "Post"} by ${(p.author || {}).display_name || ""}`);
    const content = p.kind === "repost"
      ? [h("p", { class: "repost-note" }, h("span", { "aria-hidden": "true" }, "↻ "),
        `${(p.author || {}).display_name} reposted`),
      p.text ? h("p", { class: "text" }, linkified(p.text)) : null, repostBlock(ctx, p)]
      : postBody(ctx, p);
    fill(head, authorLine(ctx, p));
    append(clear(body), [heading, content]);
    fill(crossPosts, crossPostBlock(p.cross_posts));
    updateCounts(p);
  }

  function updateCounts(p) {
    const counts = p.counts || {};
    likeCount.textContent = counts.likes || 0;
    commentCount.textContent = counts.comments || 0;
    repostCount.textContent = counts.reposts || 0;
    likeButton.setAttribute("aria-pressed", p.liked ? "true" : "false");
  }

  likeButton.addEventListener("click", () => busy(likeButton, async () => {
    const path = `/posts/${enc(current.id)}/like`;
    current = current.liked ? await ctx.api.del(path) : await ctx.api.post(path);
    updateCounts(current);
    ctx.announce(current.liked ? "Liked" : "Like removed");
  }, showError));

  commentButton.addEventListener("click", () => {
    const open = thread.hidden;
    thread.hidden = !open;
    commentButton.setAttribute("aria-expanded", String(open));
    if (open) loadThread();
  });

  async function loadThread() {
    fill(thread, h("p", { class: "status" }, "Loading comments…"));
    try {
      const items = [];
      let cursor = null;
      for (let page = 0; page < 10; page += 1) {
        const data = await ctx.api.get(`/posts/${enc(current.id)}/comments`,
          { cursor, limit: 100 });
        items.push(...data.items);
        cursor = data.next_cursor;
        if (!cursor) break;
      }
      renderThread(items);
    } catch (error) {
      fill(thread, errorBox(error, loadThread));
    }
  }

  function commentForm(replyTo, label, onDone) {
    const input = h("textarea", { rows: 2, maxlength: 2000, required: true });
    const send = h("button", { type: "submit" }, replyTo ? "Reply" : "Comment");
    const counter = counterFor(input, ctx.config.max_post_chars);
    const form = h("form", { class: "comment-form" }, field(label, input), counter, send);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (countChars(input.value) === 0) return;
      busy(send, async () => {
        await ctx.api.post(`/posts/${enc(current.id)}/comments`,
          { text: input.value, ...(replyTo ? { reply_to: replyTo } : {}) });
        input.value = "";
        current = { ...current, counts: { ...current.counts,
          comments: (current.counts.comments || 0) + 1 } };
        updateCounts(current);
        ctx.announce("Comment sent");
        if (onDone) onDone();
        await loadThread();
      }, showError);
    });
    return form;
  }

  function renderThread(items) {
    const children = new Map();
    const known = new Set(items.map((c) => c.id));
    for (const comment of items) {
      const parent = comment.in_reply_to && known.has(comment.in_reply_to)
        && comment.in_reply_to !== current.id ? comment.in_reply_to : "";
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(comment);
    }
    function list(parent, depth) {
      const mine = children.get(parent) || [];
      if (!mine.length) return null;
      return h("ul", { class: `comments depth-${Math.min(depth, 3)}` }, mine.map((c) => {
        const replyArea = h("div", {});
        const replyButton = h("button", { type: "button", class: "link-button",
          "aria-expanded": "false" }, "Reply");
        replyButton.addEventListener("click", () => {
          if (replyArea.firstChild) {
            clear(replyArea);
            replyButton.setAttribute("aria-expanded", "false");
            return;
          }
          const form = commentForm(c.id, `Reply to @${c.author.handle}`);
          replyArea.append(form);
          replyButton.setAttribute("aria-expanded", "true");
          form.querySelector("textarea").focus();
        });
        return h("li", { class: "comment" },
          h("p", { class: "comment-head" },
            h("a", { href: profileHref(c.author), "data-link": true }, `@${c.author.handle}`),
            " · ", timeEl(c.created_at)),
          h("p", { class: "text" }, linkified(c.text)),
          replyButton, replyArea, list(c.id, depth + 1));
      }));
    }
    fill(thread,
      list("", 0) || h("p", { class: "status" }, "No comments yet."),
      commentForm(null, "Write a comment"));
  }

  repostButton.addEventListener("click", () => {
    if (panel.dataset.open === "repost") return closePanel(repostButton);
    const text = h("textarea", { rows: 2 });
    const send = h("button", { type: "submit", class: "primary" }, "Repost");
    const form = h("form", { class: "inline-form" },
      field("Add a comment (optional)", text), counterFor(text, ctx.config.max_post_chars), send,
      h("button", { type: "button", onclick: () => closePanel(repostButton) }, "Cancel"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(send, async () => {
        const created = await ctx.api.post(`/posts/${enc(current.id)}/repost`,
          text.value.trim() ? { text: text.value } : {});
        current = { ...current, counts: { ...current.counts,
          reposts: (current.counts.reposts || 0) + 1 } };
        updateCounts(current);
        closePanel(repostButton);
        ctx.announce("Reposted to your feed");
        if (onRepost) onRepost(created);
      }, showError);
    });
    openPanel("repost", repostButton, form);
    text.focus();
  });

  function openPanel(name, button, content) {
    fill(panel, content);
    panel.dataset.open = name;
    button.setAttribute("aria-expanded", "true");
  }
  function closePanel(button) {
    clear(panel);
    delete panel.dataset.open;
    if (button) {
      button.setAttribute("aria-expanded", "false");
      button.focus();
    }
  }

  const actions = h("div", { class: "post-actions" }, likeButton, commentButton, repostButton);
  if (mine && (post.kind === "text" || post.kind === "image")) {
    const editButton = h("button", { type: "button", class: "action", "aria-expanded": "false" },
      "Edit");
    editButton.addEventListener("click", () => {
      if (panel.dataset.open === "edit") return closePanel(editButton);
      const text = h("textarea", { rows: 3, value: current.text || "" });
      const save = h("button", { type: "submit", class: "primary" }, "Save");
      const form = h("form", { class: "inline-form" },
        field(current.kind === "image" ? "Edit caption" : "Edit post", text),
        counterFor(text, ctx.config.max_post_chars), save,
        h("button", { type: "button", onclick: () => closePanel(editButton) }, "Cancel"));
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        busy(save, async () => {
          current = await ctx.api.patch(`/posts/${enc(current.id)}`, { text: text.value });
          paint();
          closePanel(editButton);
          ctx.announce("Post edited");
        }, showError);
      });
      openPanel("edit", editButton, form);
      text.focus();
    });
    actions.append(editButton);
  }
  if (mine) {
    const deleteButton = h("button", { type: "button", class: "action danger",
      "aria-expanded": "false" }, "Delete");
    deleteButton.addEventListener("click", () => {
      if (panel.dataset.open === "delete") return closePanel(deleteButton);
      const confirm = h("button", { type: "button", class: "danger" }, "Delete post");
      confirm.addEventListener("click", () => busy(confirm, async () => {
        await ctx.api.del(`/posts/${enc(current.id)}`);
        ctx.announce("Post deleted");
        if (onDelete) onDelete(current);
        article.closest("li")?.remove();
      }, showError));
      openPanel("delete", deleteButton, h("div", { class: "inline-form", role: "group",
        "aria-label": "Confirm delete" },
        h("p", {}, "Delete this post for everyone?"), confirm,
        h("button", { type: "button", onclick: () => closePanel(deleteButton) }, "Cancel")));
      confirm.focus();
    });
    actions.append(deleteButton);
  }

  article.append(head, body, crossPosts, actions, panel, status, thread);
  paint();
  return {
    el: article,
    get post() { return current; },
    update(fresh) {
      const editedNow = fresh.edited_at !== current.edited_at;
      const newComments = fresh.counts.comments !== current.counts.comments;
      const before = new Map((current.cross_posts || []).map((d) => [d.target, d.status]));
      const deliveriesMoved = deliveriesKey(fresh.cross_posts) !== deliveriesKey(current.cross_posts);
      current = { ...fresh };
      if (editedNow) paint();
      else updateCounts(current);
      if (deliveriesMoved && !editedNow) fill(crossPosts, crossPostBlock(current.cross_posts));
      const settled = (deliveriesMoved ? current.cross_posts || [] : [])
        .filter((d) => FINAL_DELIVERY.has(d.status) && before.get(d.target) !== d.status)
        .map((d) => `${platformName(d.target)}: ${deliveryWords(d)}`);
      if (settled.length) ctx.announce(`Your post on ${settled.join("; ")}`);
      if (!thread.hidden && newComments && !thread.contains(document.activeElement)) loadThread();
    },
  };
}
