// Start-up: configuration, sign-in, the frame (shell.js) and the router.
// Routes: /social/ (Home), /social/explore[?q=], /social/post/{event id},
// /social/profile[/{handle}[/followers|/following]], /social/messages[/{room id}],
// /social/settings, /social/tag/{tag}, /social/bookmarks, /social/welcome (after signing
// up), /social/moderation[?status=] (the homeserver's admins); signed out: /social/signup.
import { makeApi } from "./api.js";
import { announce, describeError, errorBox, field, fill, h } from "./dom.js";
import { icon } from "./icons.js";
import { usePlatforms } from "./platforms.js";
import { finishSso, loadSession, loginFlows, passwordLogin, signOut, ssoUrl } from "./session.js";
import { buildNav, makeBanner, markSection, rightColumn, showAdminSections, watchUnread } from "./shell.js";
import { atHandle } from "./text.js";

const main = document.getElementById("main");
const header = document.getElementById("app-header");

const SECTIONS = {
  feed: () => import("./feed.js"),
  explore: () => import("./explore.js"),
  post: () => import("./postpage.js"),
  tag: () => import("./tagpage.js"),
  bookmarks: () => import("./bookmarks.js"),
  profile: () => import("./profile.js"),
  people: () => import("./people.js"),
  messages: () => import("./messages.js"),
  notifications: () => import("./notifications.js"),
  settings: () => import("./settings.js"),
  welcome: () => import("./welcome.js"),
  moderation: () => import("./moderation.js"),
};
const TITLES = {
  feed: "Home", explore: "Explore", post: "Post", tag: "Tag", bookmarks: "Bookmarks",
  profile: "Profile", people: "People", messages: "Messages", settings: "Settings",
  notifications: "Notifications", welcome: "Welcome", moderation: "Moderation",
};
// Where the right column (search, trends, who to follow) has room to help.
const WITH_RIGHT_COLUMN = new Set(["feed", "explore", "post", "tag", "bookmarks", "profile",
  "people", "settings", "notifications"]);

let ctx = null;
let cleanup = null;
let banner = null;
let side = null;

/** {section, param, nav}: nav is the navigation item to mark. */
export function route(pathname = location.pathname) {
  const rest = pathname.replace(/^\/social\/?/, "");
  const [first, ...others] = rest.split("/").filter((part, i) => i === 0 || part !== "");
  const param = others.length ? others.map(decodeURIComponent).join("/") : null;
  if (first === "post" && param) return { section: "post", param, nav: "feed" };
  if (first === "tag" && param) return { section: "tag", param, nav: "explore" };
  if (first === "profile" && others.length >= 2
      && ["followers", "following"].includes(others[others.length - 1])) {
    return { section: "people", nav: "profile",
      param: { handle: decodeURIComponent(others.slice(0, -1).join("/")), list: others[others.length - 1] } };
  }
  const section = first in SECTIONS && !["post", "people", "tag"].includes(first) ? first : "feed";
  // "Profile" in the navigation is her own; somebody else's profile marks nothing.
  return { section, param, nav: section === "profile" && param ? null : section };
}

export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  render();
}

async function render() {
  if (cleanup) {
    try { cleanup(); } catch { /* a section's cleanup must not stop the next one */ }
    cleanup = null;
  }
  if (!ctx) return;
  const { section, param, nav } = route();
  markSection(nav, TITLES[section]);
  document.title = `${TITLES[section]} · Social`;
  banner.clear();
  side.show(WITH_RIGHT_COLUMN.has(section));
  document.body.dataset.section = section;
  const container = h("div", { class: `section section-${section}` });
  fill(main, banner.el, container);
  try {
    const module = await SECTIONS[section]();
    cleanup = await module.render(ctx, container, param) || null;
  } catch (error) {
    console.warn("section failed", error);
    fill(container, h("div", { class: "column-head" }, h("h1", {}, TITLES[section])));
    banner.show(error, () => render());
  }
}

