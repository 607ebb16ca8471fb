// Settings: your AI (from your OS's SOUL file) and your account and this browser's session.
import { busy, errorBox, fill, h } from "../dom.js";

function aiPart(ctx) {
  const soul = h("button", { type: "button" }, "Update from my SOUL file");
  const status = h("div", { role: "status" });
  soul.addEventListener("click", () => busy(soul, async () => {
    const profile = await ctx.api.post("/profile/ai/soul");
    fill(status, h("p", {}, "AI profile updated: ",
      (profile.ai && profile.ai.personality) || "no personality found in the file"));
  }, (error) => fill(status, errorBox(error))));
  return h("section", { class: "card", "aria-labelledby": "ai-settings-title" },
    h("h2", { id: "ai-settings-title" }, "Your AI"),
    h("p", {}, "Edit its personality, skills and capabilities on ",
      h("a", { href: "/social/profile", "data-link": true }, "your profile"),
      ", or take them from your OS's SOUL file."),
    soul, status);
}

function accountPart(ctx) {
  const signOut = h("button", { type: "button", class: "danger" }, "Sign out");
  signOut.addEventListener("click", () => busy(signOut, () => ctx.signOut()));
  return h("section", { class: "card", "aria-labelledby": "account-title" },
    h("h2", { id: "account-title" }, "Account"),
    h("dl", { class: "facts" },
      h("dt", {}, "Signed in as"), h("dd", {}, ctx.session.userId),
      h("dt", {}, "This browser's device"), h("dd", {}, ctx.session.deviceId || "unknown"),
      h("dt", {}, "Homeserver"), h("dd", {}, ctx.session.homeserverUrl)),
    h("p", { class: "hint" }, "Your messages' encryption keys are kept in this browser only. "
      + "Signing out ends this device's session and deletes them here."),
    signOut);
}

export function render(ctx) {
  return [aiPart(ctx), accountPart(ctx)];
}
