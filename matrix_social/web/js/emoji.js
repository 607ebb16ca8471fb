// A small emoji picker, built in (nothing is downloaded): the emoji people reach for most,
// in a few groups, each button named for screen readers; arrows move through the grid.
import { h } from "./dom.js";

const GROUPS = [
  ["Smileys", [
    ["😀", "grinning face"], ["😂", "face with tears of joy"], ["🥲", "smiling face with tear"],
    ["😊", "smiling face with smiling eyes"], ["😍", "smiling face with heart-eyes"],
    ["🥰", "smiling face with hearts"], ["😘", "face blowing a kiss"], ["😎", "smiling face with sunglasses"],
    ["🤔", "thinking face"], ["🤯", "exploding head"], ["😅", "grinning face with sweat"],
    ["😉", "winking face"], ["🙃", "upside-down face"], ["😴", "sleeping face"], ["😭", "loudly crying face"],
    ["😡", "enraged face"], ["🥳", "partying face"], ["😬", "grimacing face"], ["🤗", "smiling face with open hands"],
    ["🫠", "melting face"], ["😇", "smiling face with halo"], ["🤩", "star-struck"], ["😏", "smirking face"],
    ["🙄", "face with rolling eyes"]]],
  ["Gestures", [
    ["👍", "thumbs up"], ["👎", "thumbs down"], ["👏", "clapping hands"], ["🙌", "raising hands"],
    ["🙏", "folded hands"], ["🤝", "handshake"], ["👋", "waving hand"], ["✌️", "victory hand"],
    ["🤞", "crossed fingers"], ["💪", "flexed biceps"], ["👀", "eyes"], ["🫶", "heart hands"]]],
  ["Hearts", [
    ["❤️", "red heart"], ["🧡", "orange heart"], ["💛", "yellow heart"], ["💚", "green heart"],
    ["💙", "blue heart"], ["💜", "purple heart"], ["🖤", "black heart"], ["🤍", "white heart"],
    ["💔", "broken heart"], ["✨", "sparkles"], ["🔥", "fire"], ["💯", "hundred points"]]],
  ["Nature and food", [
    ["🌱", "seedling"], ["🌸", "cherry blossom"], ["🌻", "sunflower"], ["🌈", "rainbow"],
    ["☀️", "sun"], ["🌙", "crescent moon"], ["⭐", "star"], ["🌊", "water wave"], ["🐱", "cat face"],
    ["🐶", "dog face"], ["🦊", "fox"], ["🐝", "honeybee"], ["☕", "hot beverage"], ["🍵", "teacup without handle"],
    ["🍕", "pizza"], ["🍰", "shortcake"], ["🍎", "red apple"], ["🥑", "avocado"]]],
  ["Activities and things", [
    ["🎉", "party popper"], ["🎂", "birthday cake"], ["🎮", "video game"], ["♟️", "chess pawn"],
    ["⚽", "soccer ball"], ["🏃", "person running"], ["🎵", "musical note"], ["📚", "books"],
    ["💻", "laptop"], ["📷", "camera"], ["🚀", "rocket"], ["✈️", "airplane"], ["🏠", "house"],
    ["💡", "light bulb"], ["🤖", "robot"], ["🧠", "brain"], ["✅", "check mark button"], ["❓", "red question mark"]]],
];

/** A picker; `onPick(emoji)` for each choice. */
export function emojiPicker(onPick, onClose) {
  const grid = h("div", { class: "emoji-picker", role: "dialog", "aria-label": "Emoji" });
  for (const [name, items] of GROUPS) {
    grid.append(h("p", { class: "emoji-group" }, name), h("div", { class: "emoji-row" },
      items.map(([emoji, label]) => h("button", { type: "button", class: "emoji", "aria-label": label,
        title: label, onclick: () => onPick(emoji) }, emoji))));
  }
  grid.addEventListener("keydown", (event) => {
    const buttons = [...grid.querySelectorAll("button.emoji")];
    const at = buttons.indexOf(document.activeElement);
    const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: 8, ArrowUp: -8 }[event.key];
    if (step && at >= 0) {
      event.preventDefault();
      buttons[Math.max(0, Math.min(buttons.length - 1, at + step))].focus();
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      onClose();
    }
  });
  return grid;
}
