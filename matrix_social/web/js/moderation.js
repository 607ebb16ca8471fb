// Moderation (/social/moderation[?status=open|resolved|suspended|log]), for the homeserver's
// admins: the report queue as Mastodon's and Bluesky's admin views show it. Each report says
// who sent it, what it is about (the post as it was, or the person), the category and the
// reason, what the homeserver's reporting endpoints said and what was done; resolve, take down
// or suspend (a person of this server or of another), each after a reason that the log keeps
// with who acted. Suspended lists everybody suspended, of this server and of others, to lift
// or to add to by Matrix ID. Anybody else sees a note, and the navigation never shows them the
// entry (shell.js).
import { enc } from "./api.js";
import { busy, describeError, field, fill, h, shortTime, skeletonRows, toast, uid } from "./dom.js";
import { icon } from "./icons.js";
import { trapFocus } from "./menu.js";
import { avatar, profileHref } from "./post.js";
import { showAdminSections } from "./shell.js";
import { atHandle } from "./text.js";

const PAGE = 20;
const VIEWS = [["open", "Open"], ["resolved", "Resolved"], ["suspended", "Suspended"], ["log", "Log"]];
const CATEGORIES = { spam: "Spam", harassment: "Harassment", hate: "Hate", violence: "Violence",
  sexual: "Sexual content", self_harm: "Self-harm", impersonation: "Impersonation",
  illegal: "Illegal content", other: "Other" };
const SEVERE = new Set(["harassment", "hate", "violence", "sexual", "self_harm", "illegal"]);
const ENDPOINTS = { report_event: "Event report", report_user: "User report",
  report_room: "Room report" };
const RESULTS = { reported: "received", unsupported: "not supported", refused: "refused" };
const DONE = { resolve: ["check", "resolved the report"], takedown: ["trash", "took down a post"],
  suspend: ["lock", "suspended"], unsuspend: ["refresh", "lifted the suspension of"] };

const nameOf = (person) => person.display_name || person.handle || person.user_id;
const local = (person) => !String(person.handle || "").includes(":");

/** What each action asks before it is done, and the one request that does it. */
const ACTIONS = {
  resolve: {
    title: () => "Resolve this report?",
    text: () => "It leaves the open queue. Nothing else changes.",
    confirm: "Resolve", danger: false,
    run: (ctx, report, reason) => ctx.api.post(
      `/moderation/reports/${enc(report.id)}/resolve`, { reason }),
  },
  takedown: {
    title: (report) => `Take down this ${report.target.kind === "comment" ? "comment" : "post"}?`,
    text: () => "It is redacted in its feed room, for every Matrix client, and leaves every feed, "
      + "profile and search here. This resolves the report.",
    confirm: "Take down", danger: true,
    run: (ctx, report, reason) => ctx.api.post("/moderation/takedown",
      { event_id: report.event_id, reason, report_id: report.id }),
  },
  suspend: {
    title: (report) => `Suspend ${nameOf(report.target.user)}?`,
    text: (report) => (local(report.target.user)
      ? "Their feed becomes read-only and nothing they do reaches anybody here"
      : "They are on another server: from now on nothing they do reaches anybody here")
      + " (follows, comments, likes, reposts, mentions, requests to AIs). Their follows of "
      + "people here end, their likes, comments and reposts leave every count, and they "
      + "disappear from feeds, explore and search until the suspension is lifted."
      + (report.id ? " This resolves the report." : ""),
    confirm: "Suspend", danger: true,
    run: (ctx, report, reason) => ctx.api.post("/moderation/suspend",
      { user_id: report.user_id, reason, report_id: report.id }),
  },
  unsuspend: {
    title: (report) => `Lift the suspension of ${nameOf(report.target.user)}?`,
    text: () => "They can act here again and are found in feeds, explore and search. Their "
      + "follows, likes, comments and reposts from before do not come back.",
    confirm: "Lift suspension", danger: false,
    run: (ctx, report, reason) => ctx.api.post("/moderation/unsuspend",
      { user_id: report.user_id, reason }),
  },
};

