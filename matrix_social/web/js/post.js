// One post as the feed shows it: who and when (the time links to the post's own page), the
// text (dir=auto), images in a grid that opens the viewer, content warnings collapsed, app and
// activity cards, where else it was published; icon buttons to comment, repost, like, share
// and a menu (copy link, open in Element, pin, edit, delete). Focus stays on the button
// that was pressed after every action.
import { enc } from "./api.js";
import {
  busy, clear, compactCount, externalLink, fill, h, isHttpUrl, plural, timeLink,
  toast, uid,
} from "./dom.js";
import { icon } from "./icons.js";
import { loadInto } from "./media.js";
import { confirmDialog, menuButton } from "./menu.js";
import { safetyItems } from "./safety.js";
import { byTarget, platformName, platformOf } from "./platforms.js";
import { linkPreview } from "./previews.js";
import { richText } from "./tags.js";
import { atHandle, countChars, counterFor } from "./text.js";

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

// --- people -----------------------------------------------------------------------------------

function hashOf(text) {
  let hash = 2166136261;
  for (const char of String(text)) {
    hash ^= char.codePointAt(0);
    hash = Math.imul(hash, 16777619);
  }
  return hash >>> 0;
}

function initials(name) {
  const words = String(name).replace(/^@/, "").split(/[\s._-]+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0], words[1]] : [words[0] || "?"];
  return letters.map((w) => [...w][0]).join("").toUpperCase().slice(0, 2);
}

/** Her picture, or a generated one: her initials on one of eight gradients picked from her
 * user ID (so the same person always looks the same). */
export function avatar(ctx, person, size = 44) {
  const key = person.user_id || person.handle || "?";
  const name = person.display_name || person.handle || person.user_id || "?";
  const el = h("span", { class: `avatar avatar-${size} hue-${hashOf(key) % 8}`, "aria-hidden": "true" },
    h("span", { class: "avatar-initials" }, initials(name)));
  if (person.avatar_url) {
    const picture = h("img", { alt: "", width: size, height: size, decoding: "async" });
    loadInto(picture, ctx.session, person.avatar_url, size > 64 ? 256 : 96);
    el.append(picture);
  }
  return el;
}

export function profileHref(person) {
  return `/social/profile/${enc(person.handle || person.user_id)}`;
}

export function postHref(post) {
  return `/social/post/${enc(post.id)}`;
}

/** matrix.to escapes ids fully (! too), as the service's own links do. */
const matrixToPart = (id) => enc(id).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export function elementHref(post) {
  return `https://matrix.to/#/${matrixToPart(post.room_id)}/${matrixToPart(post.event_id || post.id)}`;
}

function authorHead(ctx, post, nameId) {
  const author = post.author || {};
  return h("header", { class: "post-head" },
    h("a", { href: profileHref(author), "data-link": true, class: "name", id: nameId },
      h("bdi", {}, author.display_name || author.handle)),
    author.handle && String(author.handle).endsWith(ctx.config.ai_suffix || "_ai")
      ? h("span", { class: "badge-ai", title: "An AI" }, "AI") : null,
    h("span", { class: "handle" }, atHandle(author.handle)),
    post.group ? h("span", { class: "in-group", title: `Posted in the group ${post.group.name || ""}` },
      "in ", h("bdi", {}, post.group.name || "a group")) : null,
    h("span", { class: "dot", "aria-hidden": "true" }, "·"),
    timeLink(post.created_at, postHref(post)),
    post.edited_at ? h("span", { class: "edited" }, "· edited") : null);
}

// --- content ------------------------------------------------------------------------------------

/** A post's images in one shape: [{mxc, alt, w, h}] (older answers had one `image`). */
export function imagesOf(post) {
  if (Array.isArray(post.images) && post.images.length) {
    return post.images.map((i) => ({ mxc: i.mxc || i.url, alt: i.alt || "", w: i.w, h: i.h }));
  }
  if (post.image && post.image.url) {
    return [{ mxc: post.image.url, alt: "", w: post.image.w, h: post.image.h }];
  }
  return [];
}

