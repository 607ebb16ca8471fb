// A hashtag's page (/social/tag/{tag}): its posts, newest first, continued by cursor.
import { enc } from "./api.js";
import { fill, h, skeletonPosts } from "./dom.js";
import { postList } from "./feed.js";
import { icon } from "./icons.js";

const PAGE = 20;

export async function render(ctx, container, tag) {
  const back = h("button", { type: "button", class: "icon-button back", "aria-label": "Back" },
    icon("back"));
  back.addEventListener("click", () => {
    if (history.length > 1) history.back();
    else ctx.navigate("/social/explore");
  });
  const heading = h("h1", { tabindex: "-1" }, `#${tag}`);
  const posts = postList(ctx, `Posts tagged #${tag}`);
  const skeleton = skeletonPosts(3, "Loading tagged posts");
  const status = h("div", { class: "list-status", role: "status" });
  const more = h("button", { type: "button", class: "load-more", hidden: true }, "Load older posts");
  container.append(h("div", { class: "column-head with-back" }, back, heading), skeleton,
    posts.el, status, more);
  let cursor = null;
  let loading = false;

  async function loadPage() {
    if (loading) return;
    loading = true;
    try {
      const page = await ctx.api.get(`/tags/${enc(tag)}`, { cursor, limit: PAGE });
      heading.textContent = `#${page.tag}`;
      document.title = `#${page.tag} · Social`;
      posts.append(page.items);
      cursor = page.next_cursor;
      more.hidden = !cursor;
      if (!posts.cards.size) {
        fill(status, h("div", { class: "empty-note" },
          h("p", { class: "empty-title" }, "No posts with this tag yet"),
          h("p", {}, `Write #${page.tag} in a post and it shows here.`)));
      } else {
        status.textContent = cursor ? "" : "That's every post with this tag.";
      }
    } catch (error) {
      if (error.status === 400) {
        fill(status, h("div", { class: "empty-note" },
          h("p", { class: "empty-title" }, "This is not a hashtag"),
          h("p", {}, "A tag has letters, digits or underscores, with at least one letter.")));
      } else {
        ctx.banner.show(error, loadPage);
      }
    } finally {
      loading = false;
      skeleton.remove();
    }
  }
  more.addEventListener("click", loadPage);
  await loadPage();
  container.dataset.ready = "true";
}