function onLinkClick(event) {
  const link = event.target.closest("a[data-link]");
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey
      || event.shiftKey || event.altKey) return;
  event.preventDefault();
  const href = link.getAttribute("href");
  const same = href === location.pathname + location.search;
  navigate(href, { replace: same });
  if (!same) window.scrollTo(0, 0);
  main.focus({ preventScroll: true });
}

function sessionEnded() {
  if (!ctx) return;
  const session = ctx.session;
  if (ctx.live) ctx.live.stop();
  if (ctx.stopUnread) ctx.stopUnread();
  ctx = null;
  signOut(session).finally(() => showSignIn(config, "Your session has ended. Sign in again."));
}

let config = null;

async function compose(options = {}) {
  const module = await import("./compose.js");
  module.openComposer(ctx, options);
}

async function startApp(session) {
  banner = makeBanner();
  let painted;
  ctx = {
    /** Settles once the first page is on screen: what is not needed for it waits for this. */
    firstPaint: new Promise((resolve) => { painted = resolve; }),
    config,
    session,
    api: makeApi(session, sessionEnded),
    navigate,
    announce,
    banner,
    compose,
    /** Her own profile (name, avatar), asked once when first needed. */
    me: null,
    signOut: async () => {
      const current = ctx;
      ctx = null;
      if (cleanup) { try { cleanup(); } catch { /* ignore */ } cleanup = null; }
      if (current.stopUnread) current.stopUnread();
      if (current.live) current.live.stop();
      if (current.stopMessages) await current.stopMessages();
      await signOut(current.session);
      history.replaceState(null, "", "/social/");
      showSignIn(config, "You are signed out.");
    },
  };
  /** Say which posts the page shows (their counts come by the live stream); kept until the
   * stream starts, which is after the first page is painted. */
  ctx.watch = (postIds) => {
    ctx.onScreen = postIds;
    if (ctx.live) ctx.live.watch(postIds);
  };
  ctx.myProfile = () => {
    if (!ctx.me) {
      ctx.me = ctx.api.get(`/profile/${encodeURIComponent(session.userId)}`);
      ctx.me.catch(() => { ctx.me = null; });
    }
    return ctx.me;
  };
  /** Whether she moderates here (the homeserver's admin flag), asked once. */
  ctx.isAdmin = () => {
    if (!ctx.admin) {
      ctx.admin = ctx.api.get("/moderation/me").then((answer) => answer.is_admin === true);
      ctx.admin.catch(() => { ctx.admin = null; });
    }
    return ctx.admin;
  };
  const { accountChip } = buildNav(ctx);
  const [post, follow] = await Promise.all([import("./post.js"), import("./follow.js")]);
  side = rightColumn(ctx, { personRow: follow.personRow, postSummary: post.postSummary,
    peopleToFollow: follow.peopleToFollow });
  side.watch();
  header.hidden = false;
  document.body.classList.remove("signed-out");
  await render();
  painted();
  ctx.firstPaint.then(async () => {
    if (!ctx) return;
    ctx.stopUnread = watchUnread(ctx);
    ctx.isAdmin().then(showAdminSections).catch(() => { /* the entry stays hidden */ });
    if (window.EventSource) ctx.live = (await import("./live.js")).startLive(ctx);
    if (ctx.live && ctx.onScreen) ctx.live.watch(ctx.onScreen);
  });
  // Her avatar and name in the navigation, once the page itself is there.
  setTimeout(() => {
    if (!ctx) return;
    ctx.myProfile().then((me) => {
      const slot = accountChip.querySelector(".avatar");
      slot.replaceWith(post.avatar(ctx, me, 36));
      accountChip.querySelector(".account-name").textContent = me.display_name || me.handle;
      accountChip.querySelector(".account-handle").textContent = atHandle(me.handle);
    }).catch(() => { /* the chip keeps the user id */ });
  }, 0);
}

