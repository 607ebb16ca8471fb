// The app's frame around every section: navigation (a left column with icons and labels on a
// desktop, a bottom tab bar on a phone), the Post button (a floating button on a phone), the
// theme toggle, the one error banner, and the right column (search, trends, who to follow).
import { enc } from "./api.js";
import { clear, describeError, fill, h, skeletonRows } from "./dom.js";
import { icon } from "./icons.js";

export const SECTIONS = [
  { id: "feed", label: "Home", href: "/social/", icon: "home" },
  { id: "explore", label: "Explore", href: "/social/explore", icon: "explore" },
  { id: "notifications", label: "Notifications", href: "/social/notifications", icon: "bell" },
  { id: "messages", label: "Messages", href: "/social/messages", icon: "messages" },
  // Not in a phone's tab bar (her own profile links to it there).
  { id: "bookmarks", label: "Bookmarks", href: "/social/bookmarks", icon: "bookmark", wideOnly: true },
  { id: "profile", label: "Profile", href: "/social/profile", icon: "profile" },
  { id: "settings", label: "Settings", href: "/social/settings", icon: "settings" },
  // Only for the homeserver's admins, once the service said so (showAdminSections).
  { id: "moderation", label: "Moderation", href: "/social/moderation", icon: "shield", adminOnly: true },
];

// --- theme --------------------------------------------------------------------------------

const THEME_KEY = "matrix-social.theme";
const darkQuery = window.matchMedia("(prefers-color-scheme: dark)");

/** "light", "dark" or "system" (the stored choice). */
export function storedTheme() {
  try {
    const value = localStorage.getItem(THEME_KEY);
    return value === "light" || value === "dark" ? value : "system";
  } catch {
    return "system";
  }
}

/** The theme in force now. */
export function currentTheme() {
  const stored = storedTheme();
  if (stored !== "system") return stored;
  return darkQuery.matches ? "dark" : "light";
}

const themeListeners = new Set();
export function onThemeChange(listener) {
  themeListeners.add(listener);
  return () => themeListeners.delete(listener);
}

/** Choose "light", "dark" or "system"; kept in this browser. */
export function setTheme(choice) {
  try {
    if (choice === "system") localStorage.removeItem(THEME_KEY);
    else localStorage.setItem(THEME_KEY, choice);
  } catch {
    // storage blocked: the choice holds for this page only
  }
  if (choice === "system") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = choice;
  for (const listener of themeListeners) listener(currentTheme());
}
darkQuery.addEventListener("change", () => {
  for (const listener of themeListeners) listener(currentTheme());
});

/** "Dark theme", pressed while the dark theme is on. */
function themeToggle() {
  const button = h("button", { type: "button", class: "icon-button theme-toggle" });
  const paint = (theme) => {
    fill(button, icon(theme === "dark" ? "sun" : "moon"), h("span", { class: "nav-text" }, "Dark theme"));
    button.setAttribute("aria-pressed", String(theme === "dark"));
  };
  paint(currentTheme());
  onThemeChange(paint);
  button.addEventListener("click", () => {
    setTheme(currentTheme() === "dark" ? "light" : "dark");
    button.focus();
  });
  return button;
}

// --- the one error banner -------------------------------------------------------------------

/** One banner for the page's errors: a new error replaces the one shown (never two boxes),
 * with a Try again button when there is something to retry. */
export function makeBanner() {
  const el = h("div", { class: "banner", role: "alert", hidden: true });
  let current = null;
  return {
    el,
    show(error, retry) {
      current = { error, retry };
      const message = h("p", { class: "banner-text" }, describeError(error));
      const again = retry ? h("button", { type: "button", class: "banner-retry" },
        icon("refresh", { size: 18 }), "Try again") : null;
      const close = h("button", { type: "button", class: "icon-button banner-close",
        "aria-label": "Dismiss" }, icon("close", { size: 18 }));
      close.addEventListener("click", () => this.clear());
      if (again) {
        again.addEventListener("click", async () => {
          const mine = current;
          again.setAttribute("aria-busy", "true");
          try {
            await retry();
            if (current === mine) this.clear();
          } catch (failure) {
            if (current === mine) this.show(failure, retry);
          }
        });
      }
      fill(el, h("span", { class: "banner-icon", "aria-hidden": "true" }, "!"), message, again, close);
      el.hidden = false;
    },
    clear() {
      current = null;
      el.hidden = true;
      clear(el);
    },
    get shown() { return !el.hidden; },
  };
}

