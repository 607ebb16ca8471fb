// Profile: avatar, name, bio, handle, counts, apps and recent posts; editing your own in place;
// the AI profile, and following a person and their AI separately.
import { enc } from "./api.js";
import { append, busy, clear, errorBox, externalLink, field, fill, h, timeEl } from "./dom.js";
import { appsList, followButton } from "./explore.js";
import { postList } from "./feed.js";
import { avatar, profileHref } from "./post.js";

function aiHandleOf(ctx, userId) {
  const [local, ...server] = userId.slice(1).split(":");
  return `@${local}${ctx.config.ai_suffix}:${server.join(":")}`;
}

function chips(items, label) {
  return items && items.length
    ? h("ul", { class: "chips", "aria-label": label }, items.map((i) => h("li", {}, i))) : null;
}

function messageLink(person, label) {
  return h("a", { class: "button", href: `/social/messages?to=${enc(person.user_id)}`,
    "data-link": true }, label);
}

function editProfileForm(ctx, profile, done) {
  const name = h("input", { name: "display_name", value: profile.display_name || "", maxlength: 100 });
  const bio = h("textarea", { name: "bio", rows: 3, maxlength: 500, value: profile.bio || "" });
  const interests = h("input", { name: "interests", value: (profile.interests || []).join(", ") });
  const links = h("textarea", { name: "links", rows: 2,
    value: (profile.links || []).map((l) => (l.title ? `${l.url} ${l.title}` : l.url)).join("\n") });
  const picture = h("input", { type: "file", name: "avatar", accept: "image/png,image/jpeg,image/gif,image/webp" });
  const save = h("button", { type: "submit", class: "primary" }, "Save profile");
  const status = h("div", { role: "status" });
  const form = h("form", { class: "card", "aria-label": "Edit your profile" },
    field("Display name", name), field("Bio", bio, "Up to 500 characters."),
    field("Interests", interests, "Separated by commas, e.g. tea, chess"),
    field("Links", links, "One per line: the URL, then an optional title"),
    field("Avatar", picture, "PNG, JPEG, GIF or WebP"),
    h("div", { class: "button-row" }, save,
      h("button", { type: "button", onclick: () => done(null) }, "Cancel")), status);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(save, async () => {
      const body = {
        display_name: name.value,
        bio: bio.value,
        interests: interests.value.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean),
        links: links.value.split("\n").map((line) => line.trim()).filter(Boolean).map((line) => {
          const [url, ...title] = line.split(/\s+/);
          return title.length ? { url, title: title.join(" ") } : { url };
        }),
      };
      if (picture.files[0]) body.avatar_url = (await ctx.api.upload(picture.files[0])).content_uri;
      const updated = await ctx.api.patch("/profile", body);
      ctx.announce("Profile saved");
      done(updated);
    }, (error) => fill(status, errorBox(error)));
  });
  return form;
}

function editAiForm(ctx, ai, done) {
  const personality = h("textarea", { name: "personality", rows: 3, value: ai.personality || "" });
  const skills = h("input", { name: "skills", value: (ai.skills || []).join(", ") });
  const capabilities = h("input", { name: "capabilities", value: (ai.capabilities || []).join(", ") });
  const save = h("button", { type: "submit", class: "primary" }, "Save AI profile");
  const status = h("div", { role: "status" });
  const list = (input) => input.value.split(",").map((s) => s.trim()).filter(Boolean);
  const form = h("form", { class: "inline-form", "aria-label": "Edit your AI's profile" },
    field("Personality", personality), field("Skills", skills, "Separated by commas"),
    field("Capabilities", capabilities, "Separated by commas"),
    h("div", { class: "button-row" }, save,
      h("button", { type: "button", onclick: () => done(null) }, "Cancel")), status);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(save, async () => {
      const updated = await ctx.api.patch("/profile/ai", {
        personality: personality.value, skills: list(skills), capabilities: list(capabilities) });
      ctx.announce("AI profile saved");
      done(updated);
    }, (error) => fill(status, errorBox(error)));
  });
  return form;
}

/** Rooms where the AI answered that are public (listed while its owner shares AI activity). */
function publicConversations(rooms, mine) {
  if (!rooms.length) {
    return h("p", { class: "status" }, mine
      ? "None yet. Your AI’s conversations in public rooms (never DMs or private groups) are "
        + "listed here while you share its activity in Settings."
      : "No public conversations listed.");
  }
  return h("ul", { class: "public-conversations", "aria-label": "Public conversations" },
    rooms.map((room) => {
      const name = room.name || room.alias || "A public room";
      const target = `https://matrix.to/#/${enc(room.alias || room.room_id)}`;
      return h("li", {},
        externalLink(target, name, { "aria-label": `${name} (opens on matrix.to)` }),
        room.alias && room.name ? h("span", { class: "handle" }, ` ${room.alias}`) : null,
        h("span", { class: "hint" }, ` · ${room.answers} ${room.answers === 1 ? "answer" : "answers"}`,
          " · last active ", timeEl(room.last_active)));
    }));
}

