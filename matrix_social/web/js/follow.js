// Following: the Follow button (its state kept on the button, focus kept after each press)
// and a person's row as lists show them (suggestions, search, followers).
import { enc } from "./api.js";
import { busy, h } from "./dom.js";
import { avatar, profileHref } from "./post.js";
import { atHandle } from "./text.js";

// `following`: true, false, or "pending" (she asked a room that lets people in by invite: a
// knock waits for its admin, the button says "Requested" and pressing it withdraws the ask).
export function followButton(ctx, person, following = false, { small = false } = {}) {
  let state = following === "pending" ? "pending" : following ? "following" : "none";
  const name = person.display_name || person.handle;
  const button = h("button", { type: "button", class: "follow-button" });
  const words = { following: "Following", pending: "Requested", none: "Follow" };
  const paint = () => {
    button.textContent = words[state];
    button.className = `follow-button${state === "none" ? " primary" : " following"}${small ? " small" : ""}`;
    button.setAttribute("aria-pressed", String(state !== "none"));
    button.setAttribute("aria-label", `${words[state]} ${name}`);
  };
  paint();
  button.addEventListener("click", () => busy(button, async () => {
    const target = person.room ? { room: person.room } : { handle: person.user_id || person.handle };
    const answer = state === "none" ? await ctx.api.post("/follow", target)
      : await ctx.api.del("/unfollow", target);
    state = answer && answer.state === "pending" ? "pending"
      : answer && answer.state ? (answer.state === "following" ? "following" : "none")
        : state === "none" ? "following" : "none";
    paint();
    ctx.announce(state === "following" ? `Following ${name}`
      : state === "pending" ? `Asked to follow ${name}; waiting for an invite` : `Unfollowed ${name}`);
  }, (error) => ctx.banner.show(error)));
  return button;
}

/** A person in a list: avatar, name, handle, one line about them, and Follow. */
export function personRow(ctx, person, { extra = null, compact = false } = {}) {
  const mine = person.user_id === ctx.session.userId;
  const about = extra || (person.reasons && person.reasons.length
    ? h("p", { class: "reasons" }, person.reasons.join(" · "))
    : person.bio ? h("p", { class: "reasons", dir: "auto" }, person.bio) : null);
  return h("li", { class: `person${compact ? " compact" : ""}` },
    h("a", { href: profileHref(person), "data-link": true, class: "person-avatar", tabindex: "-1",
      "aria-hidden": "true" }, avatar(ctx, person, compact ? 40 : 44)),
    h("div", { class: "who" },
      h("a", { href: profileHref(person), "data-link": true, class: "name" },
        h("bdi", {}, person.display_name || person.handle)),
      h("span", { class: "handle" }, atHandle(person.handle)),
      about),
    mine ? null : followButton(ctx, person, Boolean(person.following), { small: compact }));
}

/**
 * People to suggest: the service's suggestions (shared interests, apps, people you follow);
 * for an account that shares nothing yet, the people behind what is liked today, never
 * herself nor anybody she follows already.
 */
export async function peopleToFollow(ctx, limit, trending = null) {
  const suggested = await ctx.api.get("/explore/suggestions", { limit });
  if (suggested.items.length) return suggested.items;
  const [posts, followed] = await Promise.all([
    trending ? Promise.resolve(trending) : ctx.api.get("/explore/trending", { limit: 20 }).then((p) => p.items),
    ctx.api.get(`/following/${enc(ctx.session.userId)}`, { limit: 100 })
      .then((page) => page.items.map((p) => p.user_id)).catch(() => []),
  ]);
  const seen = new Set([ctx.session.userId, ...followed]);
  return posts.map((p) => (p.kind === "repost" && p.original ? p.original : p).author)
    .filter((a) => a && !seen.has(a.user_id) && seen.add(a.user_id))
    .map((a) => ({ ...a, reasons: ["posting what people like today"] }))
    .slice(0, limit);
}
