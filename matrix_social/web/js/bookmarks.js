// Bookmarks (/social/bookmarks): the posts she saved, the most recently saved first. Private:
// nobody else sees them. A post she unsaves here stays on screen until she leaves.
import { fill, h, skeletonPosts } from "./dom.js";
import { postList } from "./feed.js";
import { icon } from "./icons.js";

const PAGE = 20;

export async function render(ctx, container) {
  const heading = h("h1", { tabindex: "-1" }, "Bookmarks");
  const posts = postList(ctx, "Your bookmarks");
  const skeleton = skeletonPosts(3, "Loading your bookmarks");
  const status = h("div", { class: "list-status", role: "status" });
  const empty = h("div", {});
  const more = h("button", { type: "button", class: "load-more", hidden: true }, "Load more");
  container.append(h("div", { class: "column-head" }, heading), skeleton, empty, posts.el, status,
    more);
  let cursor = null;
  let loading = false;

  async function loadPage() {
    if (loading) return;
    loading = true;
    try {
      const page = await ctx.api.get("/bookmarks", { cursor, limit: PAGE });
      posts.append(page.items);
      cursor = page.next_cursor;
      more.hidden = !cursor;
      if (!posts.cards.size) {
        fill(empty, h("section", { class: "empty-state", "aria-labelledby": "no-bookmarks" },
          h("div", { class: "empty-art", "aria-hidden": "true" }, icon("bookmark", { size: 40 })),
          h("h2", { id: "no-bookmarks" }, "Nothing saved yet"),
          h("p", {}, "Choose Bookmark in a post's menu (…) to keep it here. Only you see your bookmarks.")));
      } else {
        status.textContent = cursor ? "" : "That's everything you saved.";
      }
    } catch (error) {
      ctx.banner.show(error, loadPage);
    } finally {
      loading = false;
      skeleton.remove();
    }
  }
  more.addEventListener("click", loadPage);
  await loadPage();
  container.dataset.ready = "true";
}
