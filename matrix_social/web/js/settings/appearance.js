// Settings: how the app looks in this browser: light, dark, or as the system says.
import { h, uid } from "../dom.js";
import { onThemeChange, setTheme, storedTheme } from "../shell.js";

export function render() {
  const name = uid("theme");
  const choices = [["system", "Match the system"], ["light", "Light"], ["dark", "Dark"]];
  const radios = choices.map(([value]) => h("input", { type: "radio", name, value, class: "chip-input",
    checked: storedTheme() === value }));
  radios.forEach((radio) => radio.addEventListener("change", () => setTheme(radio.value)));
  onThemeChange(() => {
    for (const radio of radios) radio.checked = radio.value === storedTheme();
  });
  return h("section", { class: "card", "aria-labelledby": "appearance-title" },
    h("h2", { id: "appearance-title" }, "Appearance"),
    h("fieldset", { class: "theme-choice" }, h("legend", { class: "visually-hidden" }, "Theme"),
      h("div", { class: "chips" }, choices.map(([, label], i) => h("label", { class: "chip" },
        radios[i], label)))),
    h("p", { class: "hint" }, "Kept in this browser. “Match the system” follows your device's light or dark setting."));
}
