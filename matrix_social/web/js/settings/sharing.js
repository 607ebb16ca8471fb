// Settings: activity sharing (docs/activity.md). Which of your activities become drafts, what is
// published without you, your time zone (when your day and week end), and the same settings as
// the social-config.json file of Matrix OS (export, import).
import { busy, clear, errorBox, field, fill, h, uid } from "../dom.js";
import { browserTimeZone } from "./shared.js";

const SHARES = [
  ["share_app_publishes", "Apps I publish",
    "Publishing an app makes a draft: “Published Chess -- try it!” with the app’s preview."],
  ["share_app_forks", "Apps I remix",
    "Publishing a remix of someone’s app makes a draft: “Remixed @bob’s Chess”."],
  ["share_game_scores", "Game scores",
    "A game score makes a draft: “Scored 1200 in chess (12 minutes)”."],
  ["share_ai_activity", "My AI’s activity",
    "Your AI’s tasks count towards an AI summary, tasks your agent reports become drafts for "
    + "your AI’s feed, and your AI’s profile lists its public conversations."],
  ["share_profile_updates", "Profile updates",
    "Editing your profile makes a draft: “Updated my bio and links”."],
];

export const FREQUENCIES = [
  ["off", "Off", "every draft waits for you; no summaries."],
  ["immediate", "Immediately",
    "each draft publishes itself after a short review window (the time is shown on it), "
    + "unless you edit or discard it first."],
  ["daily_summary", "Daily summary",
    "every day at 18:00 your time, a summary of your day is drafted; it publishes itself at "
    + "20:00 unless you edit or discard it. Other drafts wait for you."],
  ["weekly_summary", "Weekly summary",
    "every Sunday at 18:00 your time, a summary of your week is drafted; it publishes itself at "
    + "20:00 unless you edit or discard it. Other drafts wait for you."],
];

const MAX_FILE_BYTES = 64 * 1024;

function isUntouched(settings) {
  return SHARES.every(([key]) => settings[key] === false)
    && settings.auto_post_frequency === "off" && settings.timezone === "UTC";
}

/** Every IANA zone the browser knows, grouped by region, plus UTC and the given ones. */
function zoneSelect(extra) {
  let zones = [];
  try {
    zones = Intl.supportedValuesOf("timeZone");
  } catch {
    // an older browser: the zones given (saved, browser's) and UTC are still there
  }
  const groups = new Map();
  for (const zone of [...new Set([...zones, ...extra])].sort()) {
    if (zone === "UTC") continue;
    const region = zone.includes("/") ? zone.split("/")[0] : "Other";
    if (!groups.has(region)) groups.set(region, []);
    groups.get(region).push(h("option", { value: zone }, zone.replace(/_/g, " ")));
  }
  return h("select", { name: "timezone" }, h("option", { value: "UTC" }, "UTC"),
    [...groups].map(([region, options]) => h("optgroup", { label: region }, options)));
}

function switchRow(key, label, hint) {
  const input = h("input", { type: "checkbox", name: key, id: uid(key) });
  const hintEl = h("p", { class: "hint", id: `${input.id}-hint` }, hint);
  input.setAttribute("aria-describedby", hintEl.id);
  return { input, el: h("div", { class: "switch-row" }, input,
    h("div", {}, h("label", { for: input.id }, label), hintEl)) };
}

