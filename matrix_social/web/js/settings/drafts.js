// Settings: auto-post drafts (docs/activity.md, Drafts). Each draft is shown as it will appear
// in the feed — the exact content the service will send (GET /drafts/{id}/preview), drawn by
// the feed's own post rendering — with when it publishes itself, in your time zone; you can
// edit, publish or discard it.
import { enc } from "../api.js";
import { busy, clear, errorBox, field, fill, h, uid } from "../dom.js";
import { avatar, postBody, profileHref } from "../post.js";
import { countChars, counterFor } from "../text.js";

const PAGE = 20;
const POST_BLOCK = "m.matrix_os.social.post";
const KINDS = {
  app_publish: "App published", app_fork: "App remixed", game_score: "Game score",
  ai_task: "Your AI’s task", profile_update: "Profile update", daily_summary: "Daily summary",
  weekly_summary: "Weekly summary", ai_summary: "AI summary",
};

function kindLabel(kind) {
  if (KINDS[kind]) return KINDS[kind];
  const words = String(kind || "activity").replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The post the feed will show for this event content (as social/views.py post_view does). */
export function postFromContent(content) {
  const body = typeof content.body === "string" ? content.body : "";
  const block = content[POST_BLOCK] && typeof content[POST_BLOCK] === "object"
    ? content[POST_BLOCK] : { kind: content.msgtype === "m.image" ? "image" : "text" };
  const post = { kind: block.kind, text: body };
  const blockText = typeof block.text === "string" ? block.text : "";
  if (block.kind === "activity") {
    post.activity = block.activity;
    if (block.app && typeof block.app === "object") {
      post.app = block.app;
      post.text = blockText;
    }
  } else if (block.kind === "app") {
    post.app = block.app;
    post.text = blockText;
  }
  return post;
}

/** "Sun 8 Mar, 20:00 EST" in the given time zone (the browser's if it does not know it). */
export function formatWhen(ms, timeZone) {
  const options = { weekday: "short", day: "numeric", month: "short", hour: "2-digit",
    minute: "2-digit", hourCycle: "h23", timeZoneName: "short" };
  try {
    return new Intl.DateTimeFormat(undefined, { ...options, timeZone }).format(ms);
  } catch {
    return new Intl.DateTimeFormat(undefined, options).format(ms);
  }
}

function scheduleNote(draft, timeZone) {
  if (draft.edited) return "Edited: it waits for you to publish it.";
  if (draft.publish_at === null || draft.publish_at === undefined) {
    return "Waits for you: nothing is posted until you publish it.";
  }
  const when = h("time", { datetime: new Date(draft.publish_at).toISOString() },
    formatWhen(draft.publish_at, timeZone));
  return draft.publish_at <= Date.now()
    ? ["Due: it publishes itself shortly (it was set for ", when, "), unless you discard it first."]
    : ["Publishes itself on ", when, ", unless you edit or discard it first."];
}

function previewArticle(ctx, draft, preview, titleId) {
  const author = draft.author || {};
  const article = h("article", { class: "post draft-preview", "aria-label": "Preview" });
  article.append(h("header", { class: "post-head" },
    avatar(ctx, { user_id: author.user_id, handle: author.handle }),
    h("div", { class: "who" },
      h("a", { href: profileHref(author), "data-link": true, class: "name" },
        draft.as === "ai" ? "Your AI" : "You"),
      h("span", { class: "handle" }, ` @${author.handle} · `,
        draft.as === "ai" ? "in your AI’s feed" : "in your feed"))));
  if (preview) article.append(h("div", { class: "post-body" }, postBody(ctx, postFromContent(preview.content || {}))));
  else article.append(h("p", { class: "status" }, "Preview unavailable."));
  article.setAttribute("aria-describedby", titleId);
  return article;
}

export async function render(ctx, shared) {
  const list = h("ul", { class: "drafts", "aria-label": "Drafts waiting" });
  const status = h("div", { class: "list-status", role: "status" });
  const refresh = h("button", { type: "button" }, "Check for new drafts");
  const more = h("button", { type: "button", class: "load-more", hidden: true }, "Load more drafts");
  const heading = h("h2", { id: "drafts-title", tabindex: "-1" }, "Auto-post drafts");
  const section = h("section", { class: "card", "aria-labelledby": "drafts-title" }, heading,
    h("p", {}, "Posts prepared from the activities you share. Each is shown as it will appear; "
      + "nothing is posted until you publish it, or at the time shown when you let drafts "
      + "publish themselves."),
    h("div", { class: "button-row" }, refresh), status, list, more);
  let cursor = null;
  let generation = 0;

  function said(text, link) {
    fill(status, h("p", {}, text, link ? [" ", link] : null));
    ctx.announce(text);
  }

  function gone(item, text, link) {
    item.remove();
    said(text, link);
    if (!list.children.length && !cursor) emptyNote();
    heading.focus();
  }

  function emptyNote() {
    list.append(h("li", { class: "status empty" }, "No drafts waiting. When you share an "
      + "activity (above), what you do becomes a draft here."));
  }

  function draftItem(draft, preview) {
    const titleId = uid("draft-title");
    const item = h("li", { class: "draft", dataset: { draftId: draft.id } });
    const panel = h("div", { class: "post-panel" });
    const itemStatus = h("div", { class: "post-status", role: "status" });
    const editButton = h("button", { type: "button", "aria-expanded": "false",
      "aria-describedby": titleId }, "Edit");
    const publishButton = h("button", { type: "button", class: "primary",
      "aria-describedby": titleId }, "Publish");
    const discardButton = h("button", { type: "button", class: "danger", "aria-expanded": "false",
      "aria-describedby": titleId }, "Discard");
    const path = `/drafts/${enc(draft.id)}`;
    const showError = (error) => fill(itemStatus, errorBox(error));

    function closePanel(button) {
      clear(panel);
      delete panel.dataset.open;
      for (const b of [editButton, discardButton]) b.setAttribute("aria-expanded", "false");
      if (button) button.focus();
    }
    function openPanel(name, button, content) {
      closePanel(null);
      fill(panel, content);
      panel.dataset.open = name;
      button.setAttribute("aria-expanded", "true");
    }

    editButton.addEventListener("click", () => {
      if (panel.dataset.open === "edit") return closePanel(editButton);
      const text = h("textarea", { rows: 3, value: draft.text });
      const save = h("button", { type: "submit", class: "primary" }, "Save draft");
      const form = h("form", { class: "inline-form" },
        field("Draft text", text, "An edited draft is never published on its own."),
        counterFor(text, ctx.config.max_post_chars), save,
        h("button", { type: "button", onclick: () => closePanel(editButton) }, "Cancel"));
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        if (countChars(text.value) === 0) {
          showError(new Error("A draft needs some text; discard it if you do not want it."));
          return;
        }
        busy(save, async () => {
          const edited = await ctx.api.patch(path, { text: text.value });
          const fresh = await ctx.api.get(`${path}/preview`);
          const replacement = draftItem(edited, fresh);
          item.replaceWith(replacement);
          replacement.querySelector(".post-actions button").focus();
          ctx.announce("Draft saved");
        }, showError);
      });
      openPanel("edit", editButton, form);
      text.focus();
    });

    publishButton.addEventListener("click", () => busy(publishButton, async () => {
      clear(itemStatus);
      const { post } = await ctx.api.post(`${path}/publish`);
      const where = draft.as === "ai"
        ? h("a", { href: profileHref(post.author || draft.author), "data-link": true },
          "See it on your AI’s profile")
        : h("a", { href: "/social/", "data-link": true }, "See it in your feed");
      gone(item, draft.as === "ai" ? "Published in your AI’s feed." : "Published in your feed.",
        where);
    }, showError));

    discardButton.addEventListener("click", () => {
      if (panel.dataset.open === "discard") return closePanel(discardButton);
      const confirm = h("button", { type: "button", class: "danger" }, "Discard draft");
      confirm.addEventListener("click", () => busy(confirm, async () => {
        await ctx.api.del(path);
        gone(item, "Draft discarded; nothing was posted.");
      }, showError));
      openPanel("discard", discardButton, h("div", { class: "inline-form", role: "group",
        "aria-label": "Confirm discard" },
        h("p", {}, "Discard this draft? Nothing is posted."), confirm,
        h("button", { type: "button", onclick: () => closePanel(discardButton) }, "Cancel")));
      confirm.focus();
    });

    item.append(
      h("h3", { id: titleId }, `${kindLabel(draft.kind)} draft`),
      h("p", { class: "schedule" }, scheduleNote(draft, shared.timeZone())),
      previewArticle(ctx, draft, preview, titleId),
      h("div", { class: "post-actions" }, editButton, publishButton, discardButton),
      panel, itemStatus);
    return item;
  }

  async function loadPage(first) {
    const mine = first ? ++generation : generation;
    try {
      const page = await ctx.api.get("/drafts", { cursor: first ? null : cursor, limit: PAGE });
      const previews = await Promise.allSettled(
        page.items.map((d) => ctx.api.get(`/drafts/${enc(d.id)}/preview`)));
      if (mine !== generation) return;
      if (first) clear(list);
      page.items.forEach((draft, i) => {
        list.append(draftItem(draft, previews[i].status === "fulfilled" ? previews[i].value : null));
      });
      cursor = page.next_cursor;
      more.hidden = !cursor;
      if (!list.children.length) emptyNote();
    } catch (error) {
      if (mine !== generation) return;
      fill(status, errorBox(error, () => { clear(status); loadPage(first); }));
    }
  }

  const reload = () => busy(refresh, async () => {
    clear(status);
    await loadPage(true);
    ctx.announce(`${list.querySelectorAll(".draft").length} drafts waiting`);
  });
  refresh.addEventListener("click", reload);
  more.addEventListener("click", () => busy(more, () => loadPage(false)));
  shared.on("activity", reload);
  await shared.load().catch(() => null);  // the sharing part shows this error, if any
  shared.on("settings", () => loadPage(true));  // the time zone of the times shown may change
  await loadPage(true);
  return section;
}
