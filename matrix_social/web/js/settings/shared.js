// What the parts of Settings share: the activity-sharing settings (loaded once, saved through
// the API), the connected accounts (GET /connections, loaded once, reloaded when one changes)
// and news from one part to the others ("settings" when they change, "activity" when
// something that may have made a draft happened on this page, "connections" when the list of
// connected accounts changed).

export function browserTimeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

export function sharedState(ctx) {
  const listeners = new Map();
  let current = null;
  let loading = null;
  let connecting = null;
  let stopped = false;

  function emit(name, detail) {
    if (stopped) return;
    for (const listener of listeners.get(name) || []) listener(detail);
  }
  function remember(settings) {
    current = settings;
    emit("settings", settings);
    return settings;
  }
  return {
    get settings() { return current; },
    /** The user's time zone as saved, or the browser's while the settings are unknown. */
    timeZone() { return (current && current.timezone) || browserTimeZone(); },
    load() {
      if (!loading) {
        loading = ctx.api.get("/settings").then(remember);
        loading.catch(() => { loading = null; });
      }
      return loading;
    },
    async save(changes) { return remember(await ctx.api.put("/settings", changes)); },
    async importFile(file) {
      return remember(await ctx.api.put("/settings/social-config", file));
    },
    exportFile: () => ctx.api.get("/settings/social-config"),
    /** {connections, available} as GET /connections answers; `fresh` asks again. */
    connections({ fresh = false } = {}) {
      if (!connecting || fresh) {
        const asked = ctx.api.get("/connections");
        connecting = asked;
        asked.then((list) => { if (connecting === asked) emit("connections", list); },
          () => { if (connecting === asked) connecting = null; });
      }
      return connecting;
    },
    on(name, listener) {
      if (!listeners.has(name)) listeners.set(name, []);
      listeners.get(name).push(listener);
    },
    emit,
    stop() {
      stopped = true;
      listeners.clear();
    },
  };
}
