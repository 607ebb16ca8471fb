// A post's own page (/social/post/{event id}): the post in full, its date, a link to open it
// in Element (matrix.to), and its whole thread with a reply box. Its counts move by the live
// stream (a new comment reloads the thread; a deletion elsewhere shows here); while the stream
// is down the page asks every 5 s instead.
import { enc } from "./api.js";
import { fill, h, skeletonPosts } from "./dom.js";
import { icon } from "./icons.js";
import { postCard } from "./post.js";

const POLL_MS = 5000;
const SAFETY_NET_MS = 60_000;

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
  let deleted = false;
  // The post whose counts the card shows (a repost shows its original's).
  const shownId = () => {
    const post = card && card.post;
    return post && post.kind === "repost" && post.original ? post.original.id : postId;
  };

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
    ctx.watch([shownId()]);
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
  async function refresh() {
    if (!card || deleted) return;
    try {
      card.update(await ctx.api.get(`/posts/${enc(postId)}`));
    } catch (error) {
      if (error.status === 404) gone();
      // otherwise the next tick tries again
    }
  }
  function gone() {
    if (deleted) return;
    deleted = true;
    fill(body, h("div", { class: "empty-state", role: "status" },
      h("h2", {}, "This post was deleted"),
      h("p", {}, "Its author took it down while you were reading."),
      h("a", { href: "/social/", "data-link": true, class: "button" }, "Back to Home")));
  }
  // Counts move while she looks (others like and comment): pushed while the stream is up;
  // asked for every 5 s while it is down, and once a minute even then (a safety net).
  let lastAsked = Date.now();
  const timer = setInterval(() => {
    if (!card || document.hidden) return;
    const streaming = ctx.live && ctx.live.connected;
    if (streaming && Date.now() - lastAsked < SAFETY_NET_MS) return;
    lastAsked = Date.now();
    refresh();
  }, POLL_MS);
  const onCounts = (event) => {
    const { post_id: id, counts } = event.detail;
    if (!card || deleted || id !== shownId()) return;
    const post = card.post;
    card.update(post.kind === "repost" && post.original
      ? { ...post, original: { ...post.original, counts } } : { ...post, counts });
  };
  const onDeleted = (event) => {
    if (event.detail.post_id === postId || event.detail.post_id === shownId()) gone();
  };
  const onPost = (event) => {  // an edit of this post (or everything, after a reset)
    if (!event.detail.post_id || event.detail.post_id === postId) refresh();
  };
  document.addEventListener("social:live-counts", onCounts);
  document.addEventListener("social:live-deleted", onDeleted);
  document.addEventListener("social:live-post", onPost);
  document.addEventListener("social:live-reset", onPost);
  return () => {
    clearInterval(timer);
    document.removeEventListener("social:live-counts", onCounts);
    document.removeEventListener("social:live-deleted", onDeleted);
    document.removeEventListener("social:live-post", onPost);
    document.removeEventListener("social:live-reset", onPost);
  };
}
