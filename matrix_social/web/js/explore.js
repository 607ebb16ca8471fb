// Explore: trending posts and apps, people to follow (with the reason), and one search box with
// tabs for all, people, posts and apps.
import { enc } from "./api.js";
import { busy, clear, errorBox, field, fill, h } from "./dom.js";
import { postList } from "./feed.js";
import { appCard, avatar, profileHref } from "./post.js";

export function followButton(ctx, person, following = false) {
  let state = following;
  const label = () => (state ? "Following" : "Follow");
  const button = h("button", { type: "button", class: state ? "" : "primary",
    "aria-pressed": String(state) }, label());
  button.setAttribute("aria-label", `${label()} ${person.display_name || person.handle}`);
  button.addEventListener("click", () => busy(button, async () => {
    if (state) await ctx.api.del("/unfollow", { handle: person.user_id || person.handle });
    else await ctx.api.post("/follow", { handle: person.user_id || person.handle });
    state = !state;
    button.textContent = label();
    button.className = state ? "" : "primary";
    button.setAttribute("aria-pressed", String(state));
    button.setAttribute("aria-label", `${label()} ${person.display_name || person.handle}`);
    ctx.announce(state ? `Following ${person.display_name || person.handle}`
      : `Unfollowed ${person.display_name || person.handle}`);
  }, (error) => button.after(errorBox(error))));
  return button;
}

export function personRow(ctx, person, extra) {
  const mine = person.user_id === ctx.session.userId;
  return h("li", { class: "person" }, avatar(ctx, person),
    h("div", { class: "who" },
      h("a", { href: profileHref(person), "data-link": true, class: "name" },
        person.display_name || person.handle),
      h("span", { class: "handle" }, ` @${person.handle}`),
      person.bio ? h("p", { class: "reasons" }, person.bio) : null,
      extra),
    mine ? null : followButton(ctx, person, Boolean(person.following)));
}

export function installButton(ctx, app) {
  const button = h("button", { type: "button", "aria-label": `Install ${app.name}` }, "Install");
  const count = h("span", { class: "hint" }, `${app.installs ?? 0} installs`);
  button.addEventListener("click", () => busy(button, async () => {
    const result = await ctx.api.post(`/apps/${enc(app.id)}/install`);
    button.textContent = "Installed";
    button.disabled = true;
    count.textContent = `${result.installs} installs`;
    ctx.announce(`${app.name} installed`);
  }, (error) => button.after(errorBox(error))));
  return [button, count];
}

export function appsList(ctx, apps) {
  return h("ul", { class: "apps-list", "aria-label": "Apps" }, apps.map((app) =>
    h("li", {}, appCard(ctx, app, installButton(ctx, app)))));
}

const TABS = [["all", "All"], ["users", "People"], ["posts", "Posts"], ["apps", "Apps"]];

export async function render(ctx, container) {
  const query = h("input", { type: "search", name: "q", autocomplete: "off" });
  const submit = h("button", { type: "submit", class: "primary" }, "Search");
  const form = h("form", { class: "search-form", role: "search" },
    field("Search people, posts and apps", query), submit);
  const tabButtons = TABS.map(([type, label]) => h("button", {
    type: "button", role: "tab", id: `tab-${type}`, "aria-controls": "search-results",
    "aria-selected": type === "all" ? "true" : "false", tabindex: type === "all" ? "0" : "-1",
    dataset: { type } }, label));
  const tabs = h("div", { class: "tabs", role: "tablist", "aria-label": "Result types",
    hidden: true }, tabButtons);
  const results = h("div", { id: "search-results", role: "tabpanel",
    "aria-labelledby": "tab-all", hidden: true });
  const discover = h("div", { class: "discover" });
  container.append(h("h1", {}, "Explore"), form, tabs, results, discover);
  let type = "all";

  function selectTab(next, focus) {
    type = next;
    for (const button of tabButtons) {
      const selected = button.dataset.type === type;
      button.setAttribute("aria-selected", String(selected));
      button.tabIndex = selected ? 0 : -1;
      if (selected && focus) button.focus();
    }
    results.setAttribute("aria-labelledby", `tab-${type}`);
    search();
  }
  tabs.addEventListener("click", (event) => {
    const button = event.target.closest("[role=tab]");
    if (button) selectTab(button.dataset.type, false);
  });
  tabs.addEventListener("keydown", (event) => {
    const index = TABS.findIndex(([t]) => t === type);
    const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    if (step) {
      event.preventDefault();
      selectTab(TABS[(index + step + TABS.length) % TABS.length][0], true);
    }
  });

  async function search() {
    const q = query.value.trim();
    tabs.hidden = results.hidden = !q;
    discover.hidden = Boolean(q);
    if (!q) return;
    fill(results, h("p", { class: "status", role: "status" }, "Searching…"));
    try {
      const data = await ctx.api.get("/search", { q, type, limit: 20 });
      clear(results);
      const sections = type === "all" ? ["users", "posts", "apps"] : [type];
      let total = 0;
      for (const kind of sections) {
        const items = (data[kind] && data[kind].items) || [];
        total += items.length;
        if (type === "all") results.append(h("h2", {}, TABS.find(([t]) => t === kind)[1]));
        if (!items.length) {
          results.append(h("p", { class: "status" }, `No ${kind === "users" ? "people" : kind} found.`));
        } else if (kind === "users") {
          results.append(h("ul", { class: "people", "aria-label": "People" },
            items.map((p) => personRow(ctx, p))));
        } else if (kind === "posts") {
          const list = postList(ctx, "Posts found");
          list.append(items);
          results.append(list.el);
        } else {
          results.append(appsList(ctx, items));
        }
      }
      ctx.announce(`${total} results for ${q}`);
    } catch (error) {
      fill(results, errorBox(error, search));
    }
  }
  form.addEventListener("submit", (event) => { event.preventDefault(); search(); });

  const trendingApps = h("section", { "aria-labelledby": "trending-apps" },
    h("h2", { id: "trending-apps" }, "Trending apps"), h("p", { class: "status" }, "Loading…"));
  const suggestions = h("section", { "aria-labelledby": "suggested-people" },
    h("h2", { id: "suggested-people" }, "People to follow"), h("p", { class: "status" }, "Loading…"));
  const trending = h("section", { "aria-labelledby": "trending-posts" },
    h("h2", { id: "trending-posts" }, "Trending posts"), h("p", { class: "status" }, "Loading…"));
  discover.append(suggestions, trendingApps, trending);

  async function loadSection(section, path, show) {
    const heading = section.querySelector("h2");
    try {
      const data = await ctx.api.get(path, { limit: 10 });
      fill(section, heading, data.items.length ? show(data.items)
        : h("p", { class: "status" }, "Nothing here yet."));
    } catch (error) {
      fill(section, heading, errorBox(error, () => loadSection(section, path, show)));
    }
  }
  await Promise.all([
    loadSection(suggestions, "/explore/suggestions", (items) => h("ul", { class: "people",
      "aria-label": "Suggested people" }, items.map((person) => personRow(ctx, person,
      person.reasons && person.reasons.length
        ? h("p", { class: "reasons" }, person.reasons.join(" · ")) : null)))),
    loadSection(trendingApps, "/explore/apps", (items) => appsList(ctx, items)),
    loadSection(trending, "/explore/trending", (items) => {
      const list = postList(ctx, "Trending posts");
      list.append(items);
      return list.el;
    }),
  ]);
  container.dataset.ready = "true";
}
