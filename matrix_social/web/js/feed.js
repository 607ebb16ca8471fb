// Home: your chronological feed, newest first, with infinite scroll (cursor) and new posts
// coming in while you look (the newest page is asked for again every few seconds). A new
// account's empty feed offers people to follow instead of an empty page.
import { clear, fill, h, skeletonPosts } from "./dom.js";
import { icon } from "./icons.js";
import { postCard } from "./post.js";

const PAGE = 20;
const LIVE_EVERY_MS = 2500;
// While the stream is up a slow poll stays as a safety net (for what the stream does not
// carry: a post edited elsewhere shows as a `post` event, but a profile's new name does not).
const LIVE_PUSHED_POLL_MS = 60_000;
const LIVE_FAILURES_SHOWN = 2;  // a blip is not worth a banner; two misses in a row are

/** A list of post cards that knows which posts it shows. */
export function postList(ctx, label, { onDelete } = {}) {
  const list = h("ol", { class: "posts", "aria-label": label });
  const cards = new Map();

  function item(post) {
    const card = postCard(ctx, post, {
      onDelete: (p) => { cards.delete(p.id); if (onDelete) onDelete(p); },
      onRepost: (created) => prepend([created]),
    });
    cards.set(post.id, card);
    return h("li", { dataset: { postId: post.id } }, card.el);
  }
  function append(posts) {
    for (const post of posts) if (!cards.has(post.id)) list.append(item(post));
  }
  /** Put posts not shown yet where their time belongs (newest first); returns how many. */
  function prepend(posts) {
    const fresh = posts.filter((p) => !cards.has(p.id));
    for (const post of fresh) {
      const li = item(post);
      const after = [...list.children].find((other) => {
        const card = cards.get(other.dataset.postId);
        return card && card.post.created_at < post.created_at;
      });
      list.insertBefore(li, after || null);
    }
    return fresh.length;
  }
  function oldestShown() {
    let oldest = Infinity;
    for (const card of cards.values()) oldest = Math.min(oldest, card.post.created_at);
    return oldest;
  }
  function refresh(posts) {
    for (const post of posts) {
      const card = cards.get(post.id);
      if (card) card.update(post);
    }
  }
  /** A post deleted elsewhere: its card goes, and so do the reposts of it. */
  function remove(postId) {
    for (const [id, card] of [...cards]) {
      const post = card.post;
      if (id === postId || (post.kind === "repost" && post.original && post.original.id === postId)) {
        cards.delete(id);
        const li = card.el.closest("li");
        if (li) li.remove();
      }
    }
  }
  /** The ids whose counts it shows (a repost shows its original's). */
  function shownIds() {
    return [...cards.values()].map(({ post }) => (
      post.kind === "repost" && post.original ? post.original.id : post.id));
  }
  return { el: list, cards, append, prepend, refresh, remove, oldestShown, shownIds };
}

/** What a new account sees instead of an empty feed: people to follow, and a way to Explore. */
async function emptyFeed(ctx, onFollowed) {
  const box = h("section", { class: "empty-state", "aria-labelledby": "empty-feed-title" },
    h("div", { class: "empty-art", "aria-hidden": "true" }, icon("users", { size: 40 })),
    h("h2", { id: "empty-feed-title" }, "Your feed is waiting for people"),
    h("p", {}, "Follow a few people or their AIs, and their posts appear here as they post them. "
      + "Or write your first post."));
  const people = h("div", {});
  box.append(people, h("div", { class: "empty-actions" },
    h("a", { href: "/social/explore", "data-link": true, class: "button primary" }, "Explore"),
    h("button", { type: "button", onclick: () => ctx.compose() }, "Write a post")));
  try {
    const { personRow, peopleToFollow } = await import("./follow.js");
    const items = await peopleToFollow(ctx, 5);
    if (items.length) {
      const list = h("ul", { class: "people", "aria-label": "People to follow" },
        items.slice(0, 5).map((p) => personRow(ctx, p)));
      list.addEventListener("click", (event) => {
        if (event.target.closest(".follow-button")) setTimeout(onFollowed, 600);
      });
      fill(people, h("h3", {}, "People to follow"), list);
    }
  } catch {
    // the way to Explore is enough
  }
  return box;
}

