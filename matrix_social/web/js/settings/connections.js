// Settings: connected accounts (docs/platforms.md, Connecting). Each connection as
// GET /connections shows it (platform, account, whether it works, when it was last read; never
// a token), sharing its items with your followers (PATCH), disconnecting (DELETE). Connecting
// (POST) answers the platform's login page: the browser goes there, and the platform sends it
// back to the service's callback page, which links back here (/social/settings#connections).
// A platform that takes an app password instead (Bluesky: its `password_login`) asks for the
// handle and the app password here and is connected at once (POST .../app-password).
import { enc } from "../api.js";
import { busy, clear, errorBox, externalLink, field, fill, h, timeEl, uid } from "../dom.js";
import { byTarget, platformName, platformOf } from "../platforms.js";

/** What connecting a platform does, in its own words (the service's list). */
function reads(platform) {
  return (platformOf(platform) || {}).reads || "";
}

function statusWords(connection, name) {
  if (connection.status === "ok") return { cls: "ok", label: "Working", detail: null };
  if (connection.status === "broken") {
    const reason = (connection.status_reason || `${name} no longer accepts this connection`)
      .replace(/[.\s]+$/, "");
    return { cls: "broken", label: "Not working",
      detail: `: ${reason}. Nothing is read from ${name} and nothing is published there until `
        + "you connect again." };
  }
  return { cls: "other", label: `Status: ${connection.status}`, detail: null };
}

function accountLine(connection) {
  const account = connection.account || {};
  const handle = account.handle ? `@${account.handle}` : "an account";
  const who = account.name && account.name !== account.handle
    ? `${account.name} (${handle})` : handle;
  return h("p", { class: "account" }, "Account: ",
    account.url ? externalLink(account.url, who) : who,
    account.instance && !String(account.handle || "").includes("@")
      ? ` on ${account.instance.replace(/^https?:\/\//, "")}` : null);
}

