// Settings: the people you blocked or muted, and your muted words (add, remove).
import { enc } from "../api.js";
import { busy, errorBox, field, fill, h } from "../dom.js";
import { unblock, unmute } from "../safety.js";

function personRow(ctx, person, verb, undo, reload) {
  const button = h("button", { type: "button", "aria-label": `${verb} ${person.user_id}` }, verb);
  button.addEventListener("click", () => busy(button, async () => {
    await undo(ctx, person.user_id);
    ctx.announce(`${verb}ed ${person.user_id}`);
    await reload();
  }, (error) => button.after(errorBox(error))));
  return h("li", {}, h("div", { class: "who" },
    h("strong", {}, `@${person.handle}`),
    person.with ? h("span", { class: "handle" }, `Their AI, blocked with ${person.with}`) : null),
  person.with ? null : button);
}

export async function render(ctx) {
  const blocks = h("ul", { class: "safety-list", "aria-label": "Blocked accounts" });
  const mutes = h("ul", { class: "safety-list", "aria-label": "Muted accounts" });
  const words = h("ul", { class: "safety-list", "aria-label": "Muted words" });
  const word = h("input", { name: "word", required: true, maxlength: 100 });
  const inFeed = h("input", { type: "checkbox", name: "feed", checked: true });
  const inNotifications = h("input", { type: "checkbox", name: "notifications", checked: true });
  const add = h("button", { type: "submit", class: "primary" }, "Mute word");
  const status = h("div", { role: "status" });
  const form = h("form", { "aria-label": "Mute a word" },
    field("Word or phrase", word, "Whole words, any case: “cat” hides “Cat!” but not “catalog”."),
    h("div", { class: "field" }, h("label", {}, inFeed, " Feed and explore"), " ",
      h("label", {}, inNotifications, " Notifications")),
    add, status);

  async function load() {
    try {
      const [b, m, w] = await Promise.all([ctx.api.get("/blocks"), ctx.api.get("/mutes"),
        ctx.api.get("/muted_words")]);
      fill(blocks, ...(b.items.length ? b.items.map((p) => personRow(ctx, p, "Unblock", unblock, load))
        : [h("li", { class: "hint" }, "You have not blocked anyone.")]));
      fill(mutes, ...(m.items.length ? m.items.map((p) => personRow(ctx, p, "Unmute", unmute, load))
        : [h("li", { class: "hint" }, "You have not muted anyone.")]));
      fill(words, ...(w.items.length ? w.items.map((item) => {
        const remove = h("button", { type: "button", "aria-label": `Unmute the word ${item.word}` }, "Unmute");
        remove.addEventListener("click", () => busy(remove, async () => {
          await ctx.api.del(`/muted_words/${enc(item.id)}`);
          ctx.announce(`Unmuted ${item.word}`);
          await load();
        }, (error) => remove.after(errorBox(error))));
        const where = item.contexts.map((c) => (c === "feed" ? "feed and explore" : c)).join(", ");
        return h("li", {}, h("div", { class: "who" },
          h("strong", {}, item.word), h("span", { class: "handle" }, `Hidden in ${where}`)), remove);
      }) : [h("li", { class: "hint" }, "No muted words.")]));
    } catch (error) {
      fill(blocks, h("li", {}, errorBox(error, load)));
    }
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const contexts = [inFeed.checked ? "feed" : null, inNotifications.checked ? "notifications" : null]
      .filter(Boolean);
    busy(add, async () => {
      await ctx.api.post("/muted_words", { word: word.value, contexts });
      word.value = "";
      fill(status);
      await load();
    }, (error) => fill(status, errorBox(error)));
  });
  await load();
  return h("section", { class: "card", "aria-labelledby": "safety-title", id: "safety" },
    h("h2", { id: "safety-title", tabindex: "-1" }, "Blocked and muted"),
    h("h3", {}, "Blocked"), blocks, h("h3", {}, "Muted"), mutes,
    h("h3", {}, "Muted words"), words, form);
}
