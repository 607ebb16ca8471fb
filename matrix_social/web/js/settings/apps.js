// Settings: the apps you publish (publish, unpublish). Publishing may make a draft when you
// share app publishes, so the drafts part is told.
import { enc } from "../api.js";
import { busy, errorBox, field, fill, h } from "../dom.js";

export async function render(ctx, shared) {
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
      shared.emit("activity");
      await load();
    }, (error) => fill(status, errorBox(error)));
  });
  await load();
  return h("section", { class: "card", "aria-labelledby": "apps-settings-title" },
    h("h2", { id: "apps-settings-title" }, "Your apps"), list,
    h("h3", {}, "Publish an app"), form);
}