/** 1 to 4 images in a grid; each opens the viewer. Sensitive media stays blurred until
 * asked for. */
export function mediaGrid(ctx, images, { caption = "", sensitive = false } = {}) {
  const grid = h("div", { class: `media-grid count-${Math.min(images.length, 4)}` });
  images.slice(0, 4).forEach((image, i) => {
    const alt = image.alt
      || (caption ? `Image ${images.length > 1 ? `${i + 1} of ${images.length}` : ""}: ${caption}`.replace(" :", ":")
        : `Image ${i + 1} of ${images.length}, no description`);
    const img = h("img", { alt, class: "post-image", decoding: "async",
      width: image.w || null, height: image.h || null });
    loadInto(img, ctx.session, image.mxc, images.length === 1 ? 1200 : 640,
      images.length === 1 ? "scale" : "crop");
    const tile = h("button", { type: "button", class: "media-tile" }, img,
      image.alt ? h("span", { class: "alt-badge", "aria-hidden": "true" }, "ALT") : null);
    tile.addEventListener("click", async () => {
      const { openLightbox } = await import("./lightbox.js");
      openLightbox(ctx, images, i);
    });
    grid.append(tile);
  });
  if (images.length === 1 && images[0].w && images[0].h) {
    const ratio = Math.max(0.66, Math.min(2.2, images[0].w / images[0].h));
    grid.style.setProperty("--ratio", String(ratio));
    grid.classList.add("has-ratio");
  }
  if (!sensitive) return grid;
  const wrap = h("div", { class: "sensitive blurred" }, grid);
  const reveal = h("button", { type: "button", class: "sensitive-reveal" },
    icon("cw", { size: 18 }), h("span", {}, "Sensitive media"), h("span", { class: "reveal-hint" }, "Show"));
  reveal.addEventListener("click", () => {
    wrap.classList.remove("blurred");
    reveal.remove();
    for (const tile of grid.querySelectorAll(".media-tile")) tile.removeAttribute("tabindex");
    grid.querySelector(".media-tile")?.focus();
  });
  for (const tile of grid.querySelectorAll(".media-tile")) tile.tabIndex = -1;
  wrap.append(reveal);
  return wrap;
}

export function tryUrl(config, app) {
  if (app.try_url) return app.try_url;
  return config.app_runner_url.replace("{url}", app.url || "").replace("{slug}", app.slug || "");
}

export function appCard(ctx, app, extra = null) {
  const iconBox = h("span", { class: "app-icon", "aria-hidden": "true" },
    (app.name || "?").slice(0, 1).toUpperCase());
  if (app.icon && app.icon.startsWith("mxc://")) {
    const img = h("img", { alt: "", width: 48, height: 48 });
    loadInto(img, ctx.session, app.icon, 96);
    iconBox.append(img);
  }
  const target = tryUrl(ctx.config, app);
  return h("div", { class: "app-card" }, iconBox,
    h("div", { class: "app-info" },
      h("p", { class: "app-name", dir: "auto" }, app.name || "An app"),
      app.description ? h("p", { class: "app-description", dir: "auto" }, app.description) : null),
    h("div", { class: "app-actions" },
      isHttpUrl(target) ? externalLink(target, "Try it", {
        class: "button primary small", "aria-label": `Try it: ${app.name || "this app"}` }) : null,
      extra));
}

