// Settings: your account and this browser's session, your AI, and the apps you publish.
import { enc } from "./api.js";
import { busy, errorBox, field, fill, h } from "./dom.js";

function accountSection(ctx) {
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

function aiSection(ctx) {
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

function appsSection(ctx) {
  const list = h("ul", { class: "apps-list", "aria-label": "Your published apps" });
  const slug = h("input", { name: "slug", pattern: "[a-z0-9][a-z0-9-]{0,63}", required: true });
  const name = h("input", { name: "name", required: true, maxlength: 100 });
  const description = h("input", { name: "description", maxlength: 500 });
  const url = h("input", { name: "url", type: "url", required: true });
  const share = h("input", { type: "checkbox", name: "share" });
  const publish = h("button", { type: "submit", class: "primary" }, "Publish");
  const status = h("div", { role: "status" });
  const form = h("form", { "aria-label": "Publish an app" },
    field("Short name (slug)", slug, "Lower case letters, digits and dashes, e.g. chess"),
    field("Name", name), field("Description", description), field("URL", url),
    h("div", { class: "field" }, h("label", {}, share, " Also share it in my feed")),
    publish, status);

  async function load() {
    try {
      const me = await ctx.api.get(`/profile/${enc(ctx.session.userId)}`);
      fill(list, ...(me.apps.length ? me.apps.map((app) => {
        const remove = h("button", { type: "button", class: "danger",
          "aria-label": `Unpublish ${app.name}` }, "Unpublish");
        remove.addEventListener("click", () => busy(remove, async () => {
          await ctx.api.del(`/apps/${enc(app.id)}`);
          ctx.announce(`${app.name} unpublished`);
          await load();
        }, (error) => remove.after(errorBox(error))));
        return h("li", { class: "person" }, h("div", { class: "who" },
          h("strong", {}, app.name), h("span", { class: "handle" }, ` ${app.id} · ${app.installs} installs`)),
        remove);
      }) : [h("li", { class: "status" }, "You have not published an app yet.")]));
    } catch (error) {
      fill(list, h("li", {}, errorBox(error, load)));
    }
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(publish, async () => {
      await ctx.api.post("/apps", { slug: slug.value, name: name.value,
        description: description.value, url: url.value, share: share.checked });
      form.reset();
      fill(status, h("p", {}, "Published."));
      await load();
    }, (error) => fill(status, errorBox(error)));
  });
  load();
  return h("section", { class: "card", "aria-labelledby": "apps-settings-title" },
    h("h2", { id: "apps-settings-title" }, "Your apps"), list,
    h("h3", {}, "Publish an app"), form);
}

export async function render(ctx, container) {
  container.append(h("h1", {}, "Settings"), accountSection(ctx), aiSection(ctx),
    appsSection(ctx));
  container.dataset.ready = "true";
}