/** The reason dialog: resolves true once the action is done, false when cancelled. */
function askReason(ctx, report, name) {
  const action = ACTIONS[name];
  return new Promise((resolve) => {
    const before = document.activeElement;
    const titleId = uid("mod-title");
    const reason = h("textarea", { rows: 3, maxlength: 1000, dir: "auto",
      "aria-required": "true", placeholder: "e.g. Spam links, reported three times" });
    reason.id = uid("mod-reason");
    const problem = h("div", { class: "dialog-problem", role: "alert" });
    const confirm = h("button", { type: "submit", class: action.danger ? "danger-solid" : "primary" },
      action.confirm);
    const cancel = h("button", { type: "button" }, "Cancel");
    const form = h("form", { class: "moderation-form" },
      h("label", { for: reason.id, class: "field-label" }, "Reason"),
      reason,
      h("p", { class: "hint" }, "Required. Kept in the moderation log with your name."),
      problem,
      h("div", { class: "dialog-actions" }, cancel, confirm));
    const dialog = h("dialog", { class: "dialog moderation-dialog", "aria-labelledby": titleId },
      h("h2", { id: titleId }, action.title(report)), h("p", {}, action.text(report)), form);
    let done = false;
    cancel.addEventListener("click", () => dialog.close());
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!reason.value.trim()) {
        fill(problem, h("p", { class: "error-text" }, "Say why: every action needs a reason."));
        reason.focus();
        return;
      }
      busy(confirm, async () => {
        await action.run(ctx, report, reason.value.trim());
        done = true;
        dialog.close();
      }, (error) => fill(problem, h("p", { class: "error-text" }, describeError(error))));
    });
    dialog.addEventListener("close", () => {
      dialog.remove();
      if (before && before.isConnected) before.focus();
      resolve(done);
    });
    trapFocus(dialog);
    document.body.append(dialog);
    dialog.showModal();
    reason.focus();
  });
}

function personLine(ctx, person, extra) {
  return h("div", { class: "mod-person" }, avatar(ctx, person, 40),
    h("div", { class: "who" },
      h("a", { href: profileHref(person), "data-link": true, class: "name" }, h("bdi", {}, nameOf(person))),
      h("span", { class: "handle" }, atHandle(person.handle))),
    extra);
}

/** What the report is about: the post as the index has it, a tombstone, or the person. */
function target(ctx, report) {
  const t = report.target;
  if (t.kind === "user") {
    return h("div", { class: "mod-target mod-target-user" }, personLine(ctx, t.user,
      t.suspended ? h("span", { class: "mod-pill suspended" }, icon("lock", { size: 14 }), "Suspended") : null));
  }
  if (t.taken_down || t.text === null) {
    return h("div", { class: "mod-target mod-tombstone" }, icon(t.taken_down ? "trash" : "close", { size: 18 }),
      h("span", {}, t.taken_down ? "Taken down by a moderator" : "No longer available: deleted by its author"),
      t.user ? h("span", { class: "handle" }, ` · ${nameOf(t.user)}`) : null);
  }
  const kind = t.kind === "comment" ? "Comment" : "Post";
  return h("figure", { class: "mod-target mod-quote" },
    h("figcaption", {}, personLine(ctx, t.user, h("span", { class: "mod-kind" }, kind))),
    h("blockquote", { dir: "auto", class: "mod-text" }, t.text),
    h("div", { class: "mod-meta" }, t.posted_at ? h("time", { datetime: new Date(t.posted_at).toISOString() },
      `Posted ${shortTime(t.posted_at)}`) : null,
      t.kind === "post" ? h("a", { href: `/social/post/${enc(report.event_id)}`, "data-link": true },
        "Open post") : null));
}

function homeserverSaid(report) {
  return h("ul", { class: "mod-homeserver", "aria-label": "What the homeserver said" },
    report.matrix.map((m) => h("li", { class: `mod-hs ${m.result}` },
      icon(m.result === "reported" ? "check" : m.result === "refused" ? "close" : "cw", { size: 14 }),
      `${ENDPOINTS[m.endpoint] || m.endpoint} to the homeserver: ${RESULTS[m.result] || m.result}`,
      m.detail ? ` (${m.detail})` : "")));
}

function history(actions) {
  if (!actions.length) return null;
  return h("ol", { class: "mod-history", "aria-label": "What was done" },
    actions.map((a) => h("li", {},
      icon(DONE[a.action] ? DONE[a.action][0] : "check", { size: 14 }),
      h("span", {}, h("strong", {}, a.actor), ` ${DONE[a.action] ? DONE[a.action][1] : a.action}`,
        h("span", { class: "mod-why" }, `: “${a.reason}”`), " · ", shortTime(a.at)))));
}