function aiSection(ctx, ai, owner, mine) {
  const profile = ai.ai || {};
  const box = h("section", { class: "card ai-card", "aria-labelledby": "ai-title" });
  function show() {
    const edit = h("button", { type: "button" }, "Edit AI profile");
    edit.addEventListener("click", () => {
      fill(box, h("h2", { id: "ai-title" }, "Your AI"), editAiForm(ctx, profile, (updated) => {
        if (updated) Object.assign(profile, updated.ai || {});
        show();
      }));
    });
    const activity = ai.recent_activity || [];
    const posts = postList(ctx, "Recent AI activity");
    posts.append(activity.slice(0, 5));
    fill(box, 
      h("h2", { id: "ai-title" }, mine ? "Your AI" : `${owner.display_name}'s AI`),
      h("p", {}, h("a", { href: profileHref(ai), "data-link": true }, ai.display_name),
        h("span", { class: "handle" }, ` @${ai.handle} · ${ai.followers_count} followers`)),
      profile.personality ? h("p", { class: "personality" }, profile.personality)
        : h("p", { class: "status" }, "No personality written yet."),
      profile.skills && profile.skills.length ? [h("h3", {}, "Skills"), chips(profile.skills, "Skills")] : null,
      profile.capabilities && profile.capabilities.length
        ? [h("h3", {}, "Capabilities"), chips(profile.capabilities, "Capabilities")] : null,
      h("div", { class: "button-row" },
        mine ? edit : followButton(ctx, ai, ai.following),
        messageLink(ai, mine ? "Message your AI" : "Message this AI")),
      h("h3", {}, "Recent AI activity"),
      activity.length ? posts.el : h("p", { class: "status" }, "No activity posts by this AI yet."),
      h("h3", {}, "Public conversations"),
      publicConversations(ai.public_conversations || [], mine));
  }
  show();
  return box;
}

export async function render(ctx, container, handle) {
  const who = handle || ctx.session.userId;
  container.append(h("p", { class: "status", role: "status" }, "Loading profile…"));
  let profile;
  let ai = null;
  try {
    profile = await ctx.api.get(`/profile/${enc(who)}`);
    if (profile.kind === "human") {
      ai = await ctx.api.get(`/profile/${enc(aiHandleOf(ctx, profile.user_id))}`)
        .catch(() => null);
    }
  } catch (error) {
    fill(container, h("h1", {}, "Profile"), errorBox(error, () => {
      clear(container);
      render(ctx, container, handle);
    }));
    return;
  }
  const mine = profile.user_id === ctx.session.userId;

  function show() {
    const editButton = h("button", { type: "button" }, "Edit profile");
    const headArea = h("div", {});
    editButton.addEventListener("click", () => {
      fill(headArea, editProfileForm(ctx, profile, (updated) => {
        if (updated) profile = { ...profile, ...updated };
        show();
        container.querySelector("h1").focus();
      }));
      headArea.querySelector("input").focus();
    });
    append(headArea, [
      profile.bio ? h("p", { class: "bio" }, profile.bio) : null,
      profile.links && profile.links.length ? h("ul", { class: "links", "aria-label": "Links" },
        profile.links.map((l) => h("li", {}, externalLink(l.url, l.title || l.url)))) : null,
      chips(profile.interests, "Interests"),
      h("p", { class: "counts" },
        h("span", {}, h("strong", {}, profile.followers_count), " followers"),
        h("span", {}, h("strong", {}, profile.following_count), " following")),
      h("div", { class: "button-row" },
        mine ? editButton : followButton(ctx, profile, profile.following),
        mine ? null : messageLink(profile, "Message"))]);
    const posts = postList(ctx, "Recent posts");
    posts.append(profile.recent_posts || []);
    fill(container, 
      h("div", { class: "profile-head" }, avatar(ctx, profile, 96),
        h("div", {},
          h("h1", { tabindex: "-1" }, profile.display_name || profile.handle),
          h("p", { class: "handle" }, `@${profile.handle}`,
            profile.kind === "ai" ? " · AI" : "", " · ", profile.user_id))),
      headArea,
      profile.kind === "ai" && profile.owner
        ? h("p", {}, "The AI of ", h("a", { href: profileHref(profile.owner), "data-link": true },
          profile.owner.display_name || profile.owner.handle || profile.owner.user_id)) : null,
      profile.kind === "ai" ? aiSection(ctx, profile, profile.owner || {}, false) : null,
      ai ? aiSection(ctx, ai, profile, mine) : null,
      h("section", { "aria-labelledby": "apps-title" }, h("h2", { id: "apps-title" }, "Apps"),
        profile.apps && profile.apps.length ? appsList(ctx, profile.apps)
          : h("p", { class: "status" }, "No published apps.")),
      h("section", { "aria-labelledby": "posts-title" },
        h("h2", { id: "posts-title" }, "Recent posts"),
        profile.recent_posts && profile.recent_posts.length ? posts.el
          : h("p", { class: "status" }, "No posts yet.")));
    container.dataset.ready = "true";
  }
  show();
}
