// The Feed: your chronological feed, newest first, with infinite scroll (cursor) and new posts
// coming in while you look (the newest page is asked for again every few seconds).
import { composer } from "./compose.js";
import { clear, errorBox, fill, h } from "./dom.js";
import { postCard } from "./post.js";

const PAGE = 20;
const LIVE_EVERY_MS = 2500;

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
  return { el: list, cards, append, prepend, refresh, oldestShown };
}

export async function render(ctx, container) {
  const heading = h("h1", { tabindex: "-1" }, "Feed");
  const status = h("div", { class: "list-status", role: "status" });
  const posts = postList(ctx, "Your feed", {});
  const more = h("button", { type: "button", class: "load-more", hidden: true }, "Load older posts");
  const sentinel = h("div", { class: "sentinel", "aria-hidden": "true" });
  const liveError = h("div", { class: "live-error" });
  container.append(heading,
    composer(ctx, (post) => {
      posts.prepend([post]);
      if (status.textContent.startsWith("Your feed is empty")) status.textContent = "";
    }),
    liveError, posts.el, status, more, sentinel);

  let cursor = null;
  let loading = false;
  let finished = false;
  let stopped = false;

  async function loadPage() {
    if (loading || finished || stopped) return;
    loading = true;
    status.textContent = "Loading posts…";
    try {
      const page = await ctx.api.get("/feed", { cursor, limit: PAGE });
      posts.append(page.items);
      cursor = page.next_cursor;
      finished = !cursor;
      more.hidden = finished;
      status.textContent = posts.cards.size === 0
        ? "Your feed is empty. Follow people in Explore, or write your first post."
        : finished ? "You have reached the start of your feed." : "";
    } catch (error) {
      fill(status, errorBox(error, () => { clear(status); loadPage(); }));
    } finally {
      loading = false;
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

  async function live() {
    if (stopped || document.hidden) return;
    try {
      const page = await ctx.api.get("/feed", { limit: PAGE });
      if (stopped) return;
      clear(liveError);
      const oldest = finished ? -Infinity : posts.oldestShown();
      const added = posts.prepend(page.items.filter((p) => p.created_at > oldest));
      posts.refresh(page.items);
      if (added && status.textContent.startsWith("Your feed is empty")) status.textContent = "";
      if (added) ctx.announce(`${added} new ${added === 1 ? "post" : "posts"}`);
    } catch (error) {
      if (!stopped) fill(liveError, errorBox(error));
    }
  }
  const timer = setInterval(live, LIVE_EVERY_MS);
  const onVisible = () => { if (!document.hidden) live(); };
  document.addEventListener("visibilitychange", onVisible);
  return () => {
    stopped = true;
    clearInterval(timer);
    observer.disconnect();
    document.removeEventListener("visibilitychange", onVisible);
  };
}