function reportItem(ctx, initial) {
  let report = initial;
  const li = h("li", { class: "mod-report-item", dataset: { reportId: report.id } });
  async function act(name) {
    if (!await askReason(ctx, report, name)) return;
    toast({ resolve: "Report resolved", takedown: "Taken down", suspend: "Suspended",
      unsuspend: "Suspension lifted" }[name]);
    ctx.announce(`Report ${report.id}: done`);
    try {
      report = await ctx.api.get(`/moderation/reports/${enc(report.id)}`);
    } catch (error) {
      ctx.banner.show(error);
      return;
    }
    paint();
    li.querySelector("h2").focus();
  }
  function paint() {
    const t = report.target;
    const titleId = uid("report");
    const buttons = [
      report.status === "open" ? h("button", { type: "button", class: "small", onclick: () => act("resolve") },
        icon("check", { size: 16 }), "Resolve") : null,
      report.event_id && !t.taken_down && t.text !== null ? h("button", { type: "button",
        class: "small danger", onclick: () => act("takedown") }, icon("trash", { size: 16 }), "Take down") : null,
      t.user && !t.suspended ? h("button", { type: "button", class: "small danger",
        onclick: () => act("suspend") }, icon("lock", { size: 16 }),
        `Suspend ${local(t.user) ? "@" : ""}${t.user.handle}`) : null,
      t.user && t.suspended ? h("button", { type: "button", class: "small",
        onclick: () => act("unsuspend") }, icon("refresh", { size: 16 }), "Lift suspension") : null,
    ].filter(Boolean);
    const who = report.reporter_profile;
    const category = CATEGORIES[report.category] || report.category;
    fill(li, h("article", { class: `mod-report ${report.status}`, "aria-labelledby": titleId },
      h("header", { class: "mod-head" },
        h("span", { class: `mod-pill category${SEVERE.has(report.category) ? " severe" : ""}` },
          icon("flag", { size: 14 }), category),
        h("h2", { id: titleId, tabindex: "-1" }, `Report #${report.id}`,
          h("span", { class: "visually-hidden" }, `, ${category}, ${report.status}`)),
        h("span", { class: `mod-pill status ${report.status}` }, report.status === "open" ? "Open" : "Resolved"),
        h("time", { datetime: new Date(report.created_at).toISOString(), class: "mod-time",
          title: new Date(report.created_at).toLocaleString() }, shortTime(report.created_at))),
      target(ctx, report),
      h("div", { class: "mod-reason" },
        h("p", { class: "mod-reporter" }, avatar(ctx, who, 20), "Reported by ",
          h("a", { href: profileHref(who), "data-link": true }, h("bdi", {}, nameOf(who)))),
        h("blockquote", { dir: "auto" }, report.reason)),
      homeserverSaid(report),
      history(report.actions),
      buttons.length ? h("div", { class: "mod-actions", role: "group",
        "aria-label": `Actions on report ${report.id}` }, buttons) : null));
  }
  paint();
  return li;
}

function empty(iconName, title, text) {
  return h("div", { class: "empty-state mod-empty" },
    h("div", { class: "empty-art" }, icon(iconName, { size: 36 })),
    h("h2", {}, title), h("p", {}, text));
}

async function showQueue(ctx, body, status) {
  const list = h("ul", { class: "mod-reports", "aria-label": status === "open" ? "Open reports" : "Resolved reports" });
  const count = h("p", { class: "mod-count", role: "status" });
  const more = h("button", { type: "button", class: "load-more", hidden: true }, "Show more");
  let cursor = null;
  async function page() {
    const answer = await ctx.api.get("/moderation/reports", { status, cursor, limit: PAGE });
    for (const report of answer.items) list.append(reportItem(ctx, report));
    cursor = answer.next_cursor;
    more.hidden = !cursor;
    const n = list.children.length;
    count.textContent = `${n}${cursor ? "+" : ""} ${status} report${n === 1 ? "" : "s"}`;
  }
  await page();
  more.addEventListener("click", () => busy(more, page, (error) => ctx.banner.show(error)));
  if (list.children.length) fill(body, count, list, more);
  else if (status === "open") fill(body, empty("shield", "All caught up", "No open reports. When somebody reports a post or an account, it shows up here."));
  else fill(body, empty("check", "Nothing resolved yet", "Reports you resolve, take down or suspend for are kept here."));
}

/** A person as a report target would carry them, for the dialogs. */
const asReport = (person) => ({ user_id: person.user_id, target: { user: person } });

function suspensionItem(ctx, suspension, onLifted) {
  const person = suspension.user;
  const lift = h("button", { type: "button", class: "small" }, icon("refresh", { size: 16 }),
    "Lift suspension");
  lift.addEventListener("click", async () => {
    if (!await askReason(ctx, asReport(person), "unsuspend")) return;
    toast("Suspension lifted");
    ctx.announce(`${nameOf(person)}: suspension lifted`);
    onLifted();
  });
  return h("li", { class: "mod-suspension" },
    personLine(ctx, person, h("span", { class: `mod-pill ${suspension.local ? "here" : "elsewhere"}` },
      suspension.local ? "This server" : "Another server")),
    h("p", { class: "mod-why", dir: "auto" }, h("strong", {}, suspension.actor),
      ` suspended ${shortTime(suspension.since)}: “${suspension.reason}”`),
    h("div", { class: "mod-actions", role: "group", "aria-label": `Actions on ${nameOf(person)}` }, lift));
}