// --- navigation -----------------------------------------------------------------------------

export function buildNav(ctx) {
  const list = document.getElementById("nav-list");
  fill(list, SECTIONS.map((section) => h("li", { class: section.wideOnly ? "wide-only" : null,
    hidden: section.adminOnly === true },
    h("a", { href: section.href, "data-link": true, dataset: { section: section.id },
      class: "nav-link" },
    icon(section.icon, { size: 26 }), h("span", { class: "nav-text" }, section.label),
    section.id === "notifications" ? h("span", { class: "nav-unread", hidden: true },
      h("span", { class: "visually-hidden" }, ", "), h("span", { class: "nav-badge" }),
      h("span", { class: "visually-hidden" }, " unread")) : null))));

  const post = h("button", { type: "button", class: "primary post-button", "aria-label": "New post" },
    icon("write", { size: 22 }), h("span", { class: "nav-text" }, "Post"));
  post.addEventListener("click", () => ctx.compose());
  const fab = h("button", { type: "button", class: "fab", "aria-label": "Write a post" },
    icon("write", { size: 26 }));
  fab.addEventListener("click", () => ctx.compose());
  const me = h("a", { href: "/social/profile", "data-link": true, class: "account-chip" },
  h("span", { class: "avatar avatar-36", "aria-hidden": "true" }),
  h("span", { class: "account-text" },
    h("span", { class: "account-name" }, ctx.session.userId.slice(1).split(":")[0]),
    h("span", { class: "account-handle" }, ctx.session.userId)));
  fill(document.getElementById("header-actions"), post, themeToggle(), me, fab);
  return { accountChip: me };
}

/** Show (or keep hidden) the sections for the homeserver's admins. */
export function showAdminSections(isAdmin) {
  for (const section of SECTIONS.filter((s) => s.adminOnly)) {
    const link = document.querySelector(`#nav-list [data-section="${section.id}"]`);
    if (link) link.closest("li").hidden = !isAdmin;
  }
}

/** The bell's unread count (0 hides it); the link's name says it too. */
export function setUnread(count) {
  const unread = document.querySelector("#nav-list .nav-unread");
  if (!unread) return;
  unread.hidden = !count;
  unread.querySelector(".nav-badge").textContent = count > 99 ? "99+" : String(count || "");
}

const UNREAD_POLL_MS = 30_000;

/** The bell's count: now, when the page comes back into view, and every 30 s. */
export function watchUnread(ctx) {
  let stopped = false;
  async function refresh() {
    if (stopped || document.hidden) return;
    try {
      setUnread((await ctx.api.get("/notifications/unread_count")).count);
    } catch {
      // the count waits for the next try
    }
  }
  const timer = setInterval(refresh, UNREAD_POLL_MS);
  const onVisible = () => refresh();
  document.addEventListener("visibilitychange", onVisible);
  refresh();
  return () => {
    stopped = true;
    clearInterval(timer);
    document.removeEventListener("visibilitychange", onVisible);
  };
}

