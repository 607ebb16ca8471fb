// Live updates pushed by the service (server-sent events): the bell's count, counts of the
// posts on screen (up and down), posts deleted, new posts. Pages say what they show with
// live.watch(ids) as soon as it changes: the service then pushes those posts' counts as they
// are and every change after. A browser's EventSource cannot send headers, so each connection
// takes a fresh single-use ticket (POST /events/ticket) instead of putting the access token in
// a URL; after a drop it reconnects with a new ticket and the last id it saw. While it is
// down, the pages poll as before (ctx.live.connected is false).
import { newKey } from "./api.js";
import { setUnread } from "./shell.js";

const RETRY_MS = [1000, 3000, 10_000, 30_000];

export function startLive(ctx) {
  let source = null;
  let stopped = false;
  let lastId = null;
  let failures = 0;
  let timer = null;
  let watched = [];
  // This tab's key: its watches concern its own stream (another tab keeps what it shows).
  const screen = newKey();
  const live = {
    connected: false,
    watch(postIds, { again = false } = {}) {
      const next = [...new Set(postIds)].slice(0, 200);
      const changed = next.join("\n") !== watched.join("\n");
      watched = next;
      if (live.connected && (changed || again)) {
        ctx.api.post("/events/watch", { post_ids: watched, screen }).catch(() => {});
      }
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      if (source) source.close();
      live.connected = false;
    },
  };

  function dispatch(name, event) {
    lastId = event.lastEventId || lastId;
    const data = JSON.parse(event.data);
    if (name === "notification") setUnread(data.unread_count);
    document.dispatchEvent(new CustomEvent(`social:live-${name}`, { detail: data }));
  }

  async function connect() {
    if (stopped) return;
    try {
      const { ticket } = await ctx.api.post("/events/ticket");
      if (stopped) return;
      const query = new URLSearchParams({ ticket, screen });
      if (lastId) query.set("last_event_id", lastId);
      source = new EventSource(`/api/social/events?${query}`);
      source.addEventListener("open", () => {
        failures = 0;
        live.connected = true;
        document.body.dataset.live = "on";
        if (watched.length) live.watch(watched, { again: true });
      });
      for (const name of ["post", "counts", "deleted", "notification", "reset"]) {
        source.addEventListener(name, (event) => dispatch(name, event));
      }
      source.addEventListener("error", () => {
        // The ticket was used: EventSource's own retry cannot get in. Start over.
        source.close();
        retry();
      });
    } catch {
      retry();
    }
  }

  function retry() {
    live.connected = false;
    delete document.body.dataset.live;
    if (stopped) return;
    const pause = RETRY_MS[Math.min(failures, RETRY_MS.length - 1)];
    failures += 1;
    timer = setTimeout(connect, pause);
  }

  connect();
  return live;
}
