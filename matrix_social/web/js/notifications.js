// Notifications (/social/notifications): grouped items ("Bob and 3 others liked your post"),
// newest first, page by page; opening the page marks them read.
import { enc } from "./api.js";
import { busy, fill, h, shortTime, skeletonRows } from "./dom.js";
import { icon } from "./icons.js";
import { avatar, profileHref } from "./post.js";
import { setUnread } from "./shell.js";

const PAGE = 30;

const WHAT = {
  like: ["heart", "liked your post"],
  repost: ["repost", "reposted your post"],
  comment: ["comment", "commented on your post"],
  reply: ["comment", "replied to your comment"],
  follow: ["users", "followed you"],
  mention: ["comment", "mentioned you"],
  ai_answer: ["sparkle", "Your AI answered"],
};

function nameOf(account) {
  return account.display_name || account.handle || account.user_id;
}

/** "Bob", "Bob and Carol", "Bob and 3 others". */
export function actorsText(item) {
  const names = (item.accounts || []).map(nameOf);
  const first = names[0] || item.actors[0] || "Someone";
  const others = item.actor_count - 1;
  if (others <= 0) return first;
  if (others === 1 && names[1]) return `${first} and ${names[1]}`;
  return `${first} and ${others} others`;
}

function target(item) {
  if (item.type === "ai_answer" && item.room_id) return `https://matrix.to/#/${enc(item.room_id)}`;
  if (item.post_id) return `/social/post/${enc(item.post_id)}`;
  if (item.accounts && item.accounts[0]) return profileHref(item.accounts[0]);
  return "/social/notifications";
}

function row(ctx, item) {
  const [iconName, verb] = WHAT[item.type] || ["bell", item.type];
  const what = item.type === "mention" && item.via ? "mentioned your AI" : verb;
  const sentence = item.type === "ai_answer" ? `${verb} ${actorsText(item)}` : `${actorsText(item)} ${what}`;
  const faces = h("div", { class: "notification-faces", "aria-hidden": "true" },
    (item.accounts || []).slice(0, 5).map((account) => avatar(ctx, account, 32)));
  const date = new Date(item.ts);
  return h("li", { class: `notification${item.read ? "" : " notification-unread"}`, dataset: { type: item.type } },
    h("span", { class: `notification-icon notification-${item.type}` }, icon(iconName, { size: 24 })),
    h("div", { class: "notification-body" },
      faces,
      h("a", { href: target(item), class: "notification-text",
        ...(item.type === "ai_answer" && item.room_id ? {} : { "data-link": true }) },
        h("span", {}, sentence),
        item.read ? null : h("span", { class: "visually-hidden" }, " (new)")),
      item.post_excerpt ? h("p", { class: "notification-excerpt" }, item.post_excerpt) : null,
      h("time", { datetime: date.toISOString(), class: "notification-time",
        title: date.toLocaleString() }, shortTime(item.ts))));
}

export async function render(ctx, container) {
  const heading = h("h1", { tabindex: "-1" }, "Notifications");
  const list = h("ul", { class: "notifications", "aria-label": "Notifications" });
  const more = h("button", { type: "button", class: "load-more", hidden: true }, "Show more");
  const body = h("div", {}, skeletonRows(5, "Loading notifications"));
  container.append(h("div", { class: "column-head" }, heading), body);
  let cursor = null;
  let newest = 0;
  async function page() {
    const answer = await ctx.api.get("/notifications", { cursor, limit: PAGE });
    for (const item of answer.items) {
      newest = Math.max(newest, item.id);
      list.append(row(ctx, item));
    }
    cursor = answer.next_cursor;
    more.hidden = !cursor;
  }
  try {
    await page();
    fill(body, list.children.length ? list : h("div", { class: "empty-note" },
      h("p", { class: "empty-title" }, "Nothing yet"),
      h("p", {}, "Likes, comments, reposts, follows and mentions show up here.")), more);
    if (newest) {
      const answer = await ctx.api.post("/notifications/read", { up_to: newest });
      setUnread(answer.count);
    }
  } catch (error) {
    fill(body);
    ctx.banner.show(error, () => ctx.navigate(location.pathname, { replace: true }));
  }
  more.addEventListener("click", () => busy(more, page, (error) => ctx.banner.show(error)));
  container.dataset.ready = "true";
}