/** Suspend by Matrix ID (someone of another server nobody reported yet, too). */
function suspendForm(ctx, onDone) {
  const who = h("input", { name: "user_id", autocomplete: "off", spellcheck: "false",
    placeholder: "@spammer:other.server" });
  const go = h("button", { type: "submit", class: "danger-solid" }, icon("lock", { size: 16 }), "Suspend…");
  const note = h("div", { role: "status" });
  const form = h("form", { class: "card mod-suspend-form", "aria-label": "Suspend an account" },
    field("Suspend an account", who, "Its Matrix ID, of this server or of another"), go, note);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const id = who.value.trim();
    if (!/^@[^:\s]+:\S+$/.test(id)) {
      fill(note, h("p", { class: "error-text" }, "A Matrix ID looks like @name:server.example"));
      who.focus();
      return;
    }
    fill(note);
    const colon = id.indexOf(":");
    const person = { user_id: id,
      handle: id.slice(colon + 1) === ctx.config.server_name ? id.slice(1, colon) : id };
    if (!await askReason(ctx, asReport(person), "suspend")) return;
    who.value = "";
    toast("Suspended");
    ctx.announce(`${id}: suspended`);
    onDone();
  });
  return form;
}

async function showSuspended(ctx, body) {
  const answer = await ctx.api.get("/moderation/suspensions");
  const reload = () => showSuspended(ctx, body).catch((error) => ctx.banner.show(error));
  const form = suspendForm(ctx, reload);
  if (!answer.items.length) {
    fill(body, form, empty("lock", "Nobody is suspended", "People you suspend, of this server or of another, are listed here until you lift it."));
    return;
  }
  const n = answer.items.length;
  fill(body, form, h("p", { class: "mod-count", role: "status" }, `${n} suspended account${n === 1 ? "" : "s"}`),
    h("ul", { class: "mod-suspensions", "aria-label": "Suspended accounts" },
      answer.items.map((s) => suspensionItem(ctx, s, reload))));
}

async function showLog(ctx, body) {
  const answer = await ctx.api.get("/moderation/actions", { limit: 50 });
  if (!answer.items.length) {
    fill(body, empty("flag", "No actions yet", "Every resolve, takedown and suspension is logged here with who did it and why."));
    return;
  }
  fill(body, h("ol", { class: "mod-log", "aria-label": "Moderation log" }, answer.items.map((a) => {
    const [iconName, verb] = DONE[a.action] || ["check", a.action];
    return h("li", { class: "mod-log-row" },
      h("span", { class: `mod-log-icon ${a.action}` }, icon(iconName, { size: 18 })),
      h("div", { class: "mod-log-body" },
        h("p", {}, h("strong", {}, a.actor), ` ${verb}`,
          a.action === "resolve" ? ` #${a.target}` : null),
        a.action === "resolve" ? null : h("p", {}, h("code", {}, a.target)),
        h("p", { class: "mod-why", dir: "auto" }, `“${a.reason}”`),
        h("p", { class: "mod-time" }, shortTime(a.at),
          a.report_id && a.action !== "resolve" ? ` · report #${a.report_id}` : "")));
  })));
}

export async function render(ctx, container) {
  const wanted = new URLSearchParams(location.search).get("status");
  const view = VIEWS.some(([v]) => v === wanted) ? wanted : "open";
  const head = h("div", { class: "column-head mod-column-head" }, h("h1", { tabindex: "-1" }, "Moderation"));
  const body = h("div", { class: "mod-body" }, skeletonRows(4, "Loading reports"));
  container.append(head, body);
  try {
    if (!await ctx.isAdmin()) {
      fill(body, empty("shield", "For this server's admins",
        "Moderation is open to the admins of your homeserver. To report a post or an account, use Report in its menu."));
      container.dataset.ready = "true";
      return;
    }
    showAdminSections(true);  // opened by its address before the navigation learnt it
    head.append(h("span", { class: "mod-pill admin" }, icon("shield", { size: 14 }), "Server admin"));
    head.after(h("nav", { class: "tabs link-tabs mod-tabs", "aria-label": "Moderation views" },
      VIEWS.map(([v, label]) => h("a", { href: `/social/moderation?status=${v}`, "data-link": true,
        "aria-current": v === view ? "page" : null }, label))));
    if (view === "log") await showLog(ctx, body);
    else if (view === "suspended") await showSuspended(ctx, body);
    else await showQueue(ctx, body, view);
  } catch (error) {
    fill(body, h("div", { class: "error mod-error", role: "alert" },
      h("p", {}, `The moderation queue could not be loaded: ${describeError(error)}`),
      h("button", { type: "button", onclick: () => ctx.navigate(location.pathname + location.search, { replace: true }) },
        "Try again")));
  }
  container.dataset.ready = "true";
}
