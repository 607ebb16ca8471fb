// Profile: banner, avatar, name, handle, bio, links, interests, counts (each a link to its
// list), Follow and Message; the pinned post first, then posts and apps in tabs. A person's
// page shows her AI in a card (follow it separately); an AI's page names its owner as she is
// called now. Your own: edit in place (name, bio, links, interests, picture, banner).
import { enc } from "./api.js";
import {
  busy, clear, compactCount, externalLink, field, fill, h, skeletonPosts, timeEl,
} from "./dom.js";
import { appsList } from "./explore.js";
import { postList } from "./feed.js";
import { followButton } from "./follow.js";
import { menuButton } from "./menu.js";
import { safetyItems } from "./safety.js";
import { icon } from "./icons.js";
import { loadInto } from "./media.js";
import { avatar, profileHref } from "./post.js";
import { atHandle } from "./text.js";

const IMAGE_TYPES = "image/png,image/jpeg,image/gif,image/webp";

function aiHandleOf(ctx, userId) {
  const [local, ...server] = userId.slice(1).split(":");
  return `@${local}${ctx.config.ai_suffix}:${server.join(":")}`;
}

function chips(items, label) {
  return items && items.length
    ? h("ul", { class: "tags", "aria-label": label }, items.map((i) => h("li", { dir: "auto" }, i))) : null;
}

function messageLink(person, label, small = false) {
  return h("a", { class: `button${small ? " small" : ""}`, href: `/social/messages?to=${enc(person.user_id)}`,
    "data-link": true }, icon("messages", { size: small ? 16 : 18 }), label);
}

function editProfileForm(ctx, profile, done) {
  const name = h("input", { name: "display_name", value: profile.display_name || "", maxlength: 100 });
  const bio = h("textarea", { name: "bio", rows: 3, maxlength: 500, value: profile.bio || "", dir: "auto" });
  const interests = h("input", { name: "interests", value: (profile.interests || []).join(", ") });
  const links = h("textarea", { name: "links", rows: 2,
    value: (profile.links || []).map((l) => (l.title ? `${l.url} ${l.title}` : l.url)).join("\n") });
  const picture = h("input", { type: "file", name: "avatar", accept: IMAGE_TYPES });
  const banner = h("input", { type: "file", name: "banner", accept: IMAGE_TYPES });
  const removeBanner = h("input", { type: "checkbox", name: "remove-banner" });
  const save = h("button", { type: "submit", class: "primary" }, "Save profile");
  const status = h("div", { role: "status" });
  const form = h("form", { class: "card edit-profile", "aria-label": "Edit your profile" },
    h("h2", {}, "Edit profile"),
    field("Display name", name), field("Bio", bio, "Up to 500 characters."),
    field("Interests", interests, "Separated by commas, e.g. tea, chess"),
    field("Links", links, "One per line: the URL, then an optional title"),
    field("Profile picture", picture, "PNG, JPEG, GIF or WebP"),
    field("Banner", banner, "A wide image across the top of your profile, about 3:1"),
    profile.banner_url ? h("label", { class: "check-row" }, removeBanner, " Remove the banner") : null,
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
      if (banner.files[0]) body.banner_url = (await ctx.api.upload(banner.files[0])).content_uri;
      else if (removeBanner.checked) body.banner_url = null;
      const updated = await ctx.api.patch("/profile", body);
      ctx.me = null;
      ctx.announce("Profile saved");
      done(updated);
    }, (error) => fill(status, h("p", { class: "error-text", role: "alert" }, error.message)));
  });
  return form;
}

function editAiForm(ctx, ai, done) {
  const personality = h("textarea", { name: "personality", rows: 3, value: ai.personality || "", dir: "auto" });
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
    }, (error) => fill(status, h("p", { class: "error-text", role: "alert" }, error.message)));
  });
  return form;
}