export async function render(ctx, shared) {
  const section = h("section", { class: "card", "aria-labelledby": "sharing-title" },
    h("h2", { id: "sharing-title" }, "Activity sharing"),
    h("p", {}, "What you do on Matrix OS can become posts in your feed. Everything is off until "
      + "you turn it on, and nothing is posted directly: each activity becomes a draft (below) "
      + "that you can preview, edit, publish or discard."));
  const body = h("div", {});
  section.append(body);

  async function load() {
    fill(body, h("p", { class: "status" }, "Loading your sharing settings…"));
    try {
      const settings = await shared.load();
      fill(body, form(settings), fileArea());
    } catch (error) {
      fill(body, errorBox(error, load));
    }
  }

  function form(initial) {
    const switches = SHARES.map(([key, label, hint]) => ({ key, ...switchRow(key, label, hint) }));
    const frequency = h("select", { name: "auto_post_frequency" },
      FREQUENCIES.map(([value, label]) => h("option", { value }, label)));
    const frequencyHelp = h("ul", { class: "hint option-help", id: uid("frequency-help") },
      FREQUENCIES.map(([, label, meaning]) => h("li", {}, h("strong", {}, label), `: ${meaning}`)));
    const frequencyField = field("Publish without me", frequency);
    frequencyField.append(frequencyHelp);
    frequency.setAttribute("aria-describedby", frequencyHelp.id);
    const browserZone = browserTimeZone();
    const zone = zoneSelect([initial.timezone, browserZone]);
    const zoneNote = h("span", {});
    const zoneField = field("Time zone", zone,
      "When your day and your week end, for summaries (a week ends on Sunday at 18:00).");
    zoneField.querySelector(".hint").append(" ", zoneNote);
    const save = h("button", { type: "submit", class: "primary" }, "Save sharing settings");
    const status = h("div", { class: "form-status", role: "status" });
    const el = h("form", { class: "sharing-form", "aria-labelledby": "sharing-title" },
      h("fieldset", {}, h("legend", {}, "Make drafts from"), switches.map((s) => s.el)),
      frequencyField, zoneField, h("div", { class: "button-row" }, save), status);

    function show(settings, { suggestZone = false } = {}) {
      for (const s of switches) s.input.checked = settings[s.key] === true;
      frequency.value = settings.auto_post_frequency;
      const suggest = suggestZone && browserZone !== settings.timezone;
      const wanted = suggest ? browserZone : settings.timezone;
      if (![...zone.options].some((o) => o.value === wanted)) {
        zone.append(h("option", { value: wanted }, wanted));  // a zone this browser lacks
      }
      zone.value = wanted;
      zoneNote.textContent = suggest
        ? `This is your browser’s time zone; it is saved with these settings (until then the `
          + `service uses ${settings.timezone}).` : "";
    }
    show(initial, { suggestZone: isUntouched(initial) });
    shared.on("settings", (settings) => show(settings));

    el.addEventListener("submit", (event) => {
      event.preventDefault();
      clear(status);
      busy(save, async () => {
        const changes = { auto_post_frequency: frequency.value, timezone: zone.value };
        for (const s of switches) changes[s.key] = s.input.checked;
        await shared.save(changes);
        fill(status, h("p", { class: "ok-text" }, "Saved."));
        ctx.announce("Sharing settings saved");
      }, (error) => fill(status, errorBox(error)));
    });
    return el;
  }

  function fileArea() {
    const exportButton = h("button", { type: "button" }, "Export social-config.json");
    const file = h("input", { type: "file", name: "social-config",
      accept: "application/json,.json" });
    const importButton = h("button", { type: "button" }, "Import");
    const status = h("div", { class: "form-status", role: "status" });

    exportButton.addEventListener("click", () => busy(exportButton, async () => {
      clear(status);
      const data = await shared.exportFile();
      const blob = new Blob([`${JSON.stringify(data, null, 2)}\n`], { type: "application/json" });
      const url = URL.createObjectURL(blob);
      const link = h("a", { href: url, download: "social-config.json", hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    }, (error) => fill(status, errorBox(error))));

    importButton.addEventListener("click", () => busy(importButton, async () => {
      clear(status);
      const chosen = file.files[0];
      if (!chosen) throw new Error("Choose a social-config.json file first.");
      if (chosen.size > MAX_FILE_BYTES) {
        throw new Error(`${chosen.name} is too big for a social-config.json `
          + `(${Math.ceil(chosen.size / 1024)} KB); nothing was changed.`);
      }
      let data;
      try {
        data = JSON.parse(await chosen.text());
      } catch (error) {
        throw new Error(`${chosen.name} is not valid JSON (${error.message}); nothing was changed.`);
      }
      await shared.importFile(data);
      file.value = "";
      fill(status, h("p", { class: "ok-text" }, `Imported ${chosen.name}: every setting above `
        + "now comes from the file."));
      ctx.announce("Settings imported");
    }, (error) => fill(status, errorBox(error))));

    return h("div", { class: "config-file" },
      h("h3", {}, "The social-config.json file"),
      h("p", { class: "hint" }, "The same settings as Matrix OS keeps them in "
        + "~/system/social-config.json. Importing a file replaces every setting above; a "
        + "setting the file does not have is turned off."),
      h("div", { class: "button-row" }, exportButton),
      field("Import a social-config.json", file), importButton, status);
  }

  await load();
  return section;
}
