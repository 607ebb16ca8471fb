// Pop-up menus (the menu button pattern: arrows move, Escape closes, focus comes back to the
// button) and confirmation dialogs (<dialog>: the page behind is inert, Escape cancels, focus
// returns where it was).
import { h } from "./dom.js";
import { icon } from "./icons.js";

let openMenu = null;

function closeOpenMenu(restoreFocus) {
  if (!openMenu) return;
  const { button, list, onDocument } = openMenu;
  openMenu = null;
  list.remove();
  button.setAttribute("aria-expanded", "false");
  document.removeEventListener("pointerdown", onDocument, true);
  if (restoreFocus) button.focus();
}

/**
 * A button that opens a menu. `items()` is asked each time it opens: a list of
 * {label, icon, onSelect() | href, danger, external}; null entries are left out.
 */
export function menuButton({ label, menuLabel = label, iconName = "more", className = "", items,
  text = null }) {
  // `label` names the button (null: its content does); `menuLabel` names the menu.
  const button = h("button", { type: "button", class: `action menu-button ${className}`,
    "aria-haspopup": "menu", "aria-expanded": "false", "aria-label": label },
  icon(iconName, { size: 20 }), text);
  const wrap = h("div", { class: "menu-wrap" }, button);

  function focusItem(list, index) {
    const entries = [...list.querySelectorAll("[role=menuitem]")];
    if (!entries.length) return;
    entries[(index + entries.length) % entries.length].focus();
  }

  function open(focusLast = false) {
    closeOpenMenu(false);
    const list = h("div", { class: "menu", role: "menu", "aria-label": menuLabel });
    for (const item of items().filter(Boolean)) {
      const content = [item.icon ? icon(item.icon, { size: 18 }) : null, h("span", {}, item.label)];
      const entry = item.href
        ? h("a", { href: item.href, role: "menuitem", tabindex: "-1", class: "menu-item",
          ...(item.external ? { target: "_blank", rel: "noopener noreferrer" } : { "data-link": true }) },
        content)
        : h("button", { type: "button", role: "menuitem", tabindex: "-1",
          class: `menu-item${item.danger ? " danger" : ""}` }, content);
      entry.addEventListener("click", (event) => {
        if (item.href) {
          // A link follows only while it is in the page: close once it has been followed.
          setTimeout(() => closeOpenMenu(false), 0);
          return;
        }
        event.preventDefault();
        closeOpenMenu(true);
        if (item.onSelect) item.onSelect();
      });
      list.append(entry);
    }
    list.addEventListener("keydown", (event) => {
      const entries = [...list.querySelectorAll("[role=menuitem]")];
      const at = entries.indexOf(document.activeElement);
      if (event.key === "ArrowDown") { event.preventDefault(); focusItem(list, at + 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); focusItem(list, at - 1); }
      else if (event.key === "Home") { event.preventDefault(); focusItem(list, 0); }
      else if (event.key === "End") { event.preventDefault(); focusItem(list, -1); }
      else if (event.key === "Escape") { event.preventDefault(); closeOpenMenu(true); }
      else if (event.key === "Tab") closeOpenMenu(false);
    });
    const onDocument = (event) => {
      if (!wrap.contains(event.target)) closeOpenMenu(false);
    };
    document.addEventListener("pointerdown", onDocument, true);
    wrap.append(list);
    button.setAttribute("aria-expanded", "true");
    openMenu = { button, list, onDocument };
    // Open upwards when there is no room below (the phone's tab bar).
    const below = window.innerHeight - button.getBoundingClientRect().bottom;
    list.classList.toggle("upwards", below < list.offsetHeight + 80);
    focusItem(list, focusLast ? -1 : 0);
  }

  button.addEventListener("click", () => {
    if (openMenu && openMenu.button === button) closeOpenMenu(true);
    else open();
  });
  button.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      open(event.key === "ArrowUp");
    }
  });
  return { el: wrap, button, close: () => closeOpenMenu(true) };
}

/** Ask before something that cannot be undone; resolves true when confirmed. */
export function confirmDialog({ title, body, confirmLabel, danger = true }) {
  return new Promise((resolve) => {
    const before = document.activeElement;
    const confirm = h("button", { type: "button", class: danger ? "danger-solid" : "primary" },
      confirmLabel);
    const cancel = h("button", { type: "button" }, "Cancel");
    const titleId = `dialog-title-${Date.now()}`;
    const dialog = h("dialog", { class: "dialog confirm", "aria-labelledby": titleId },
      h("h2", { id: titleId }, title), body ? h("p", {}, body) : null,
      h("div", { class: "dialog-actions" }, cancel, confirm));
    let answer = false;
    confirm.addEventListener("click", () => { answer = true; dialog.close(); });
    cancel.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => {
      dialog.remove();
      if (before && before.isConnected) before.focus();
      resolve(answer);
    });
    trapFocus(dialog);
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

const FOCUSABLE = "button:not([disabled]):not([hidden]), [href], input:not([disabled]):not([hidden]), "
  + "textarea:not([disabled]), select:not([disabled]), [tabindex]:not([tabindex='-1'])";

/** Keep Tab and Shift+Tab inside `dialog` (a modal makes the page inert, but Tab could still
 * leave the page for the browser's own controls). */
export function trapFocus(dialog) {
  dialog.addEventListener("keydown", (event) => {
    if (event.key !== "Tab") return;
    const items = [...dialog.querySelectorAll(FOCUSABLE)].filter((e) => e.offsetParent !== null);
    if (!items.length) return;
    const first = items[0];
    const last = items[items.length - 1];
    if (event.shiftKey && (document.activeElement === first || !dialog.contains(document.activeElement))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  });
}
