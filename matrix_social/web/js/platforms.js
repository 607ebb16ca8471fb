// The external platforms, as the service declares them (GET /social/config.json, "platforms":
// each platform's module on the server says its name, what it reads, whether it publishes and
// what a login asks for). Nothing here names a platform.
let known = [];

/** Called once at start with the service's list. */
export function usePlatforms(list) {
  known = Array.isArray(list) ? list.filter((p) => p && typeof p.name === "string") : [];
}

/** The platform's entry, or null. */
export function platformOf(key) {
  const name = String(key || "").toLowerCase();
  return known.find((p) => p.name === name) || null;
}

/** "X", "Mastodon"… for a platform key. */
export function platformName(key) {
  const platform = platformOf(key);
  return platform ? platform.label : String(key || "another platform");
}

/** The platforms a post can also be published on, in the service's order. */
export function publishTargets() {
  return known.filter((p) => p.publishes).map((p) => p.name);
}

/** Platform keys in the order the service lists them, everywhere in the app. */
export function byTarget(a, b) {
  const rank = (key) => {
    const index = known.findIndex((p) => p.name === key);
    return index < 0 ? 99 : index;
  };
  return rank(a) - rank(b);
}