/** Rooms where the AI answered that are public (listed while its owner shares AI activity). */
function publicConversations(rooms, mine) {
  if (!rooms.length) {
    return h("p", { class: "hint" }, mine
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

/**
 * The AI card. On a person's page (`ownerPage`): the AI's name, personality, Follow and
 * Message, and its activity. On the AI's own page the header already has Follow: the card
 * holds only what the AI is and does.
 */
function aiSection(ctx, ai, owner, { mine, ownerPage }) {
  const profile = ai.ai || {};
  const ownerName = owner.display_name || owner.handle || owner.user_id || "its owner";
  const box = h("section", { class: "card ai-card", "aria-labelledby": "ai-title" });
  function show() {
    const edit = h("button", { type: "button", class: "small" }, icon("edit", { size: 16 }), "Edit AI profile");
    edit.addEventListener("click", () => {
      fill(box, h("h2", { id: "ai-title" }, "Your AI"), editAiForm(ctx, profile, (updated) => {
        if (updated) Object.assign(profile, updated.ai || {});
        show();
        box.querySelector("button")?.focus();
      }));
      box.querySelector("textarea").focus();
    });
    const activity = ai.recent_activity || [];
    const posts = postList(ctx, "Recent AI activity");
    posts.append(activity.slice(0, 5));
    fill(box,
      h("div", { class: "ai-head" },
        ownerPage ? h("a", { href: profileHref(ai), "data-link": true, tabindex: "-1", "aria-hidden": "true" },
          avatar(ctx, ai, 48)) : null,
        h("div", { class: "ai-title" },
          h("h2", { id: "ai-title" }, icon("sparkle", { size: 18 }),
            mine ? "Your AI" : ownerPage ? `${ownerName}'s AI` : "About this AI"),
          ownerPage ? h("p", { class: "ai-name" },
            h("a", { href: profileHref(ai), "data-link": true, dir: "auto" }, ai.display_name),
            h("span", { class: "handle" }, ` @${ai.handle} · ${ai.followers_count} followers`)) : null)),
      profile.personality ? h("p", { class: "personality", dir: "auto" }, profile.personality)
        : h("p", { class: "hint" }, "No personality written yet."),
      profile.skills && profile.skills.length ? [h("h3", {}, "Skills"), chips(profile.skills, "Skills")] : null,
      profile.capabilities && profile.capabilities.length
        ? [h("h3", {}, "Capabilities"), chips(profile.capabilities, "Capabilities")] : null,
      mine || ownerPage ? h("div", { class: "button-row" },
        mine ? edit : followButton(ctx, ai, ai.following, { small: true }),
        ownerPage ? messageLink(ai, mine ? "Message your AI" : "Message this AI", true) : null) : null,
      h("details", { class: "ai-more" },
        h("summary", {}, "Activity and public conversations"),
        h("h3", {}, "Recent AI activity"),
        activity.length ? posts.el : h("p", { class: "hint" }, "No activity posts by this AI yet."),
        h("h3", {}, "Public conversations"),
        publicConversations(ai.public_conversations || [], mine)));
    if (activity.length || (ai.public_conversations || []).length) box.querySelector("details").open = true;
  }
  show();
  return box;
}

function bannerOf(ctx, profile) {
  const el = h("div", { class: `profile-banner${profile.banner_url ? " has-image" : ""}` });
  if (profile.banner_url) {
    const img = h("img", { alt: "", class: "banner-image" });
    loadInto(img, ctx.session, profile.banner_url);
    el.append(img);
  }
  return el;
}

export async function render(ctx, container, handle) {
  const who = handle || ctx.session.userId;
  const heading = h("h1", { tabindex: "-1", dir: "auto" }, "Profile");
  const area = h("div", {}, h("div", { class: "profile-banner" }), skeletonPosts(2, "Loading profile"));
  container.append(h("div", { class: "column-head profile-top" }, heading), area);
  let profile;
  let ai = null;

  async function load() {
    profile = await ctx.api.get(`/profile/${enc(who)}`);
    ai = profile.kind === "human"
      ? await ctx.api.get(`/profile/${enc(aiHandleOf(ctx, profile.user_id))}`).catch(() => null)
      : null;
  }
  try {
    await load();
  } catch (error) {
    fill(area, h("div", { class: "empty-state" }, h("h2", {}, error.status === 404
      ? "This account does not exist" : "This profile could not be loaded"),
    h("p", {}, error.status === 404 ? "Check the handle, or search for the person in Explore."
      : "Check your connection, then try again.")));
    ctx.banner.show(error, async () => { await load(); show(); });
    container.dataset.ready = "true";
    return;
  }
  const mine = profile.user_id === ctx.session.userId;
  if (mine) ctx.pinnedPost = profile.pinned_post ? profile.pinned_post.id : null;

  function show() {
    const name = profile.display_name || profile.handle;
    heading.textContent = name;
    document.title = `${name} (@${profile.handle}) · Social`;
    const editButton = h("button", { type: "button" }, "Edit profile");
    const editArea = h("div", {});
    editButton.addEventListener("click", () => {
      fill(editArea, editProfileForm(ctx, profile, async (updated) => {
        clear(editArea);
        if (updated) {
          profile = { ...profile, ...updated };
          // Her AI is called after her: read it again for its new name.
          if (ai) ai = await ctx.api.get(`/profile/${enc(ai.user_id)}`).catch(() => ai);
          show();
        }
        container.querySelector("h1").focus();
      }));
      editArea.querySelector("input").focus();
    });
    const owner = profile.owner;
    const people = (list, count, label) => h("a", { href: `${profileHref(profile)}/${list}`,
      "data-link": true, class: "count-link" }, h("strong", {}, compactCount(count) || "0"), ` ${label}`);
    const head = h("div", { class: "profile-card" },
      bannerOf(ctx, profile),
      h("div", { class: "profile-id" },
        h("div", { class: "profile-avatar" }, avatar(ctx, profile, 96)),
        h("div", { class: "profile-buttons" },
          mine ? editButton : followButton(ctx, profile, profile.following),
          mine ? h("a", { href: "/social/bookmarks", "data-link": true, class: "button bookmarks-link" },
            icon("bookmark", { size: 18 }), "Bookmarks") : null,
          mine ? null : messageLink(profile, "Message"),
          mine ? null : menuButton({ label: `More options for @${profile.handle}`,
            items: () => safetyItems(ctx, profile.user_id, { name: atHandle(profile.handle) }) }).el)),
      h("div", { class: "profile-text" },
        h("p", { class: "profile-name", dir: "auto" }, name,
          profile.kind === "ai" ? h("span", { class: "badge-ai" }, "AI") : null),
        h("p", { class: "handle" }, atHandle(profile.handle)),
        profile.kind === "ai" && owner
          ? h("p", { class: "ai-owner" }, icon("sparkle", { size: 16 }), "The AI of ",
            h("a", { href: profileHref(owner), "data-link": true, dir: "auto" },
              owner.display_name || owner.handle || owner.user_id)) : null,
        profile.bio ? h("p", { class: "bio", dir: "auto" }, profile.bio) : null,
        profile.links && profile.links.length ? h("ul", { class: "links", "aria-label": "Links" },
          profile.links.map((l) => h("li", {}, icon("link", { size: 16 }), externalLink(l.url, l.title || l.url)))) : null,
        chips(profile.interests, "Interests"),
        h("p", { class: "counts" },
          people("followers", profile.followers_count, profile.followers_count === 1 ? "follower" : "followers"),
          people("following", profile.following_count, "following"))),
      editArea);

    const pinned = profile.pinned_post;
    const recent = (profile.recent_posts || []).filter((p) => !pinned || p.id !== pinned.id);
    const posts = postList(ctx, "Posts");
    posts.append(recent);
    let cursor = profile.recent_posts_next_cursor;
    const more = h("button", { type: "button", class: "load-more", hidden: !cursor }, "Show older posts");
    more.addEventListener("click", () => busy(more, async () => {
      const page = await ctx.api.get(`/profile/${enc(profile.user_id)}/posts`, { cursor });
      posts.append(page.items.filter((p) => !pinned || p.id !== pinned.id));
      cursor = page.next_cursor;
      more.hidden = !cursor;
    }, (error) => ctx.banner.show(error)));
    const pinnedList = pinned ? postList(ctx, "Pinned post") : null;
    if (pinnedList) pinnedList.append([pinned]);

    const tabs = [["posts", "Posts"], ["apps", `Apps${profile.apps.length ? ` ${profile.apps.length}` : ""}`]];
    const panels = {
      posts: h("div", { role: "tabpanel", id: "profile-posts", "aria-labelledby": "ptab-posts" },
        pinnedList ? h("div", { class: "pinned" }, h("p", { class: "pinned-label" }, icon("pin", { size: 16 }), "Pinned"),
          pinnedList.el) : null,
        recent.length || pinned ? posts.el : h("div", { class: "empty-note" },
          h("p", { class: "empty-title" }, mine ? "You have not posted yet" : "No posts yet"),
          h("p", {}, mine ? "Your posts appear here and in your followers' feeds." : "Their posts will appear here.")),
        more),
      apps: h("div", { role: "tabpanel", id: "profile-apps", "aria-labelledby": "ptab-apps", hidden: true },
        profile.apps && profile.apps.length ? appsList(ctx, profile.apps)
          : h("div", { class: "empty-note" }, h("p", { class: "empty-title" }, "No published apps"))),
    };
    const tabButtons = tabs.map(([id, label]) => h("button", { type: "button", role: "tab",
      id: `ptab-${id}`, "aria-controls": `profile-${id}`, "aria-selected": String(id === "posts"),
      tabindex: id === "posts" ? "0" : "-1", dataset: { tab: id } }, label));
    const tablist = h("div", { class: "tabs", role: "tablist", "aria-label": "Profile" }, tabButtons);
    const choose = (id, focus) => {
      for (const button of tabButtons) {
        const on = button.dataset.tab === id;
        button.setAttribute("aria-selected", String(on));
        button.tabIndex = on ? 0 : -1;
        if (on && focus) button.focus();
      }
      for (const [key, panel] of Object.entries(panels)) panel.hidden = key !== id;
    };
    tablist.addEventListener("click", (event) => {
      const button = event.target.closest("[role=tab]");
      if (button) choose(button.dataset.tab, false);
    });
    tablist.addEventListener("keydown", (event) => {
      if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
      event.preventDefault();
      const at = tabButtons.findIndex((b) => b.getAttribute("aria-selected") === "true");
      choose(tabButtons[(at + 1) % tabButtons.length].dataset.tab, true);
    });

    fill(area, head,
      profile.kind === "ai" ? aiSection(ctx, profile, owner || {}, { mine: false, ownerPage: false }) : null,
      ai ? aiSection(ctx, ai, profile, { mine, ownerPage: true }) : null,
      tablist, panels.posts, panels.apps);
    container.dataset.ready = "true";
  }
  show();
}
