// Settings: cross-post defaults (docs/platforms.md, Cross-posting). The platforms your posts
// are also published on unless you choose otherwise (GET/PUT /settings/cross_post): the
// composer starts with these ticked, and a post made without saying (an app posting for you)
// goes to them.
import { busy, clear, errorBox, fill, h, uid } from "../dom.js";
import { platformName, platformOf, publishTargets } from "../platforms.js";

function targetHint(target, connection) {
  const name = platformName(target);
  const note = (platformOf(target) || {}).publish_note;
  const only = note ? ` ${note}` : "";
  if (!connection) return `Not connected: connect ${name} above first.${only}`;
  const handle = connection.account && connection.account.handle;
  if (connection.status !== "ok") {
    return `Connected as @${handle}, but not working: connect it again above.${only}`;
  }
  return `As @${handle}.${only}`;
}

export async function render(ctx, shared) {
  const section = h("section", { class: "card", "aria-labelledby": "crosspost-title" },
    h("h2", { id: "crosspost-title" }, "Cross-post defaults"),
    h("p", {}, "Where your posts are also published unless you choose otherwise. The composer "
      + "starts with these ticked (you can change them for each post), and apps that post for "
      + "you use them. Your AI’s posts are never cross-posted."));
  const body = h("div", {});
  section.append(body);
  const boxes = new Map();

  function form(defaults, listed) {
    const save = h("button", { type: "submit", class: "primary" }, "Save cross-post defaults");
    const status = h("div", { class: "form-status", role: "status" });
    const fieldset = h("fieldset", {}, h("legend", {}, "Also publish my posts on"));
    for (const target of publishTargets()) {
      const input = h("input", { type: "checkbox", name: target, id: uid(`default-${target}`) });
      const hint = h("p", { class: "hint", id: `${input.id}-hint` });
      input.setAttribute("aria-describedby", hint.id);
      boxes.set(target, { input, hint });
      fieldset.append(h("div", { class: "switch-row" }, input,
        h("div", {}, h("label", { for: input.id }, platformName(target)), hint)));
    }
    const el = h("form", { class: "crosspost-form", "aria-labelledby": "crosspost-title" },
      fieldset, h("div", { class: "button-row" }, save), status);

    function show(chosen) {
      for (const [target, { input }] of boxes) input.checked = chosen.includes(target);
      connected(listed);
    }
    show(defaults.cross_post_default || []);
    shared.on("connections", (fresh) => { listed = fresh; connected(fresh); });

    el.addEventListener("submit", (event) => {
      event.preventDefault();
      clear(status);
      busy(save, async () => {
        const chosen = publishTargets().filter((t) => boxes.get(t).input.checked);
        const saved = await ctx.api.put("/settings/cross_post", { cross_post_default: chosen });
        show(saved.cross_post_default || []);
        const names = (saved.cross_post_default || []).map(platformName);
        fill(status, h("p", { class: "ok-text" }, names.length
          ? `Saved: your posts are also published on ${names.join(", ")}.`
          : "Saved: your posts stay here unless you choose otherwise."));
        ctx.announce("Cross-post defaults saved");
      }, (error) => fill(status, errorBox(error)));
    });
    return el;
  }

  /** Hints from the connections; a target not connected can be unticked, not ticked. */
  function connected(listed) {
    const byPlatform = new Map(((listed && listed.connections) || []).map((c) => [c.platform, c]));
    for (const [target, { input, hint }] of boxes) {
      const connection = byPlatform.get(target);
      hint.textContent = listed ? targetHint(target, connection)
        : "Your connections could not be read (see above).";
      input.disabled = Boolean(listed) && !connection && !input.checked;
    }
  }

  async function load() {
    fill(body, h("p", { class: "status" }, "Loading your cross-post defaults…"));
    try {
      const [defaults, listed] = await Promise.all([ctx.api.get("/settings/cross_post"),
        shared.connections().catch(() => null)]);
      fill(body, form(defaults, listed));
    } catch (error) {
      fill(body, errorBox(error, load));
    }
  }

  await load();
  return section;
}