export async function render(ctx, shared) {
  const heading = h("h2", { id: "connections-title", tabindex: "-1" }, "Connected accounts");
  const list = h("ul", { class: "connections", "aria-labelledby": "connections-title" });
  const connectArea = h("div", { class: "connect-area" });
  const status = h("div", { class: "list-status", role: "status" });
  const section = h("section", { class: "card", id: "connections",
    "aria-labelledby": "connections-title" }, heading,
  h("p", {}, "Your accounts on other platforms. What you do there comes into your feed (only "
    + "you see it, unless you share it with your followers), and your posts here can be "
    + "published there too. You log in on the platform’s own page; this service never sees "
    + "your password there (where a platform takes an app password instead, it is used once "
    + "to sign in and never stored)."),
  status, list, connectArea);

  /** Go to the platform's login page; it sends the browser back to the callback page. */
  async function begin(platform, instance) {
    const started = await ctx.api.post(`/connections/${enc(platform)}`,
      instance ? { instance } : {});
    fill(status, h("p", {}, `Going to ${platformName(platform)} to log in…`));
    ctx.announce(`Going to ${platformName(platform)} to log in`);
    location.assign(started.authorize_url);
  }

  /** Sign in with a handle and an app password: connected at once, nothing to go to. */
  async function logIn(platform, identifier, password) {
    await ctx.api.post(`/connections/${enc(platform)}/app-password`, { identifier, password });
    await reload();
    fill(status, h("p", { class: "ok-text" }, `${platformName(platform)} is connected.`));
    ctx.announce(`${platformName(platform)} connected`);
    heading.focus();
  }

  async function reload() {
    const listed = await shared.connections({ fresh: true });
    show(listed);
  }

  function connectionItem(connection) {
    const name = platformName(connection.platform);
    const titleId = uid("connection-title");
    const itemStatus = h("div", { class: "post-status", role: "status" });
    const panel = h("div", { class: "post-panel" });
    const showError = (error) => fill(itemStatus, errorBox(error));
    const { cls, label, detail } = statusWords(connection, name);

    const share = h("input", { type: "checkbox", id: uid("share"), name: "share_with_followers",
      checked: connection.share_with_followers === true });
    const shareHint = h("p", { class: "hint", id: `${share.id}-hint` },
      `Each item from ${name} is also posted in your feed room as your post, so your followers `
      + "see it (in any Matrix client). Off: only you see them.");
    share.setAttribute("aria-describedby", shareHint.id);
    share.addEventListener("change", () => {
      const wanted = share.checked;
      clear(itemStatus);
      share.disabled = true;
      ctx.api.patch(`/connections/${enc(connection.platform)}`,
        { share_with_followers: wanted }).then((updated) => {
        connection.share_with_followers = updated.share_with_followers;
        share.checked = updated.share_with_followers === true;
        fill(itemStatus, h("p", { class: "ok-text" }, wanted
          ? `Your ${name} items are shared with your followers.`
          : `Your ${name} items are for you only.`));
      }, (error) => {
        share.checked = !wanted;
        showError(error);
      }).finally(() => { share.disabled = false; });
    });

    // Her home timeline there (what the accounts she follows post), into her own feed view:
    // offered where the platform declares one (config.json's `home_timeline`).
    const homeLabel = (platformOf(connection.platform) || {}).home_timeline;
    let homeRow = null;
    if (homeLabel) {
      const home = h("input", { type: "checkbox", id: uid("home"), name: "home_timeline",
        checked: connection.home_timeline === true });
      const homeHint = h("p", { class: "hint", id: `${home.id}-hint` },
        `What the accounts you follow on ${name} post (your ${homeLabel} feed) comes into `
        + "your feed here. Only you see it: it is never shared with your followers.");
      home.setAttribute("aria-describedby", homeHint.id);
      home.addEventListener("change", () => {
        const wanted = home.checked;
        clear(itemStatus);
        home.disabled = true;
        ctx.api.patch(`/connections/${enc(connection.platform)}`, { home_timeline: wanted })
          .then((updated) => {
            connection.home_timeline = updated.home_timeline;
            home.checked = updated.home_timeline === true;
            fill(itemStatus, h("p", { class: "ok-text" }, wanted
              ? `Your ${name} ${homeLabel} feed comes into your feed, for you only.`
              : `Your ${name} ${homeLabel} feed no longer comes in.`));
          }, (error) => {
            home.checked = !wanted;
            showError(error);
          }).finally(() => { home.disabled = false; });
      });
      homeRow = h("div", { class: "switch-row" }, home,
        h("div", {}, h("label", { for: home.id }, `Bring my ${homeLabel} feed into my feed`),
          homeHint));
    }

    const disconnect = h("button", { type: "button", class: "danger", "aria-expanded": "false",
      "aria-describedby": titleId }, "Disconnect");
    disconnect.addEventListener("click", () => {
      if (panel.dataset.open) {
        clear(panel);
        delete panel.dataset.open;
        disconnect.setAttribute("aria-expanded", "false");
        disconnect.focus();
        return;
      }
      const confirm = h("button", { type: "button", class: "danger" }, `Disconnect ${name}`);
      const cancel = h("button", { type: "button" }, "Cancel");
      cancel.addEventListener("click", () => disconnect.click());
      confirm.addEventListener("click", () => busy(confirm, async () => {
        await ctx.api.del(`/connections/${enc(connection.platform)}`);
        await reload();
        fill(status, h("p", {}, `${name} is disconnected.`));
        ctx.announce(`${name} disconnected`);
        heading.focus();
      }, showError));
      fill(panel, h("div", { class: "inline-form", role: "group",
        "aria-label": `Confirm disconnecting ${name}` },
      h("p", {}, `Disconnect ${name}? Nothing more is read from it and your posts are no `
        + `longer published there; the service gives up its access where ${name} allows.`),
      confirm, cancel));
      panel.dataset.open = "disconnect";
      disconnect.setAttribute("aria-expanded", "true");
      confirm.focus();
    });

    const again = connection.status === "broken"
      ? h("button", { type: "button", class: "primary", "aria-describedby": titleId },
        "Connect again") : null;
    if (again && (platformOf(connection.platform) || {}).password_login) {
      again.addEventListener("click", () => fill(panel, connectForm(connection.platform)));
    } else if (again) {
      again.addEventListener("click", () => busy(again,
        () => begin(connection.platform, connection.account && connection.account.instance),
        showError));
    }

    return h("li", { class: "connection", dataset: { platform: connection.platform } },
      h("h3", { id: titleId }, name),
      accountLine(connection),
      h("p", { class: `connection-status connection-${cls}` },
        h("strong", {}, label), detail, " · ",
        connection.last_sync ? ["Last read ", timeEl(connection.last_sync)] : "Not read yet"),
      h("p", { class: "hint" }, reads(connection.platform)),
      h("div", { class: "switch-row" }, share,
        h("div", {}, h("label", { for: share.id }, "Share with my followers"), shareHint)),
      homeRow,
      h("div", { class: "button-row" }, again, disconnect),
      panel, itemStatus);
  }

  function connectForm(platform) {
    const name = platformName(platform);
    const formStatus = h("div", { class: "form-status", role: "status" });
    const button = h("button", { type: "submit", class: "primary" }, `Connect ${name}`);
    let instance = null;
    const form = h("form", { class: "connect-form", dataset: { platform },
      "aria-label": `Connect ${name}` });
    const server = (platformOf(platform) || {}).server;
    const withPassword = (platformOf(platform) || {}).password_login;
    let identifier = null;
    let password = null;
    if (withPassword) {  // a handle and an app password, no login page (Bluesky)
      identifier = h("input", { name: "identifier", autocomplete: "username",
        spellcheck: "false", autocapitalize: "none", placeholder: withPassword.identifier_example,
        required: true });
      password = h("input", { name: "password", type: "password",
        autocomplete: "current-password", required: true });
      form.append(h("p", { class: "hint" }, reads(platform)),
        field(withPassword.identifier_label, identifier, null),
        field(withPassword.password_label, password, withPassword.hint));
    } else if (server) {  // its accounts live on a server she names (Mastodon)
      instance = h("input", { name: "instance", autocomplete: "url", inputmode: "url",
        spellcheck: "false", placeholder: server.example, required: true });
      form.append(field(server.label, instance, server.hint));
    } else {
      form.append(h("p", { class: "hint" }, reads(platform)));
    }
    form.append(button, formStatus);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      clear(formStatus);
      busy(button, async () => {
        if (identifier) {
          if (!identifier.value.trim() || !password.value) {
            (identifier.value.trim() ? password : identifier).focus();
            throw new Error(`Type your ${name} handle and an app password first.`);
          }
          const typed = password.value;
          password.value = "";  // never kept in the page longer than the request
          await logIn(platform, identifier.value.trim(), typed);
          return;
        }
        if (instance && !instance.value.trim()) {
          instance.focus();
          throw new Error(`Type the address of your ${name} server first.`);
        }
        await begin(platform, instance ? instance.value.trim() : null);
      }, (error) => fill(formStatus, errorBox(error)));
    });
    return form;
  }

  function show(listed) {
    const connections = listed.connections || [];
    fill(list, [...connections].sort((a, b) => byTarget(a.platform, b.platform))
      .map(connectionItem));
    if (!connections.length) {
      list.append(h("li", { class: "status empty" }, "No accounts connected yet."));
    }
    const connected = new Set(connections.map((c) => c.platform));
    const open = (listed.available || []).filter((p) => !connected.has(p));
    fill(connectArea, open.length
      ? [h("h3", {}, "Connect an account"),
        h("p", { class: "hint" }, "You go to the platform to log in and allow access, then "
          + "come back here (a platform that takes an app password asks for it here)."),
        open.map(connectForm)]
      : (listed.available || []).length ? null
        : h("p", { class: "hint" }, "No platforms can be connected on this server."));
  }

  async function load() {
    try {
      show(await shared.connections());
    } catch (error) {
      fill(status, errorBox(error, () => { clear(status); load(); }));
    }
  }

  await load();
  return section;
}
