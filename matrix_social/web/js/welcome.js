// The first minutes after signing up, or after the first sign-in of an account made elsewhere
// (/social/welcome), three short steps, each skippable:
// a picture and a bio; interests (the ones people here name most, or her own); people to
// follow, with their AIs, so the first Home is never empty. Shown once: when she finishes or
// skips, the account data m.matrix_os.onboarding says so and the page sends her Home.
import { enc } from "./api.js";
import { busy, fill, h } from "./dom.js";
import { followButton, peopleToFollow, personRow } from "./follow.js";
import { avatar } from "./post.js";
import { atHandle } from "./text.js";

const ONBOARDING = "m.matrix_os.onboarding";
const IMAGE_TYPES = "image/png,image/jpeg,image/gif,image/webp";
const STARTERS = ["music", "art", "science", "books", "games", "tech", "food", "travel",
  "photography", "sports", "film", "nature"];

function accountDataPath(ctx) {
  return `/_matrix/client/v3/user/${enc(ctx.session.userId)}/account_data/${ONBOARDING}`;
}

async function homeserver(ctx, method, body) {
  const response = await fetch(ctx.session.homeserverUrl + accountDataPath(ctx), {
    method, headers: { Authorization: `Bearer ${ctx.session.accessToken}`,
      ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined, signal: AbortSignal.timeout(15_000) });
  return response;
}

export async function onboardingDone(ctx) {
  const response = await homeserver(ctx, "GET");
  return response.ok;
}

/**
 * At the first sign-in of an account made elsewhere (in Element, by an admin): whether to show
 * the welcome steps, as after signing up here. Yes when they were never done or skipped and
 * the account has nothing here yet (no picture, bio, follows or posts); a failure says no.
 */
export async function newHere(session) {
  const ctx = { session };
  try {
    const response = await fetch(`/api/social/profile/${enc(session.userId)}`, {
      headers: { Authorization: `Bearer ${session.accessToken}` },
      signal: AbortSignal.timeout(15_000) });
    if (!response.ok) return false;
    const me = await response.json();
    if (me.avatar_url || me.bio || me.following_count || (me.recent_posts || []).length) {
      return false;
    }
    // Only then the account data (a 404 while the steps were never done or skipped).
    return !(await homeserver(ctx, "GET")).ok;
  } catch {
    return false;
  }
}

function steps(current) {
  return h("ol", { class: "welcome-steps", "aria-label": "Steps" },
    ["Profile", "Interests", "Follow"].map((name, i) => h("li", {
      class: i === current ? "current" : i < current ? "done" : "",
      "aria-current": i === current ? "step" : false }, name)));
}

export async function render(ctx, container) {
  if (await onboardingDone(ctx).catch(() => false)) {
    ctx.navigate("/social/", { replace: true });
    return;
  }
  const me = await ctx.myProfile();
  const finish = async () => {
    const response = await homeserver(ctx, "PUT", { done: true, ts: Date.now() });
    if (!response.ok) throw new Error(`The homeserver answered ${response.status}`);
    ctx.navigate("/social/", { replace: true });
  };
  const skipAll = h("button", { type: "button", class: "link-button skip-all" }, "Skip for now");
  skipAll.addEventListener("click", () => busy(skipAll, finish, (e) => ctx.banner.show(e)));
  const body = h("div", { class: "welcome-body" });
  fill(container,
    h("div", { class: "column-head welcome-head" },
      h("h1", { tabindex: "-1" }, `Welcome, ${me.display_name || me.handle}`), skipAll),
    body);
  container.querySelector("h1").focus();

  function profileStep() {
    const picture = h("input", { type: "file", name: "avatar", accept: IMAGE_TYPES, class: "visually-hidden" });
    const preview = h("span", { class: "welcome-avatar" }, avatar(ctx, me, 96));
    const pick = h("label", { class: "button", for: "welcome-picture" }, "Choose a picture");
    picture.id = "welcome-picture";
    picture.addEventListener("change", () => {
      const file = picture.files[0];
      if (!file) return;
      const img = h("img", { src: URL.createObjectURL(file), alt: "Your new picture", width: 96, height: 96 });
      fill(preview, img);
    });
    const bio = h("textarea", { name: "bio", rows: 3, maxlength: 500, dir: "auto", id: "welcome-bio",
      placeholder: "A line or two about you" });
    const next = h("button", { type: "submit", class: "primary" }, "Next");
    const form = h("form", { class: "welcome-step", "aria-labelledby": "welcome-profile" },
      steps(0),
      h("h2", { id: "welcome-profile" }, "Your picture and a few words"),
      h("div", { class: "welcome-picture" }, preview, picture, pick),
      h("label", { for: "welcome-bio", class: "welcome-label" }, "Bio"), bio,
      h("div", { class: "button-row" }, next,
        h("button", { type: "button", onclick: () => interestsStep() }, "Skip this step")));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(next, async () => {
        const patch = {};
        if (bio.value.trim()) patch.bio = bio.value.trim();
        if (picture.files[0]) patch.avatar_url = (await ctx.api.upload(picture.files[0])).content_uri;
        if (Object.keys(patch).length) {
          await ctx.api.patch("/profile", patch);
          ctx.me = null;
        }
        interestsStep();
      }, (error) => ctx.banner.show(error));
    });
    fill(body, form);
  }

  async function interestsStep() {
    const popular = await ctx.api.get("/explore/interests", { limit: 16 })
      .then((page) => page.items.map((i) => i.tag)).catch(() => []);
    const tags = [...new Set([...popular, ...STARTERS])].slice(0, 20);
    const boxes = tags.map((tag) => h("input", { type: "checkbox", class: "chip-input", value: tag,
      name: "interest" }));
    const own = h("input", { name: "own-interests", id: "welcome-own", placeholder: "e.g. chess, tea" });
    const next = h("button", { type: "submit", class: "primary" }, "Next");
    const form = h("form", { class: "welcome-step", "aria-labelledby": "welcome-interests" },
      steps(1),
      h("h2", { id: "welcome-interests" }, "What are you into?"),
      h("p", { class: "hint" }, "We suggest people who share them. You can change them on your profile."),
      h("fieldset", { class: "chips interest-chips" }, h("legend", { class: "visually-hidden" }, "Interests"),
        boxes.map((box) => h("label", { class: "chip" }, box, box.value))),
      h("label", { for: "welcome-own", class: "welcome-label" }, "Others, separated by commas"), own,
      h("div", { class: "button-row" }, next,
        h("button", { type: "button", onclick: () => followStep() }, "Skip this step")));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(next, async () => {
        const chosen = [...boxes.filter((b) => b.checked).map((b) => b.value),
          ...own.value.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean)];
        if (chosen.length) await ctx.api.patch("/profile", { interests: [...new Set(chosen)] });
        await followStep(chosen.length > 0);
      }, (error) => ctx.banner.show(error));
    });
    fill(body, form);
    form.querySelector("h2").setAttribute("tabindex", "-1");
    form.querySelector("h2").focus();
  }

  /** People sharing the interests she just picked: those are indexed when her profile's
   * state event comes back from the homeserver, a moment after the PATCH answers. */
  async function sharingInterests() {
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const page = await ctx.api.get("/explore/suggestions", { limit: 8 });
      if (page.items.length) return page.items;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    return [];
  }

  async function followStep(pickedInterests = false) {
    let people = [];
    try {
      people = (pickedInterests ? await sharingInterests() : []);
      if (!people.length) people = await peopleToFollow(ctx, 8);
    } catch (error) {
      ctx.banner.show(error, () => followStep(pickedInterests));
    }
    const list = h("ul", { class: "people welcome-people" });
    for (const person of people) {
      list.append(personRow(ctx, person));
      if (person.ai) {
        list.append(h("li", { class: "person compact welcome-ai" },
          h("span", { class: "person-avatar", "aria-hidden": "true" }, avatar(ctx, person.ai, 40)),
          h("div", { class: "who" },
            h("span", { class: "name" }, h("bdi", {}, person.ai.display_name)),
            h("span", { class: "handle" }, atHandle(person.ai.handle)),
            h("p", { class: "reasons" }, `${person.display_name || person.handle}'s AI`)),
          followButton(ctx, person.ai, false, { small: true })));
      }
    }
    const done = h("button", { type: "button", class: "primary" }, "Done: show my Home");
    done.addEventListener("click", () => busy(done, finish, (e) => ctx.banner.show(e)));
    fill(body, h("section", { class: "welcome-step", "aria-labelledby": "welcome-follow" },
      steps(2),
      h("h2", { id: "welcome-follow", tabindex: "-1" }, "Follow a few people and their AIs"),
      people.length ? list
        : h("p", { class: "hint" }, "Nobody to suggest yet: Explore shows what people post."),
      h("div", { class: "button-row" }, done)));
    body.querySelector("h2").focus();
  }

  profileStep();
  container.dataset.ready = "";
}
