// Followers and following as their own pages (/social/profile/{handle}/followers and
// /following): a person per row with Follow, page by page.
import { enc } from "./api.js";
import { busy, fill, h, skeletonRows } from "./dom.js";
import { personRow } from "./follow.js";
import { icon } from "./icons.js";
import { profileHref } from "./post.js";

const PAGE = 30;

export async function render(ctx, container, { handle, list }) {
  const back = h("a", { href: `/social/profile/${enc(handle)}`, "data-link": true,
    class: "icon-button back", "aria-label": "Back to the profile" }, icon("back"));
  const heading = h("h1", { tabindex: "-1" }, list === "followers" ? "Followers" : "Following");
  const sub = h("p", { class: "column-sub" });
  const tabs = h("nav", { class: "tabs link-tabs", "aria-label": "People" },
    ["followers", "following"].map((name) => h("a", { href: `/social/profile/${enc(handle)}/${name}`,
      "data-link": true, "aria-current": name === list ? "page" : null },
    name === "followers" ? "Followers" : "Following")));
  const people = h("ul", { class: "people", "aria-label": heading.textContent });
  const more = h("button", { type: "button", class: "load-more", hidden: true }, "Show more");
  const body = h("div", {}, skeletonRows(5, `Loading ${heading.textContent.toLowerCase()}`));
  container.append(h("div", { class: "column-head with-back" }, back,
    h("div", {}, heading, sub)), tabs, body);

  let cursor = null;
  let profile = null;
  async function page() {
    const answer = await ctx.api.get(`/${list}/${enc(handle)}`, { cursor, limit: PAGE });
    for (const person of answer.items) people.append(personRow(ctx, person));
    cursor = answer.next_cursor;
    more.hidden = !cursor;
    return answer;
  }
  try {
    profile = await ctx.api.get(`/profile/${enc(handle)}`);
    sub.textContent = `${profile.display_name || profile.handle} · @${profile.handle}`;
    back.setAttribute("href", profileHref(profile));
    await page();
    fill(body, people.children.length ? people : h("div", { class: "empty-note" },
      h("p", { class: "empty-title" }, list === "followers" ? "No followers yet" : "Not following anyone yet"),
      h("p", {}, list === "followers"
        ? "When people follow this account, they show up here."
        : "Accounts this person follows show up here.")), more);
  } catch (error) {
    fill(body);
    ctx.banner.show(error, () => ctx.navigate(location.pathname, { replace: true }));
  }
  more.addEventListener("click", () => busy(more, page, (error) => ctx.banner.show(error)));
  container.dataset.ready = "true";
}