function activityBlock(activity) {
  const data = activity && typeof activity.data === "object" && activity.data ? activity.data : {};
  const kind = String((activity && activity.kind) || "activity").replace(/_/g, " ")
    .replace(/\bai\b/gi, "AI");
  // An AI's public conversation: its text already says where, with the link.
  const hidden = activity && activity.kind === "ai_conversation" ? ["room_id", "link"] : [];
  const rows = Object.entries(data)
    .filter(([key, value]) => ["string", "number"].includes(typeof value) && !hidden.includes(key))
    .slice(0, 12)
    .map(([key, value]) => [h("dt", {}, key.replace(/_/g, " ")), h("dd", {}, String(value))]);
  return h("div", { class: "activity-card" },
    h("p", { class: "activity-kind" }, icon("sparkle", { size: 18 }),
      kind.charAt(0).toUpperCase() + kind.slice(1)),
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

function textBlock(text, big = false) {
  return h("div", { class: `text${big ? " big" : ""}`, dir: "auto" }, richText(text));
}

/** The content of a post by kind (without header and actions). */
export function postBody(ctx, post, { big = false } = {}) {
  const parts = [];
  const images = imagesOf(post);
  const sensitive = post.sensitive === true || (post.external && post.external.sensitive === true);
  if (post.kind === "image" || images.length) {
    if (post.text) parts.push(textBlock(post.text, big));
    if (images.length) parts.push(mediaGrid(ctx, images, { caption: post.text, sensitive }));
  } else if (post.kind === "app" && post.app) {
    if (post.text) parts.push(textBlock(post.text, big));
    parts.push(appCard(ctx, post.app));
  } else if (post.kind === "activity") {
    if (post.text && post.text !== activityFallback(post.activity)) parts.push(textBlock(post.text, big));
    parts.push(activityBlock(post.activity));
    if (post.app && typeof post.app === "object") parts.push(appCard(ctx, post.app));
  } else if (post.text) {
    parts.push(textBlock(post.text, big));
    if (post.kind === "text" && !post.external) parts.push(linkPreview(ctx, post.text));
  }
  if (post.external) parts.push(externalBlock(post.external));
  return parts;
}

/** The content behind its content warning, if it has one: the reason and a Show button. */
function guarded(post, parts) {
  const cw = typeof post.cw === "string" && post.cw.trim() ? post.cw : null;
  if (!cw) return parts;
  const contentId = uid("cw-content");
  const content = h("div", { class: "cw-content", id: contentId, hidden: true }, parts);
  const toggle = h("button", { type: "button", class: "cw-toggle", "aria-expanded": "false",
    "aria-controls": contentId }, "Show");
  toggle.addEventListener("click", () => {
    content.hidden = !content.hidden;
    toggle.textContent = content.hidden ? "Show" : "Hide";
    toggle.setAttribute("aria-expanded", String(!content.hidden));
  });
  return [h("div", { class: "cw-gate" },
    h("p", { class: "cw-reason", dir: "auto" }, icon("cw", { size: 18 }),
      h("span", { class: "visually-hidden" }, "Content warning: "), cw),
    toggle), content];
}

/** A trend in the right column: who, and the start of what they said. */
export function postSummary(post) {
  const shown = post.kind === "repost" && post.original ? post.original : post;
  const text = shown.text || (imagesOf(shown).length ? "Shared images" : "A post");
  return h("li", { class: "trend" },
    h("a", { href: postHref(shown), "data-link": true, class: "trend-link" },
      h("span", { class: "trend-kind" }, icon("trend", { size: 16 }),
        h("bdi", {}, shown.author.display_name || shown.author.handle)),
      h("span", { class: "trend-title", dir: "auto" },
        shown.cw ? `CW: ${shown.cw}` : text.length > 90 ? `${text.slice(0, 88)}…` : text),
      h("span", { class: "trend-meta" },
        plural(post.likes_24h ?? shown.counts?.likes ?? 0, "like"), " today")));
}

// --- the card -------------------------------------------------------------------------------------

const originals = new Map();
function fetchOriginal(ctx, ref) {
  if (!originals.has(ref.event_id)) {
    const promise = ctx.api.get(`/posts/${enc(ref.event_id)}`);
    promise.catch(() => originals.delete(ref.event_id));
    originals.set(ref.event_id, promise);
  }
  return originals.get(ref.event_id);
}

/** An action's name, "Like (3 likes)", is read from its content (no aria-label to disagree
 * with); the count shown beside the icon, "3", is for the eyes only. */
function actionLabel(verb) {
  const spoken = h("span", { class: "visually-hidden" }, verb);
  const count = h("span", { class: "count", "aria-hidden": "true" });
  return {
    parts: [spoken, count],
    count,
    set(n, one) {
      count.textContent = compactCount(n);
      spoken.textContent = `${verb} (${n} ${n === 1 ? one : `${one}s`})`;
    },
  };
}

function actionButton(cls, iconName, verb) {
  const label = actionLabel(verb);
  const button = h("button", { type: "button", class: `action ${cls}` },
    icon(iconName, { size: 20 }), label.parts);
  return { button, label, count: label.count };
}

/**
 * The card for `post`. Options: onDelete(post), onRepost(created), expanded (the post's own
 * page: bigger text, the full date, the thread always open).
 * Returns {el, post, update(post)} so a live refresh moves the counts in place.
 */
export function postCard(ctx, post, { onDelete, onRepost, expanded = false, onComment } = {}) {
  let current = post;
  const nameId = uid("post-author");
  const article = h("article", { class: `post${expanded ? " expanded" : ""}`,
    "aria-labelledby": nameId, dataset: { postId: post.id } });
  const isRepost = () => current.kind === "repost";
  const plainRepost = () => isRepost() && !current.text;
  /** What the actions act on: the original of a repost, else the post itself. */
  const target = () => (isRepost() ? current.original || null : current);
  const mine = () => current.author && current.author.user_id === ctx.session.userId;

  const repostLine = h("div", { class: "repost-line" });
  const avatarSlot = h("div", { class: "post-avatar" });
  const headSlot = h("div", {});
  const body = h("div", { class: "post-body" });
  const crossPosts = h("div", {});
  const panel = h("div", { class: "post-panel" });
  const threadSlot = h("div", {});

  const comment = actionButton("reply", "comment", "Comment");
  const repost = actionButton("repost", "repost", "Repost");
  const like = actionButton("like", "heart", "Like");
  const share = h("button", { type: "button", class: "action share", "aria-label": "Copy link to post" },
    icon("share", { size: 20 }));
  comment.button.setAttribute("aria-expanded", "false");
  like.button.setAttribute("aria-pressed", "false");
  const more = menuButton({ label: "More options", items: moreItems });
  const repostMenu = menuButton({ label: null, menuLabel: "Repost", iconName: "repost", className: "repost",
    items: () => [
      { label: "Repost", icon: "repost", onSelect: () => doRepost(null) },
      { label: "Quote post", icon: "write", onSelect: openQuote },
    ] });
  // The repost menu's button is the repost action (its count next to the icon).
  repostMenu.button.append(...repost.label.parts);
  repost.button = repostMenu.button;

  const actions = h("div", { class: "post-actions", role: "group", "aria-label": "Post actions" },
    comment.button, repostMenu.el, like.button, share, more.el);

  function paintCounts() {
    const t = target();
    const counts = (t && t.counts) || { likes: 0, comments: 0, reposts: 0 };
    comment.label.set(counts.comments, "comment");
    repost.label.set(counts.reposts, "repost");
    like.label.set(counts.likes, "like");
    const liked = Boolean(t && t.liked);
    like.button.setAttribute("aria-pressed", String(liked));
    like.button.classList.toggle("on", liked);
    for (const b of [comment.button, repost.button, like.button, share]) b.disabled = !t;
  }

  function paint() {
    const shown = plainRepost() ? current.original : current;
    clear(repostLine);
    repostLine.hidden = !plainRepost();
    if (plainRepost()) {
      repostLine.append(icon("repost", { size: 16 }),
        h("a", { href: profileHref(current.author), "data-link": true },
          h("bdi", {}, current.author.display_name || current.author.handle)), " reposted");
    }
    if (shown) {
      fill(avatarSlot, h("a", { href: profileHref(shown.author), "data-link": true, tabindex: "-1",
        "aria-hidden": "true" }, avatar(ctx, shown.author)));
      fill(headSlot, authorHead(ctx, shown, nameId));
    } else {
      fill(avatarSlot, avatar(ctx, current.author));
      fill(headSlot, authorHead(ctx, current, nameId));
    }
    if (plainRepost()) {
      fill(body, current.original ? guarded(current.original, postBody(ctx, current.original, { big: expanded }))
        : h("p", { class: "quoted-missing" }, "Loading the original…"));
    } else if (isRepost()) {
      fill(body, textBlock(current.text, expanded), quotedBox());
    } else {
      fill(body, guarded(current, postBody(ctx, current, { big: expanded })));
    }
    if (expanded) body.append(fullDate(shown || current));
    fill(crossPosts, mine() ? crossPostBlock(current.cross_posts) : null);
    paintCounts();
  }

  function quotedBox() {
    const original = current.original;
    if (!original) return h("div", { class: "quoted" }, h("p", { class: "quoted-missing" }, "Loading the original…"));
    return h("div", { class: "quoted" },
      h("header", { class: "post-head small" }, avatar(ctx, original.author, 20),
        h("a", { href: profileHref(original.author), "data-link": true, class: "name", dir: "auto" },
          original.author.display_name || original.author.handle),
        h("span", { class: "handle" }, atHandle(original.author.handle)),
        h("span", { class: "dot", "aria-hidden": "true" }, "·"),
        timeLink(original.created_at, postHref(original))),
      guarded(original, postBody(ctx, original)));
  }

  function fullDate(p) {
    return h("p", { class: "full-date" },
      h("time", { datetime: new Date(p.created_at).toISOString() },
        new Date(p.created_at).toLocaleString(undefined, { dateStyle: "long", timeStyle: "short" })),
      externalLink(elementHref(p), ["Open in Element", icon("external", { size: 14 })],
        { class: "open-element" }));
  }

  // A repost whose answer came without its original (search, trending): ask for it.
  if (isRepost() && !current.original && current.repost_of) {
    fetchOriginal(ctx, current.repost_of).then((original) => {
      current = { ...current, original };
      paint();
    }).catch((error) => {
      fill(body, h("p", { class: "quoted-missing" }, error.status === 404
        ? "The original post was deleted." : "The original post is not available right now."));
    });
  }

  function bumpTarget(change) {
    const t = target();
    if (!t) return;
    const updated = { ...t, ...change(t), counts: { ...t.counts, ...change(t).counts } };
    if (isRepost()) current = { ...current, original: updated };
    else current = updated;
    paintCounts();
  }

  // Like: at once on screen, undone if the server says no. The button is never redrawn, so
  // keyboard focus stays on it.
  like.button.addEventListener("click", () => busy(like.button, async () => {
    const t = target();
    const wasLiked = Boolean(t.liked);
    bumpTarget((p) => ({ liked: !wasLiked,
      counts: { likes: Math.max(0, (p.counts.likes || 0) + (wasLiked ? -1 : 1)) } }));
    try {
      const fresh = wasLiked ? await ctx.api.del(`/posts/${enc(t.id)}/like`)
        : await ctx.api.post(`/posts/${enc(t.id)}/like`);
      bumpTarget(() => ({ liked: fresh.liked, counts: fresh.counts }));
      ctx.announce(fresh.liked ? "Liked" : "Like removed");
    } catch (error) {
      bumpTarget((p) => ({ liked: wasLiked,
        counts: { likes: Math.max(0, (p.counts.likes || 0) + (wasLiked ? 1 : -1)) } }));
      throw error;
    }
  }, (error) => ctx.banner.show(error)));

  async function doRepost(text) {
    const t = target();
    await busy(repost.button, async () => {
      const created = await ctx.api.post(`/posts/${enc(t.id)}/repost`, text ? { text } : {});
      bumpTarget((p) => ({ counts: { reposts: (p.counts.reposts || 0) + 1 } }));
      closePanel();
      toast(text ? "Quoted in your feed" : "Reposted to your feed");
      ctx.announce(text ? "Quoted in your feed" : "Reposted to your feed");
      if (onRepost) onRepost(created);
    }, (error) => ctx.banner.show(error));
    repost.button.focus();
  }

  function openQuote() {
    const text = h("textarea", { rows: 2, "aria-label": "Add a comment", dir: "auto",
      placeholder: "Add a comment…" });
    const send = h("button", { type: "submit", class: "primary small" }, "Repost");
    const form = h("form", { class: "inline-form" }, text,
      h("div", { class: "inline-row" }, counterFor(text, ctx.config.max_post_chars),
        h("button", { type: "button", class: "small", onclick: () => closePanel(repost.button) }, "Cancel"),
        send));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!countChars(text.value)) { text.focus(); return; }
      doRepost(text.value);
    });
    fill(panel, form);
    text.focus();
  }

  function closePanel(focus) {
    clear(panel);
    if (focus) focus.focus();
  }

  share.addEventListener("click", () => copyLink(target() || current));

  async function copyLink(p) {
    const url = `${location.origin}${postHref(p)}`;
    try {
      await navigator.clipboard.writeText(url);
      toast("Link copied");
    } catch {
      toast(`Link: ${url}`);
    }
    share.focus();
  }

  function moreItems() {
    const t = target() || current;
    const own = mine();
    const editable = own && ["text", "image"].includes(current.kind);
    const pinnable = own && current.kind !== "repost";
    const pinned = ctx.pinnedPost === current.id;
    return [
      { label: "Copy link", icon: "link", onSelect: () => copyLink(t) },
      { label: "Open in Element", icon: "external", href: elementHref(t), external: true },
      { label: t.bookmarked ? "Remove bookmark" : "Bookmark", icon: "bookmark",
        onSelect: () => bookmark(t, !t.bookmarked) },
      expanded ? null : { label: "Open post", icon: "comment", href: postHref(t) },
      pinnable ? { label: pinned ? "Unpin from profile" : "Pin to profile", icon: "pin",
        onSelect: () => pin(!pinned) } : null,
      editable ? { label: "Edit", icon: "edit", onSelect: openEdit } : null,
      own ? { label: isRepost() ? "Delete repost" : "Delete post", icon: "trash", danger: true,
        onSelect: remove } : null,
      ...safetyItems(ctx, current.author && current.author.user_id, {
        eventId: current.id, name: current.author && atHandle(current.author.handle),
        onHidden: () => article.remove() }),
    ];
  }

  /** Bookmarks are private: only she sees them (GET /bookmarks). */
  async function bookmark(t, on) {
    await busy(more.button, async () => {
      const path = `/posts/${enc(t.id)}/bookmark`;
      const result = on ? await ctx.api.post(path) : await ctx.api.del(path);
      if (isRepost() && current.original) current = { ...current, original: { ...current.original, bookmarked: result.bookmarked } };
      else current = { ...current, bookmarked: result.bookmarked };
      toast(result.bookmarked ? "Saved to your bookmarks" : "Removed from your bookmarks");
      ctx.announce(result.bookmarked ? "Bookmarked" : "Bookmark removed");
    }, (error) => ctx.banner.show(error));
    more.button.focus();
  }

  async function pin(on) {
    await busy(more.button, async () => {
      await ctx.api.patch("/profile", { pinned_post: on ? current.id : null });
      ctx.pinnedPost = on ? current.id : null;
      ctx.me = null;
      toast(on ? "Pinned to your profile" : "Unpinned from your profile");
      ctx.announce(on ? "Pinned to your profile" : "Unpinned");
    }, (error) => ctx.banner.show(error));
    more.button.focus();
  }

  function openEdit() {
    const text = h("textarea", { rows: 3, value: current.text || "", dir: "auto",
      "aria-label": current.kind === "image" ? "Edit caption" : "Edit post" });
    const save = h("button", { type: "submit", class: "primary small" }, "Save");
    const form = h("form", { class: "inline-form" }, text,
      h("div", { class: "inline-row" }, counterFor(text, ctx.config.max_post_chars),
        h("button", { type: "button", class: "small", onclick: () => closePanel(more.button) }, "Cancel"),
        save));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(save, async () => {
        current = { ...current, ...await ctx.api.patch(`/posts/${enc(current.id)}`, { text: text.value }) };
        paint();
        closePanel(more.button);
        ctx.announce("Post edited");
        toast("Post edited");
      }, (error) => ctx.banner.show(error));
    });
    fill(panel, form);
    text.focus();
  }

  async function remove() {
    const yes = await confirmDialog({
      title: isRepost() ? "Delete this repost?" : "Delete this post?",
      body: isRepost() ? "It goes from your feed; the original stays."
        : "It is deleted for everyone, in every Matrix client too.",
      confirmLabel: "Delete" });
    if (!yes) return;
    await busy(more.button, async () => {
      try {
        await ctx.api.del(`/posts/${enc(current.id)}`);
      } catch (error) {
        if (error.status !== 404) throw error;  // a retried delete may find it gone already
      }
      ctx.announce("Post deleted");
      toast("Post deleted");
      const item = article.closest("li");
      const next = item && (item.nextElementSibling || item.previousElementSibling);
      if (onDelete) onDelete(current);
      (item || article).remove();
      const focusTarget = next && next.querySelector("article");
      if (focusTarget) { focusTarget.tabIndex = -1; focusTarget.focus(); }
      else document.querySelector("main h1")?.focus();
    }, (error) => ctx.banner.show(error));
  }

  // Comments: open under the post (in the feed), always open on the post's own page.
  let thread = null;
  async function toggleThread(forceOpen = false) {
    if (thread && !forceOpen) {
      thread.el.remove();
      thread = null;
      comment.button.setAttribute("aria-expanded", "false");
      return;
    }
    if (thread) { thread.focusReply(); return; }
    const t = target();
    const { threadView } = await import("./thread.js");
    thread = threadView(ctx, t, {
      full: expanded,
      onCount: (n) => bumpTarget(() => ({ counts: { comments: n } })),
      onComment,
    });
    threadSlot.append(thread.el);
    comment.button.setAttribute("aria-expanded", "true");
    await thread.loaded;
    if (!expanded) thread.focusReply();
  }
  comment.button.addEventListener("click", () => {
    if (expanded) { thread?.focusReply(); return; }
    toggleThread();
  });

  article.append(repostLine,
    h("div", { class: "post-grid" }, avatarSlot,
      h("div", { class: "post-main" }, headSlot, body, crossPosts, actions, panel, threadSlot)));
  paint();
  if (expanded) toggleThread(true);
  return {
    el: article,
    get post() { return current; },
    get thread() { return thread; },
    update(fresh) {
      const editedNow = fresh.edited_at !== current.edited_at
        || (fresh.original && current.original && fresh.original.edited_at !== current.original.edited_at);
      const before = new Map((current.cross_posts || []).map((d) => [d.target, d.status]));
      const deliveriesMoved = deliveriesKey(fresh.cross_posts) !== deliveriesKey(current.cross_posts);
      const freshTarget = fresh.kind === "repost" ? fresh.original : fresh;
      const oldTarget = target();
      const newComments = freshTarget && oldTarget
        && freshTarget.counts.comments !== oldTarget.counts.comments;
      if (like.button.getAttribute("aria-busy") === "true") return;  // her click wins
      current = { ...fresh, original: fresh.original || current.original };
      if (editedNow) paint();
      else paintCounts();
      if (deliveriesMoved && !editedNow) fill(crossPosts, mine() ? crossPostBlock(current.cross_posts) : null);
      const settled = (deliveriesMoved ? current.cross_posts || [] : [])
        .filter((d) => FINAL_DELIVERY.has(d.status) && before.get(d.target) !== d.status)
        .map((d) => `${platformName(d.target)}: ${deliveryWords(d)}`);
      if (settled.length) ctx.announce(`Your post on ${settled.join("; ")}`);
      if (thread && newComments && !thread.el.contains(document.activeElement)) thread.reload();
    },
  };
}
