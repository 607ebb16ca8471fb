// Key backup (Matrix server-side key backup, as Element does it): this browser's message keys
// are uploaded to the homeserver encrypted with a key only she holds, shown once as a recovery
// key. In a new browser she types the recovery key and reads her earlier messages there too.
import { busy, errorBox, field, fill, h } from "./dom.js";
import { icon } from "./icons.js";
import { decodeRecoveryKey, encodeRecoveryKey } from "./recovery-key.js";

function modal(title, ...children) {
  const dialog = h("dialog", { class: "dialog key-backup-dialog", "aria-labelledby": "key-backup-title" },
    h("div", { class: "dialog-head" }, h("h2", { id: "key-backup-title" }, title),
      h("button", { type: "button", class: "icon-button", "aria-label": "Close",
        onclick: () => dialog.close() }, icon("close", { size: 20 }))),
    ...children);
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

/** The backup's state for this browser: "none" (no backup on the server), "on" (this
 * browser backs its keys up), "restore" (a backup exists; this browser lacks its key). */
export async function backupState(crypto) {
  const info = await crypto.getKeyBackupInfo();
  if (!info || !info.version) return { state: "none" };
  const active = await crypto.getActiveSessionBackupVersion();
  return { state: active === info.version ? "on" : "restore", version: info.version };
}

/** The panel in Messages: its state in words and the one action that fits. onRestored runs
 * once keys have been restored (the conversation is drawn again). */
export function keyBackupPanel(ctx, client, { onRestored }) {
  const crypto = client.getCrypto();
  const panel = h("section", { class: "key-backup", "aria-labelledby": "key-backup-head" });
  const opener = { el: null };

  async function paint() {
    let current;
    try {
      current = await backupState(crypto);
    } catch (error) {
      fill(panel, errorBox(error, paint));
      return;
    }
    panel.dataset.state = current.state;
    if (current.state === "on") {
      fill(panel, h("p", { id: "key-backup-head", class: "hint key-backup-on" }, icon("lock", { size: 16 }),
        "Message keys backed up: a new browser can read your earlier messages."));
      return;
    }
    const button = h("button", { type: "button", class: "small", "aria-haspopup": "dialog" },
      current.state === "none" ? "Set up key backup" : "Restore from key backup");
    opener.el = button;
    button.addEventListener("click", () => (current.state === "none" ? setUp(button) : restore(button, current.version)));
    fill(panel, h("p", { id: "key-backup-head", class: "hint" }, current.state === "none"
      ? "Without a key backup, a new browser cannot read your earlier messages."
      : "Your earlier messages are in your key backup: restore it to read them here."), button);
  }

  function setUp(button) {
    busy(button, async () => {
      await crypto.resetKeyBackup();
      const key = await crypto.getSessionBackupPrivateKey();
      if (!key) throw new Error("The backup was made but its key is not in this browser.");
      const text = encodeRecoveryKey(key);
      const copy = h("button", { type: "button" }, "Copy");
      copy.addEventListener("click", () => busy(copy, async () => {
        await navigator.clipboard.writeText(text);
        ctx.announce("Recovery key copied");
        copy.textContent = "Copied";
      }, (error) => ctx.banner.show(error)));
      const dialog = modal("Your recovery key",
        h("p", {}, "Keep it somewhere safe, such as a password manager. In a new browser it "
          + "unlocks your earlier messages. It is shown only now."),
        h("code", { class: "recovery-key" }, text),
        h("div", { class: "dialog-actions" }, copy,
          h("button", { type: "button", class: "primary", onclick: () => dialog.close() }, "I have saved it")));
      dialog.addEventListener("close", () => { paint().then(() => opener.el?.focus?.()); });
    }, (error) => ctx.banner.show(error));
  }

  function restore(button, version) {
    const input = h("textarea", { name: "recovery-key", rows: 2, autocomplete: "off", spellcheck: "false" });
    const submit = h("button", { type: "submit", class: "primary" }, "Restore");
    const note = h("div", { role: "status" });
    const form = h("form", { "aria-label": "Restore from key backup" },
      field("Recovery key", input, "48 letters and digits, in groups of four"),
      h("div", { class: "dialog-actions" }, submit), note);
    const dialog = modal("Restore from key backup", form);
    dialog.addEventListener("close", () => button.isConnected && button.focus());
    input.focus();
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(submit, async () => {
        fill(note, "Restoring…");
        const key = decodeRecoveryKey(input.value);
        await crypto.storeSessionBackupPrivateKey(key, version);
        let result;
        try {
          result = await crypto.restoreKeyBackup();
        } catch (error) {
          throw new Error(/does not match/.test(error.message)
            ? "That recovery key does not open this backup." : error.message);
        }
        await crypto.checkKeyBackupAndEnable().catch(() => null);
        ctx.announce(`Restored ${result.imported} message keys`);
        dialog.close();
        await paint();
        onRestored();
      }, (error) => fill(note, h("p", { class: "error-text", role: "alert" }, error.message)));
    });
  }

  paint();
  return panel;
}