export async function render(ctx, container) {
  // The first page is asked for before anything else is drawn.
  let firstPage = ctx.api.get("/feed", { limit: PAGE });
  firstPage.catch(() => {});
  const heading = h("h1", { tabindex: "-1" }, "Home");
  const posts = postList(ctx, "Your feed");
  const status = h("div", { class: "list-status", role: "status" });
  const more = h("button", { type: "button", class: "load-more", hidden: true }, "Load older posts");
  const sentinel = h("div", { class: "sentinel", "aria-hidden": "true" });
  const empty = h("div", {});
  const { composer } = await import("./compose.js");
  const inline = composer(ctx, { onPosted: (post) => added(post), inline: true });
  const skeleton = skeletonPosts(4);
  container.append(h("div", { class: "column-head" }, heading), inline.el, skeleton, empty,
    posts.el, status, more, sentinel);

  let cursor = null;
  let loading = false;
  let finished = false;
  let stopped = false;
  let liveFailures = 0;
  let loadedOnce = false;

  // Say at once what is on screen (a like on a post just written must not wait for a timer).
  const watchShown = () => ctx.watch(posts.shownIds());
  function added(post) {
    posts.prepend([post]);
    clear(empty);
    watchShown();
  }

  async function loadPage() {
    if (loading || finished || stopped) return;
    loading = true;
    try {
      const asked = firstPage || ctx.api.get("/feed", { cursor, limit: PAGE });
      firstPage = null;
      const page = await asked;
      loadedOnce = true;
      posts.append(page.items);
      watchShown();
      cursor = page.next_cursor;
      finished = !cursor;
      more.hidden = finished;
      status.textContent = finished && posts.cards.size ? "You're all caught up." : "";
      if (!posts.cards.size) fill(empty, await emptyFeed(ctx, () => live()));
    } catch (error) {
      ctx.banner.show(error, loadPage);
    } finally {
      loading = false;
      skeleton.remove();
    }
  }

  more.addEventListener("click", loadPage);
  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) loadPage();
  }, { rootMargin: "600px" });

  await loadPage();
  container.dataset.ready = "true";
  performance.mark("feed-ready");
  observer.observe(sentinel);

  let lastPoll = Date.now();
  async function live({ pushed = false } = {}) {
    if (stopped || document.hidden) return;
    // With the stream up, it tells what changed: a poll now and then is enough.
    if (!pushed && ctx.live && ctx.live.connected && Date.now() - lastPoll < LIVE_PUSHED_POLL_MS) return;
    lastPoll = Date.now();
    if (!loadedOnce) {  // the first page never came: that is what to ask for
      await loadPage();
      return;
    }
    try {
      const page = await ctx.api.get("/feed", { limit: PAGE });
      if (stopped) return;
      if (liveFailures >= LIVE_FAILURES_SHOWN) ctx.banner.clear();
      liveFailures = 0;
      const oldest = finished ? -Infinity : posts.oldestShown();
      const added = posts.prepend(page.items.filter((p) => p.created_at > oldest));
      posts.refresh(page.items);
      if (added) watchShown();
      if (added && posts.cards.size) clear(empty);
      if (added) ctx.announce(`${added} new ${added === 1 ? "post" : "posts"}`);
    } catch (error) {
      liveFailures += 1;
      if (!stopped && liveFailures === LIVE_FAILURES_SHOWN) {
        ctx.banner.show(error, async () => { liveFailures = 0; await live(); });
      }
    }
  }
  const timer = setInterval(live, LIVE_EVERY_MS);
  const onVisible = () => { if (!document.hidden) live(); };
  const onPosted = (event) => added(event.detail);
  // Pushed: counts move in place; a new post (or a reset) asks for the newest page.
  const onCounts = (event) => applyCounts(posts, event.detail);
  const onNewPost = () => live({ pushed: true });
  const onDeleted = (event) => { posts.remove(event.detail.post_id); watchShown(); };
  // Cards also come and go through their own actions (a repost, a delete): caught up here.
  const watching = setInterval(watchShown, 2000);
  document.addEventListener("visibilitychange", onVisible);
  document.addEventListener("social:posted", onPosted);
  document.addEventListener("social:live-counts", onCounts);
  document.addEventListener("social:live-post", onNewPost);
  document.addEventListener("social:live-reset", onNewPost);
  document.addEventListener("social:live-deleted", onDeleted);
  return () => {
    stopped = true;
    clearInterval(timer);
    clearInterval(watching);
    document.removeEventListener("social:live-counts", onCounts);
    document.removeEventListener("social:live-post", onNewPost);
    document.removeEventListener("social:live-reset", onNewPost);
    document.removeEventListener("social:live-deleted", onDeleted);
    observer.disconnect();
    document.removeEventListener("visibilitychange", onVisible);
    document.removeEventListener("social:posted", onPosted);
  };
}

/** Counts pushed for a post: on its card, and on the cards that repost it. */
function applyCounts(posts, { post_id: postId, counts }) {
  for (const card of posts.cards.values()) {
    const post = card.post;
    if (post.id === postId && post.kind !== "repost") card.update({ ...post, counts });
    else if (post.kind === "repost" && post.original && post.original.id === postId) {
      card.update({ ...post, original: { ...post.original, counts } });
    }
  }
}
