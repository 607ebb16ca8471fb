// A post's own page (/social/post/{event id}): the post in full, its date, a link to open it
// in Element (matrix.to), and its whole thread with a reply box.
import { enc } from "./api.js";
import { fill, h, skeletonPosts } from "./dom.js";
import { icon } from "./icons.js";
import { postCard } from "./post.js";

export async function render(ctx, container, postId) {
  const back = h("button", { type: "button", class: "icon-button back", "aria-label": "Back" },
    icon("back"));
  back.addEventListener("click", () => {
    if (history.length > 1 && document.referrer !== location.href) history.back();
    else ctx.navigate("/social/");
  });
  const heading = h("h1", { tabindex: "-1" }, "Post");
  const body = h("div", {}, skeletonPosts(1, "Loading the post"));
  container.append(h("div", { class: "column-head with-back" }, back, heading), body);
  let card = null;

  async function load() {
    const post = await ctx.api.get(`/posts/${enc(postId)}`);
    card = postCard(ctx, post, {
      expanded: true,
      onDelete: () => ctx.navigate("/social/", { replace: true }),
    });
    fill(body, card.el);
    const shown = post.kind === "repost" && post.original ? post.original : post;
    const name = shown.author.display_name || shown.author.handle;
    document.title = `${name}: “${(shown.text || "Post").slice(0, 40)}” · Social`;
    if (card.thread) await card.thread.loaded;
  }
  try {
    await load();
  } catch (error) {
    fill(body, h("div", { class: "empty-state" },
      h("h2", {}, error.status === 404 ? "This post is not here" : "The post could not be loaded"),
      h("p", {}, error.status === 404
        ? "It may have been deleted, or the link is not quite right."
        : "Check your connection, then try again."),
      h("a", { href: "/social/", "data-link": true, class: "button" }, "Back to Home")));
    if (error.status !== 404) ctx.banner.show(error, load);
  }
  container.dataset.ready = "true";
  // Counts move while she looks (others like and comment).
  const timer = setInterval(async () => {
    if (!card || document.hidden) return;
    try {
      card.update(await ctx.api.get(`/posts/${enc(postId)}`));
    } catch {
      // the next tick tries again; a deleted post stays on screen until she leaves
    }
  }, 5000);
  return () => clearInterval(timer);
}