async function showSignIn(cfg, notice) {
  header.hidden = true;
  document.body.classList.add("signed-out");
  document.getElementById("right-col").hidden = true;
  document.title = "Sign in · Social";
  const status = h("div", { class: "form-status", role: "status" }, notice || "");
  const user = h("input", { name: "username", autocomplete: "username", required: true });
  const password = h("input", {
    type: "password", name: "password", autocomplete: "current-password", required: true });
  const submit = h("button", { type: "submit", class: "primary wide" }, "Sign in");
  const form = h("form", { class: "sign-in-form", "aria-labelledby": "sign-in-title" },
    field("Username", user, `Your Matrix username on ${cfg.server_name}, e.g. alice`),
    field("Password", password), submit);
  const ssoArea = h("div", { class: "sso" });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    status.textContent = "Signing in…";
    try {
      const session = await passwordLogin(cfg.homeserver_url, user.value.trim(), password.value);
      password.value = "";
      await welcomeIfNew(session);
      await startApp(session);
    } catch (error) {
      status.textContent = "";
      status.append(h("span", { class: "error-text", role: "alert" },
        error.errcode === "M_FORBIDDEN" ? "Wrong username or password." : describeError(error)));
      submit.disabled = false;
    }
  });
  fill(main, h("div", { class: "sign-in" },
    h("img", { class: "sign-in-logo", src: "/social/icon.svg", alt: "", width: 64, height: 64 }),
    h("h1", { id: "sign-in-title" }, "Sign in to Social"),
    h("p", { class: "sign-in-lead" },
      `Posts, people and their AIs, on your Matrix homeserver (${cfg.server_name}).`),
    form, ssoArea, status,
    h("p", { class: "sign-up-offer" }, "New here? ",
      h("a", { href: "/social/signup", class: "sign-up-link", onclick: (event) => {
        event.preventDefault();
        history.pushState(null, "", "/social/signup");
        showSignUp(cfg);
      } }, "Create an account")),
    h("p", { class: "sign-in-foot" }, icon("lock", { size: 16 }),
      "Your messages are end-to-end encrypted in this browser.")));
  try {
    const flows = await loginFlows(cfg.homeserver_url);
    if (!flows.password) form.hidden = true;
    for (const idp of flows.sso) {
      ssoArea.append(h("a", {
        class: "button wide", href: ssoUrl(cfg.homeserver_url, idp.id, `${location.origin}/social/`),
      }, `Sign in with ${idp.name}`));
    }
  } catch (error) {
    ssoArea.append(errorBox(error));
  }
  user.focus();
}

/** A new sign-in of an account with nothing here yet starts with the welcome steps. */
async function welcomeIfNew(session) {
  const { newHere } = await import("./welcome.js");
  if (await newHere(session)) history.replaceState(null, "", "/social/welcome");
}

async function showSignUp(cfg) {
  header.hidden = true;
  document.body.classList.add("signed-out");
  document.getElementById("right-col").hidden = true;
  const module = await import("./signup.js");
  await module.showSignUp(cfg, main, {
    onSignedUp: async (session) => {
      history.replaceState(null, "", "/social/welcome");
      await startApp(session);
    },
    onBack: () => {
      history.pushState(null, "", "/social/");
      showSignIn(cfg);
    },
  });
}

async function boot() {
  document.addEventListener("click", onLinkClick);
  window.addEventListener("popstate", () => {
    if (ctx) render();
    else if (config && location.pathname.startsWith("/social/signup")) showSignUp(config);
    else if (config) showSignIn(config);
  });
  try {
    const response = await fetch("/social/config.json");
    if (!response.ok) throw new Error(`The service answered ${response.status} for its settings`);
    config = await response.json();
    usePlatforms(config.platforms);
  } catch (error) {
    fill(main, h("div", { class: "sign-in" }, h("h1", {}, "Social"),
      errorBox(error, () => location.reload())));
    return;
  }
  try {
    const fromSso = await finishSso(config.homeserver_url);
    if (fromSso) await welcomeIfNew(fromSso);
    const session = fromSso || loadSession(config.homeserver_url);
    if (session) await startApp(session);
    else if (location.pathname.replace(/\/$/, "") === "/social/signup") await showSignUp(config);
    else await showSignIn(config);
  } catch (error) {
    await showSignIn(config, `Signing in failed: ${describeError(error)}`);
  }
}

window.addEventListener("unhandledrejection", (event) => {
  console.warn("unhandled", event.reason);
});

boot();
