// Explore: one search box with tabs (all, people, posts, apps), and, before a search, what is
// happening: people to follow (with the reason; for a new account, the people behind what is
// liked today), trending posts and trending apps.
import { enc } from "./api.js";
import { busy, fill, h, skeletonPosts, skeletonRows } from "./dom.js";
import { postList } from "./feed.js";
import { followButton, peopleToFollow, personRow } from "./follow.js";
import { icon } from "./icons.js";
import { appCard } from "./post.js";

export { followButton, personRow };

export function installButton(ctx, app) {
  const button = h("button", { type: "button", class: "small", "aria-label": `Install ${app.name}` },
    "Install");
  const count = h("span", { class: "hint" }, `${app.installs ?? 0} installs`);
  button.addEventListener("click", () => busy(button, async () => {
    const result = await ctx.api.post(`/apps/${enc(app.id)}/install`);
    button.textContent = "Installed";
    button.disabled = true;
    count.textContent = `${result.installs} installs`;
    ctx.announce(`${app.name} installed`);
  }, (error) => ctx.banner.show(error)));
  return [button, count];
}

export function appsList(ctx, apps) {
  return h("ul", { class: "apps-list", "aria-label": "Apps" }, apps.map((app) =>
    h("li", {}, appCard(ctx, app, installButton(ctx, app)))));
}

const TABS = [["all", "All"], ["users", "People"], ["posts", "Posts"], ["apps", "Apps"], ["tags", "Tags"]];

function tagsList(tags) {
  return h("ul", { class: "trends tag-results", "aria-label": "Tags" }, tags.map((tag) =>
    h("li", { class: "trend" }, h("a", { href: tag.path, "data-link": true, class: "trend-link" },
      h("span", { class: "trend-title" }, `#${tag.tag}`),
      h("span", { class: "trend-meta" }, `${tag.uses} ${tag.uses === 1 ? "post" : "posts"}`)))));
}

function emptyNote(title, text) {
  return h("div", { class: "empty-note" }, h("p", { class: "empty-title" }, title), h("p", {}, text));
}

export async function render(ctx, container) {
  const initial = new URLSearchParams(location.search).get("q") || "";
  const query = h("input", { type: "search", name: "q", autocomplete: "off", value: initial,
    placeholder: "Search people, posts and apps", "aria-label": "Search people, posts and apps" });
  const submit = h("button", { type: "submit", class: "primary small" }, "Search");
  const form = h("form", { class: "search-form", role: "search" },
    h("span", { class: "search-box" }, icon("search", { size: 18 }), query), submit);
  const tabButtons = TABS.map(([type, label]) => h("button", {
    type: "button", role: "tab", id: `tab-${type}`, "aria-controls": "search-results",
    "aria-selected": type === "all" ? "true" : "false", tabindex: type === "all" ? "0" : "-1",
    dataset: { type } }, label));
  const tabs = h("div", { class: "tabs", role: "tablist", "aria-label": "Result types",
    hidden: true }, tabButtons);
  const results = h("div", { id: "search-results", role: "tabpanel",
    "aria-labelledby": "tab-all", hidden: true });
  const discover = h("div", { class: "discover" });
  container.append(h("div", { class: "column-head" }, h("h1", { tabindex: "-1" }, "Explore")),
    h("div", { class: "explore-top" }, form, tabs), results, discover);
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
    history.replaceState(null, "", q ? `/social/explore?q=${enc(q)}` : "/social/explore");
    if (!q) return;
    fill(results, skeletonRows(3, "Searching"));
    try {
      const data = await ctx.api.get("/search", { q, type, limit: 20 });
      fill(results);
      // Tags lead "All" when some match (a search for "#matrix" is mostly a search for it).
      const withTags = data.tags && data.tags.items.length ? ["tags"] : [];
      const sections = type === "all" ? [...withTags, "users", "posts", "apps"] : [type];
      let total = 0;
      for (const kind of sections) {
        const items = (data[kind] && data[kind].items) || [];
        total += items.length;
        if (type === "all") results.append(h("h2", { class: "list-title" }, TABS.find(([t]) => t === kind)[1]));
        if (!items.length) {
          results.append(h("p", { class: "status" }, `No ${kind === "users" ? "people" : kind} found for “${q}”.`));
        } else if (kind === "users") {
          results.append(h("ul", { class: "people", "aria-label": "People" },
            items.map((p) => personRow(ctx, p))));
        } else if (kind === "tags") {
          results.append(tagsList(items));
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
      fill(results);
      ctx.banner.show(error, search);
    }
  }
  form.addEventListener("submit", (event) => { event.preventDefault(); search(); });

  const suggestions = h("section", { "aria-labelledby": "suggested-people", class: "discover-part" },
    h("h2", { id: "suggested-people", class: "list-title" }, "People to follow"), skeletonRows(3, "Loading people"));
  const trending = h("section", { "aria-labelledby": "trending-posts", class: "discover-part" },
    h("h2", { id: "trending-posts", class: "list-title" }, "Trending posts"), skeletonPosts(2, "Loading trending posts"));
  const trendingApps = h("section", { "aria-labelledby": "trending-apps", class: "discover-part" },
    h("h2", { id: "trending-apps", class: "list-title" }, "Trending apps"), skeletonRows(2, "Loading apps"));
  discover.append(suggestions, trending, trendingApps);

  const [posts, apps] = await Promise.allSettled([
    ctx.api.get("/explore/trending", { limit: 20 }),
    ctx.api.get("/explore/apps", { limit: 10 }),
  ]);
  const trendingItems = posts.status === "fulfilled" ? posts.value.items : [];
  const people = await Promise.allSettled([peopleToFollow(ctx, 6, trendingItems)]);
  const failed = [people[0], posts, apps].find((r) => r.status === "rejected");
  if (failed) ctx.banner.show(failed.reason, () => ctx.navigate(location.pathname + location.search, { replace: true }));
  const peopleItems = people[0].status === "fulfilled" ? people[0].value : [];
  fill(suggestions, suggestions.querySelector("h2"), peopleItems.length
    ? h("ul", { class: "people", "aria-label": "Suggested people" },
      peopleItems.slice(0, 6).map((person) => personRow(ctx, person)))
    : emptyNote("No suggestions yet",
      "Add interests to your profile: people who share them show up here. Or search for someone you know."));
  if (trendingItems.length) {
    const list = postList(ctx, "Trending posts");
    list.append(trendingItems);
    fill(trending, trending.querySelector("h2"), list.el);
  } else {
    fill(trending, trending.querySelector("h2"), emptyNote("Nothing is trending right now",
      "Posts that people like in the last 24 hours rise here. Like what you enjoy to lift it."));
  }
  const appItems = apps.status === "fulfilled" ? apps.value.items : [];
  fill(trendingApps, trendingApps.querySelector("h2"), appItems.length ? appsList(ctx, appItems)
    : emptyNote("No trending apps this week", "Apps people install this week show up here."));
  if (initial) search();
  container.dataset.ready = "true";
}
