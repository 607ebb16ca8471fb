// Start-up: configuration, sign-in, the section navigation and the router.
import { makeApi } from "./api.js";
import { announce, describeError, errorBox, field, fill, h } from "./dom.js";
import { usePlatforms } from "./platforms.js";
import { finishSso, loadSession, loginFlows, passwordLogin, signOut, ssoUrl } from "./session.js";

const main = document.getElementById("main");
const topBar = document.getElementById("top-bar");

const SECTIONS = {
  feed: () => import("./feed.js"),
  explore: () => import("./explore.js"),
  profile: () => import("./profile.js"),
  messages: () => import("./messages.js"),
  settings: () => import("./settings.js"),
};
const TITLES = {
  feed: "Feed", explore: "Explore", profile: "Profile", messages: "Messages", settings: "Settings",
};

let ctx = null;
let cleanup = null;

function route() {
  const rest = location.pathname.replace(/^\/social\/?/, "");
  const [first, ...others] = rest.split("/");
  const section = first in SECTIONS ? first : "feed";
  return { section, param: others.length ? decodeURIComponent(others.join("/")) : null };
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
  const { section, param } = route();
  for (const link of topBar.querySelectorAll("[data-section]")) {
    if (link.dataset.section === section) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.title = `${TITLES[section]} · Social`;
  const container = h("div", { class: `section section-${section}` });
  fill(main, container);
  try {
    const module = await SECTIONS[section]();
    cleanup = await module.render(ctx, container, param) || null;
  } catch (error) {
    console.warn("section failed", error);
    fill(container, h("h1", {}, TITLES[section]),
      errorBox(error, () => render()));
  }
}

function onLinkClick(event) {
  const link = event.target.closest("a[data-link]");
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey
      || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(link.getAttribute("href"));
  main.focus({ preventScroll: true });
}

function sessionEnded() {
  if (!ctx) return;
  const session = ctx.session;
  ctx = null;
  signOut(session).finally(() => showSignIn(config, "Your session has ended. Sign in again."));
}

let config = null;

async function startApp(session) {
  ctx = {
    config,
    session,
    api: makeApi(session, sessionEnded),
    navigate,
    announce,
    signOut: async () => {
      const current = ctx;
      ctx = null;
      if (cleanup) { try { cleanup(); } catch { /* ignore */ } cleanup = null; }
      if (current.stopMessages) await current.stopMessages();
      await signOut(current.session);
      history.replaceState(null, "", "/social/");
      showSignIn(config, "You are signed out.");
    },
  };
  topBar.hidden = false;
  await render();
}

async function showSignIn(cfg, notice) {
  topBar.hidden = true;
  document.title = "Sign in · Social";
  const status = h("div", { class: "form-status", role: "status" }, notice || "");
  const user = h("input", { name: "username", autocomplete: "username", required: true });
  const password = h("input", {
    type: "password", name: "password", autocomplete: "current-password", required: true });
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h("form", { class: "card sign-in-form", "aria-labelledby": "sign-in-title" },
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
      await startApp(session);
    } catch (error) {
      status.textContent = "";
      status.append(h("span", { class: "error-text", role: "alert" },
        error.errcode === "M_FORBIDDEN" ? "Wrong username or password." : describeError(error)));
      submit.disabled = false;
    }
  });
  fill(main, h("div", { class: "sign-in" },
    h("h1", { id: "sign-in-title" }, "Sign in to Social"),
    h("p", {}, `A social network on your Matrix homeserver (${cfg.server_name}).`),
    form, ssoArea, status));
  try {
    const flows = await loginFlows(cfg.homeserver_url);
    if (!flows.password) form.hidden = true;
    for (const idp of flows.sso) {
      ssoArea.append(h("a", {
        class: "button", href: ssoUrl(cfg.homeserver_url, idp.id, `${location.origin}/social/`),
      }, `Sign in with ${idp.name}`));
    }
  } catch (error) {
    ssoArea.append(errorBox(error));
  }
  user.focus();
}

async function boot() {
  document.addEventListener("click", onLinkClick);
  window.addEventListener("popstate", () => render());
  try {
    const response = await fetch("/social/config.json");
    if (!response.ok) throw new Error(`The service answered ${response.status} for its settings`);
    config = await response.json();
    usePlatforms(config.platforms);
  } catch (error) {
    fill(main, h("h1", {}, "Social"), errorBox(error, () => location.reload()));
    return;
  }
  try {
    const fromSso = await finishSso(config.homeserver_url);
    const session = fromSso || loadSession(config.homeserver_url);
    if (session) await startApp(session);
    else await showSignIn(config);
  } catch (error) {
    await showSignIn(config, `Signing in failed: ${describeError(error)}`);
  }
}

window.addEventListener("unhandledrejection", (event) => {
  console.warn("unhandled", event.reason);
});

boot();
