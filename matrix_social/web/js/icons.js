// The app's icons: one 24 px grid, 1.8 px round strokes (drawn for this app), built as SVG
// elements (never parsed from strings). Decorative: the control around an icon has the name.

const NS = "http://www.w3.org/2000/svg";

// Each icon is a list of [element, attributes]; "d" alone is a path.
const ICONS = {
  home: [["path", { d: "M3.5 10.2 12 3.5l8.5 6.7V19a1.5 1.5 0 0 1-1.5 1.5h-4.2v-6h-5.6v6H5A1.5 1.5 0 0 1 3.5 19z" }]],
  explore: [["circle", { cx: 12, cy: 12, r: 8.6 }], ["path", { d: "m15.6 8.4-2.2 5-5 2.2 2.2-5z" }]],
  search: [["circle", { cx: 11, cy: 11, r: 6.8 }], ["path", { d: "m20.2 20.2-4.4-4.4" }]],
  messages: [["path", { d: "M20.5 11.6a8.1 8.1 0 0 1-11.7 7.3L4 20.3l1.3-4.4a8.1 8.1 0 1 1 15.2-4.3z" }]],
  profile: [["circle", { cx: 12, cy: 8.2, r: 4 }], ["path", { d: "M4.3 20.4a7.7 7.7 0 0 1 15.4 0" }]],
  settings: [["path", { d: "M4 6.5h9M17.5 6.5H20M4 12h2.5M11 12h9M4 17.5h11M19.5 17.5h.5" }],
    ["circle", { cx: 15.2, cy: 6.5, r: 2.2 }], ["circle", { cx: 8.8, cy: 12, r: 2.2 }],
    ["circle", { cx: 17.2, cy: 17.5, r: 2.2 }]],
  write: [["path", { d: "M4 20h4.2L19 9.2a2.6 2.6 0 0 0-3.7-3.7L4.5 16.3z" }], ["path", { d: "m13.8 7 3.7 3.7" }]],
  comment: [["path", { d: "M20.5 11.6a8.1 8.1 0 0 1-11.7 7.3L4 20.3l1.3-4.4a8.1 8.1 0 1 1 15.2-4.3z" }]],
  repost: [["path", { d: "m17 3.5 3.5 3.5-3.5 3.5" }], ["path", { d: "M3.5 11.5v-1A3.5 3.5 0 0 1 7 7h13.5" }],
    ["path", { d: "m7 20.5-3.5-3.5 3.5-3.5" }], ["path", { d: "M20.5 12.5v1A3.5 3.5 0 0 1 17 17H3.5" }]],
  heart: [["path", { d: "M12 20.2s-7.6-4.5-9-9.6C2.1 7.2 4.3 4.3 7.5 4.3c1.9 0 3.4 1 4.5 2.6 1.1-1.6 2.6-2.6 4.5-2.6 3.2 0 5.4 2.9 4.5 6.3-1.4 5.1-9 9.6-9 9.6z" }]],
  share: [["path", { d: "M12 3.5v11.5" }], ["path", { d: "m7.5 8 4.5-4.5L16.5 8" }],
    ["path", { d: "M5 13.5V18a2.5 2.5 0 0 0 2.5 2.5h9A2.5 2.5 0 0 0 19 18v-4.5" }]],
  more: [["circle", { cx: 5.5, cy: 12, r: 1.4, fill: "currentColor", stroke: "none" }],
    ["circle", { cx: 12, cy: 12, r: 1.4, fill: "currentColor", stroke: "none" }],
    ["circle", { cx: 18.5, cy: 12, r: 1.4, fill: "currentColor", stroke: "none" }]],
  image: [["rect", { x: 3.5, y: 4.5, width: 17, height: 15, rx: 3 }], ["circle", { cx: 9, cy: 10, r: 1.8 }],
    ["path", { d: "m20.5 15.5-4.6-4.6L6.5 19.5" }]],
  cw: [["path", { d: "M12 4.2 2.8 19.5h18.4z" }], ["path", { d: "M12 10v4.2" }],
    ["circle", { cx: 12, cy: 16.8, r: 0.9, fill: "currentColor", stroke: "none" }]],
  emoji: [["circle", { cx: 12, cy: 12, r: 8.6 }], ["path", { d: "M8.4 14.2s1.3 2.1 3.6 2.1 3.6-2.1 3.6-2.1" }],
    ["circle", { cx: 9.2, cy: 9.8, r: 1, fill: "currentColor", stroke: "none" }],
    ["circle", { cx: 14.8, cy: 9.8, r: 1, fill: "currentColor", stroke: "none" }]],
  app: [["rect", { x: 4, y: 4, width: 6.5, height: 6.5, rx: 1.8 }], ["rect", { x: 13.5, y: 4, width: 6.5, height: 6.5, rx: 1.8 }],
    ["rect", { x: 4, y: 13.5, width: 6.5, height: 6.5, rx: 1.8 }], ["path", { d: "M16.75 13.5v6.5M13.5 16.75H20" }]],
  close: [["path", { d: "M6 6l12 12M18 6 6 18" }]],
  back: [["path", { d: "M19.5 12h-15M10.5 6l-6 6 6 6" }]],
  prev: [["path", { d: "m14.5 5.5-6.5 6.5 6.5 6.5" }]],
  next: [["path", { d: "m9.5 5.5 6.5 6.5-6.5 6.5" }]],
  sun: [["circle", { cx: 12, cy: 12, r: 4 }], ["path", { d: "M12 2.8v1.8M12 19.4v1.8M2.8 12h1.8M19.4 12h1.8M5.5 5.5l1.3 1.3M17.2 17.2l1.3 1.3M5.5 18.5l1.3-1.3M17.2 6.8l1.3-1.3" }]],
  moon: [["path", { d: "M20 14.6A8.4 8.4 0 1 1 9.4 4a6.6 6.6 0 0 0 10.6 10.6z" }]],
  pin: [["path", { d: "M12 16.5v5" }], ["path", { d: "M8.5 3.5h7l-1 6.2 3.5 3v2.3H6v-2.3l3.5-3z" }]],
  link: [["path", { d: "M10.2 13.8a4 4 0 0 0 5.6 0l3-3a4 4 0 0 0-5.6-5.6l-.9.9" }],
    ["path", { d: "M13.8 10.2a4 4 0 0 0-5.6 0l-3 3a4 4 0 0 0 5.6 5.6l.9-.9" }]],
  external: [["path", { d: "M14 4h6v6M20 4l-8.5 8.5" }], ["path", { d: "M18 13.5V18a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V8a2 2 0 0 1 2-2h4.5" }]],
  trash: [["path", { d: "M4.5 7h15M9.5 7V4.5h5V7M6.5 7l.9 12.1a1.5 1.5 0 0 0 1.5 1.4h6.2a1.5 1.5 0 0 0 1.5-1.4L17.5 7" }],
    ["path", { d: "M10 11v5.5M14 11v5.5" }]],
  edit: [["path", { d: "M4 20h4.2L19 9.2a2.6 2.6 0 0 0-3.7-3.7L4.5 16.3z" }]],
  check: [["path", { d: "m5 12.5 4.5 4.5L19 7.5" }]],
  plus: [["path", { d: "M12 5v14M5 12h14" }]],
  refresh: [["path", { d: "M19.5 12a7.5 7.5 0 1 1-2.2-5.3L19.5 9" }], ["path", { d: "M19.5 4.5V9H15" }]],
  signout: [["path", { d: "M14.5 4.5h3.5a1.5 1.5 0 0 1 1.5 1.5v12a1.5 1.5 0 0 1-1.5 1.5h-3.5" }],
    ["path", { d: "M10 16.5 14.5 12 10 7.5M14.5 12H4" }]],
  sparkle: [["path", { d: "M12 3.5l1.9 5 5 1.9-5 1.9-1.9 5-1.9-5-5-1.9 5-1.9z" }], ["path", { d: "M18.5 15.5l.8 2 2 .8-2 .8-.8 2-.8-2-2-.8 2-.8z" }]],
  users: [["circle", { cx: 9, cy: 8.5, r: 3.5 }], ["path", { d: "M2.8 19.5a6.2 6.2 0 0 1 12.4 0" }],
    ["path", { d: "M15.5 5.3a3.5 3.5 0 0 1 0 6.4M17.5 14a6.2 6.2 0 0 1 3.7 5.5" }]],
  lock: [["rect", { x: 5, y: 10.5, width: 14, height: 10, rx: 2.2 }], ["path", { d: "M8.3 10.5V8a3.7 3.7 0 0 1 7.4 0v2.5" }]],
  bell: [["path", { d: "M6 16.5V11a6 6 0 0 1 12 0v5.5l1.5 2H4.5z" }], ["path", { d: "M10 20.5a2.2 2.2 0 0 0 4 0" }]],
  trend: [["path", { d: "m3.5 16.5 6-6 4 4 7-7" }], ["path", { d: "M15.5 7.5h5v5" }]],
  hash: [["path", { d: "M9.5 3.5 7.5 20.5M16.5 3.5l-2 17M4 8.5h16.5M3.5 15.5H20" }]],
  bookmark: [["path", { d: "M6.5 3.5h11a1 1 0 0 1 1 1v16l-6.5-4.4-6.5 4.4v-16a1 1 0 0 1 1-1z" }]],
  shield: [["path", { d: "M12 3.3 4.8 6v5.7c0 4.3 3 8 7.2 9.1 4.2-1.1 7.2-4.8 7.2-9.1V6z" }],
    ["path", { d: "m8.9 12.2 2.2 2.2 4-4.2" }]],
  flag: [["path", { d: "M5.5 20.5v-16" }], ["path", { d: "M5.5 4.5h11.2l-2.2 4.2 2.2 4.3H5.5" }]],
  paperclip: [["path", { d: "m19.6 11.4-7.7 7.7a4.9 4.9 0 0 1-6.9-6.9l8-8a3.3 3.3 0 0 1 4.6 4.6l-7.9 7.9a1.7 1.7 0 0 1-2.4-2.4l7.2-7.2" }]],
  send: [["path", { d: "M20.6 3.4 3.5 10.3l7 3.2 3.2 7z" }], ["path", { d: "m20.6 3.4-10.1 10.1" }]],
  file: [["path", { d: "M13.5 3.5H7.2a1.7 1.7 0 0 0-1.7 1.7v13.6a1.7 1.7 0 0 0 1.7 1.7h9.6a1.7 1.7 0 0 0 1.7-1.7V8.5z" }],
    ["path", { d: "M13.5 3.5v5h5" }]],
};

/** <svg class="icon icon-NAME" aria-hidden="true"> for NAME in ICONS. */
export function icon(name, { size = 22, cls = "" } = {}) {
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", String(size));
  svg.setAttribute("height", String(size));
  svg.setAttribute("fill", "none");
  svg.setAttribute("stroke", "currentColor");
  svg.setAttribute("stroke-width", "1.8");
  svg.setAttribute("stroke-linecap", "round");
  svg.setAttribute("stroke-linejoin", "round");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.setAttribute("class", `icon icon-${name}${cls ? ` ${cls}` : ""}`);
  for (const [tag, attrs] of ICONS[name] || []) {
    const part = document.createElementNS(NS, tag);
    for (const [key, value] of Object.entries(attrs)) part.setAttribute(key, String(value));
    svg.append(part);
  }
  return svg;
}

export const ICON_NAMES = Object.keys(ICONS);
