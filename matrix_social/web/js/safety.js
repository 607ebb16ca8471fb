// Safety actions on a post or a person: mute, block, report (docs/events.md, "Blocks",
// "Mutes and muted words", "Reports and moderation"). Each is one menu item; block asks
// first, report opens a small form (category and reason).
import { enc } from "./api.js";
import { field, h, toast, uid } from "./dom.js";
import { confirmDialog, trapFocus } from "./menu.js";

const CATEGORIES = [["spam", "Spam"], ["harassment", "Harassment"], ["hate", "Hate"],
  ["violence", "Violence"], ["sexual", "Sexual content"], ["self_harm", "Self-harm"],
  ["impersonation", "Impersonation"], ["illegal", "Illegal content"], ["other", "Something else"]];

/** Menu items for acting on `userId` (and, with `eventId`, on one post or comment). */
export function safetyItems(ctx, userId, { eventId = null, name = userId, onHidden } = {}) {
  if (!userId || userId === ctx.session.userId) return [];
  return [
    eventId ? { label: "Report post", icon: "cw", onSelect: () => report(ctx, { event_id: eventId }) } : null,
    { label: `Mute ${name}`, icon: "close", onSelect: () => mute(ctx, userId, name, onHidden) },
    { label: `Block ${name}`, icon: "lock", danger: true, onSelect: () => block(ctx, userId, name, onHidden) },
    eventId ? null : { label: `Report ${name}`, icon: "cw", onSelect: () => report(ctx, { user_id: userId }) },
  ];
}

async function mute(ctx, userId, name, onHidden) {
  try {
    await ctx.api.post("/mutes", { user_id: userId });
    toast(`Muted ${name}. Undo in Settings.`);
    ctx.announce(`Muted ${name}`);
    if (onHidden) onHidden();
  } catch (error) {
    ctx.banner.show(error);
  }
}

async function block(ctx, userId, name, onHidden) {
  const yes = await confirmDialog({
    title: `Block ${name}?`,
    body: "They will be removed from your feed room and your followers, their likes and comments on your posts will be removed, and they will not be able to follow, message or mention you, or talk to your AI.",
    confirmLabel: "Block",
  });
  if (!yes) return;
  try {
    await ctx.api.post("/blocks", { user_id: userId, include_ai: true });
    toast(`Blocked ${name}`);
    ctx.announce(`Blocked ${name}`);
    if (onHidden) onHidden();
  } catch (error) {
    ctx.banner.show(error);
  }
}

/** The report form: a dialog with the category and the reason; resolves when closed. */
export function report(ctx, target) {
  return new Promise((resolve) => {
    const before = document.activeElement;
    const titleId = uid("report-title");
    const category = h("select", { required: true },
      CATEGORIES.map(([value, label]) => h("option", { value }, label)));
    const reason = h("textarea", { rows: 3, maxlength: 1000, required: true, dir: "auto" });
    const send = h("button", { type: "submit", class: "primary" }, "Send report");
    const cancel = h("button", { type: "button" }, "Cancel");
    const form = h("form", { method: "dialog", class: "report-form" },
      field("Category", category),
      field("What is wrong?", reason, "Sent to this server's moderators."),
      h("div", { class: "dialog-actions" }, cancel, send));
    const dialog = h("dialog", { class: "dialog", "aria-labelledby": titleId },
      h("h2", { id: titleId }, target.event_id ? "Report post" : "Report account"), form);
    cancel.addEventListener("click", () => dialog.close());
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!reason.value.trim()) {
        reason.focus();
        return;
      }
      send.setAttribute("aria-busy", "true");
      try {
        await ctx.api.post("/reports", { ...target, category: category.value, reason: reason.value });
        toast("Thanks, your report was sent");
        ctx.announce("Report sent");
        dialog.close();
      } catch (error) {
        ctx.banner.show(error);
      } finally {
        send.removeAttribute("aria-busy");
      }
    });
    dialog.addEventListener("close", () => {
      dialog.remove();
      if (before && before.isConnected) before.focus();
      resolve();
    });
    trapFocus(dialog);
    document.body.append(dialog);
    dialog.showModal();
    category.focus();
  });
}

/** Unblock / unmute from Settings. */
export const unblock = (ctx, userId) => ctx.api.del(`/blocks/${enc(userId)}`);
export const unmute = (ctx, userId) => ctx.api.del(`/mutes/${enc(userId)}`);