export function markSection(sectionId, title) {
  for (const link of document.querySelectorAll("#nav-list [data-section]")) {
    if (link.dataset.section === sectionId) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.getElementById("top-title").textContent = title;
}

// --- right column ---------------------------------------------------------------------------

const wide = window.matchMedia("(min-width: 1100px)");

/** Search, what is trending and who to follow; loaded after the page's own content, and only
 * where there is room for it. */
export function rightColumn(ctx, { personRow, postSummary, peopleToFollow }) {
  const aside = document.getElementById("right-col");
  let loaded = false;
  const query = h("input", { type: "search", name: "q", placeholder: "Search",
    "aria-label": "Search", autocomplete: "off" });
  const form = h("form", { class: "side-search", role: "search" },
    icon("search", { size: 18 }), query);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const q = query.value.trim();
    ctx.navigate(q ? `/social/explore?q=${enc(q)}` : "/social/explore");
  });
  const trends = h("section", { class: "side-card side-trends", "aria-labelledby": "side-trends" },
    h("h2", { id: "side-trends" }, "Trending"), skeletonRows(3, "Loading what is trending"));
  const follow = h("section", { class: "side-card", "aria-labelledby": "side-follow" },
    h("h2", { id: "side-follow" }, "Who to follow"), skeletonRows(3, "Loading suggestions"));
  const foot = h("p", { class: "side-foot" }, "A social network on Matrix. ",
    h("a", { href: "https://matrix.org", target: "_blank", rel: "noopener noreferrer" },
      "About Matrix"));
  fill(aside, form, trends, follow, foot);

  async function load() {
    if (loaded || !wide.matches) return;
    loaded = true;
    const [posts, apps, tags] = await Promise.allSettled([
      ctx.api.get("/explore/trending", { limit: 20 }),
      ctx.api.get("/explore/apps", { limit: 3 }),
      ctx.api.get("/trends/tags", { limit: 5 }),
    ]);
    const [people] = await Promise.allSettled([
      peopleToFollow(ctx, 3, posts.status === "fulfilled" ? posts.value.items : [])]);
    const trendItems = [
      ...(tags.status === "fulfilled" ? tags.value.items : []).map((tag) => h("li", { class: "trend" },
        h("a", { href: tag.path, "data-link": true, class: "trend-link" },
          h("span", { class: "trend-kind" }, icon("hash", { size: 16 }), "Tag"),
          h("span", { class: "trend-title" }, `#${tag.tag}`),
          h("span", { class: "trend-meta" },
            `${tag.accounts} ${tag.accounts === 1 ? "person" : "people"} today`)))),
      ...(posts.status === "fulfilled" ? posts.value.items : []).slice(0, 4).map((p) => postSummary(p)),
      ...(apps.status === "fulfilled" ? apps.value.items : []).map((app) => h("li", { class: "trend" },
        h("a", { href: `/social/explore?q=${enc(app.name)}`, "data-link": true, class: "trend-link" },
          h("span", { class: "trend-kind" }, icon("app", { size: 16 }), "App"),
          h("span", { class: "trend-title" }, app.name),
          h("span", { class: "trend-meta" }, `${app.installs_7d ?? 0} installs this week`)))),
    ];
    fill(trends, trends.querySelector("h2"), trendItems.length
      ? h("ul", { class: "trends", "aria-label": "Trending now" }, trendItems)
      : h("p", { class: "side-empty" }, "Nothing is trending yet. Likes in the last day put posts here."),
    h("a", { href: "/social/explore", "data-link": true, class: "side-more" }, "Show more"));
    const suggested = people.status === "fulfilled" ? people.value : [];
    fill(follow, follow.querySelector("h2"), suggested.length
      ? h("ul", { class: "people compact", "aria-label": "Who to follow" },
        suggested.map((p) => personRow(ctx, p, { compact: true })))
      : h("p", { class: "side-empty" }, "Suggestions appear as you and others share interests and apps."),
    h("a", { href: "/social/explore", "data-link": true, class: "side-more" }, "Find people"));
  }
  return {
    show(visible) {
      aside.hidden = !visible;
      // After the page itself: the first screen's requests go first.
      if (visible) ctx.firstPaint.then(() => setTimeout(load, 0));
    },
    refresh() { loaded = false; load(); },
    watch() { wide.addEventListener("change", () => { if (!aside.hidden) load(); }); },
  };
}
