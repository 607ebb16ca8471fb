// Creating an account: Matrix registration (POST /register) with user-interactive auth. The
// stages done here: m.login.dummy, m.login.terms (the policies shown, accepting them is a
// required checkbox), m.login.registration_token; any other stage (m.login.recaptcha) through
// the homeserver's own page (its "fallback"), opened in a window of its own. Where the
// homeserver takes no sign-ups, the page says so: ask the server's admin.
import { describeError, field, fill, h } from "./dom.js";
import { homeserver, saveSession } from "./session.js";

const DONE_HERE = new Set(["m.login.dummy", "m.login.terms", "m.login.registration_token"]);
// Stages a person completes on the homeserver's page; email and phone need more than that.
const BY_FALLBACK = new Set(["m.login.recaptcha"]);
const REGISTER = "/_matrix/client/v3/register";

/** What the homeserver asks of a sign-up: {open, flow, params} or {open: false}. */
export async function registrationInfo(base) {
  try {
    await homeserver(base, REGISTER, { method: "POST", body: {} });
  } catch (error) {
    if (error.status === 401 && error.data && Array.isArray(error.data.flows)) {
      const flow = error.data.flows.find((f) => (f.stages || [])
        .every((s) => DONE_HERE.has(s) || BY_FALLBACK.has(s)));
      return { open: true, flow: flow || null, params: error.data.params || {},
        stages: error.data.flows.flatMap((f) => f.stages || []) };
    }
    if (error.errcode === "M_FORBIDDEN" || error.status === 403) return { open: false };
    throw error;
  }
  return { open: false };
}

/** Whether the homeserver takes `token` (GET …/register/m.login.registration_token/validity);
 * true when it cannot say (an older homeserver): the registration itself then decides. */
async function tokenValid(base, token) {
  try {
    const answer = await homeserver(base,
      `/_matrix/client/v1/register/m.login.registration_token/validity?token=${encodeURIComponent(token)}`);
    return answer.valid !== false;
  } catch {
    return true;
  }
}

/** The policies of an m.login.terms stage: [{name, url}] in English (or the first language). */
export function policies(params) {
  const terms = params["m.login.terms"];
  if (!terms || typeof terms.policies !== "object") return [];
  return Object.entries(terms.policies).map(([id, policy]) => {
    const text = policy.en || Object.values(policy).find((v) => v && typeof v === "object") || {};
    return { id, name: text.name || id, url: typeof text.url === "string" ? text.url : null };
  });
}

function fallbackUrl(base, stage, session) {
  return `${base}/_matrix/client/v3/auth/${encodeURIComponent(stage)}/fallback/web?session=${encodeURIComponent(session)}`;
}

/** Wait until the homeserver's page says "authDone", or its window is closed. */
function fallbackDone(popup) {
  return new Promise((resolve) => {
    const finish = () => { clearInterval(timer); window.removeEventListener("message", onMessage); resolve(); };
    const onMessage = (event) => { if (event.data === "authDone") finish(); };
    const timer = setInterval(() => { if (popup.closed) finish(); }, 500);
    window.addEventListener("message", onMessage);
  });
}

/** A stage the homeserver would not take, in words a person can act on; `stage` says which. */
export function refused(stage, uia = {}) {
  const words = {
    "m.login.registration_token": "That invite token is not valid here: check that it is typed "
      + "exactly as you were given it (tokens can also expire or be used up), or ask the server's "
      + "admin for a new one.",
    "m.login.recaptcha": "The server did not see the robot check finished: press Create account "
      + "to open its page again, and finish it there before closing the window.",
    "m.login.terms": "The server did not take your acceptance of its terms: tick the box and try again.",
  }[stage];
  const error = new Error(words || uia.error || `The homeserver did not accept the ${stage} step.`);
  error.stage = stage;
  return error;
}

async function register(base, body, { token, onFallback }) {
  let auth;
  const tried = new Set();
  for (let round = 0; round < 10; round += 1) {
    try {
      return await homeserver(base, REGISTER, { method: "POST", body: auth ? { ...body, auth } : body });
    } catch (error) {
      const uia = error.data;
      if (error.status !== 401 || !uia || !uia.session || !Array.isArray(uia.flows)) throw error;
      const completed = uia.completed || [];
      const flow = uia.flows.find((f) => (f.stages || []).every((s) => DONE_HERE.has(s) || BY_FALLBACK.has(s)));
      const stage = flow && flow.stages.find((s) => !completed.includes(s));
      if (!stage) throw error;
      if (tried.has(stage)) throw refused(stage, uia);
      tried.add(stage);
      const session = uia.session;
      if (stage === "m.login.registration_token") auth = { type: stage, token, session };
      else if (DONE_HERE.has(stage)) auth = { type: stage, session };
      else {
        await onFallback(fallbackUrl(base, stage, session));
        auth = { session };
      }
    }
  }
  throw new Error("Signing up took too many steps.");
}

/** The sign-up page. onSignedUp(session) starts the app; onBack shows the sign-in page. */
export async function showSignUp(cfg, main, { onSignedUp, onBack }) {
  document.title = "Create account · Social";
  const back = h("button", { type: "button", class: "link-button", onclick: onBack }, "I have an account: sign in");
  const status = h("div", { class: "form-status", role: "status" }, "Asking the homeserver how to sign up…");
  const page = h("div", { class: "sign-in sign-up" },
    h("img", { class: "sign-in-logo", src: "/social/icon.svg", alt: "", width: 64, height: 64 }),
    h("h1", { id: "sign-up-title", tabindex: "-1" }, "Create your account"),
    h("p", { class: "sign-in-lead" }, `A Matrix account on ${cfg.server_name}: posts, people and their AIs.`),
    status, back);
  fill(main, page);
  page.querySelector("h1").focus();
  let info;
  try {
    info = await registrationInfo(cfg.homeserver_url);
  } catch (error) {
    status.textContent = "";
    status.append(h("span", { class: "error-text", role: "alert" }, describeError(error)));
    return;
  }
  if (!info.open) {
    fill(status, h("div", { class: "closed-note", role: "alert" },
      h("h2", {}, "Sign-ups are closed here"),
      h("p", {}, `${cfg.server_name} does not let people create accounts themselves. `
        + "Ask your server admin for an account, then sign in with it.")));
    back.textContent = "Back to sign in";
    back.focus();
    return;
  }
  if (!info.flow) {
    const needs = info.stages.some((s) => s.includes("email")) ? "an email address"
      : info.stages.some((s) => s.includes("msisdn")) ? "a phone number" : "steps this app cannot show";
    fill(status, h("p", { role: "alert" }, `${cfg.server_name} asks for ${needs} to sign up. `
      + "Create the account with Element (app.element.io) or ask your server admin, then sign in here."));
    return;
  }
  status.textContent = "";
  const stages = info.flow.stages || [];
  const username = h("input", { name: "username", autocomplete: "username", required: true,
    pattern: "[a-z0-9._=\\-\\/]+", autocapitalize: "none", spellcheck: "false" });
  const password = h("input", { type: "password", name: "password", autocomplete: "new-password",
    required: true, minlength: 8 });
  const again = h("input", { type: "password", name: "password-again", autocomplete: "new-password", required: true });
  const token = h("input", { name: "registration-token", autocomplete: "off", required: true,
    autocapitalize: "none", spellcheck: "false" });
  const accept = h("input", { type: "checkbox", name: "accept-terms", required: true });
  const terms = policies(info.params);
  const termsBox = stages.includes("m.login.terms") ? h("fieldset", { class: "terms" },
    h("legend", {}, "Terms of the server"),
    h("ul", {}, terms.map((p) => h("li", {}, p.url
      ? h("a", { href: p.url, target: "_blank", rel: "noopener noreferrer" }, p.name) : p.name))),
    h("label", { class: "check-row" }, accept,
      h("span", {}, `I have read and accept ${terms.length === 1 ? `the ${terms[0].name}` : "these terms"}`)))
    : null;
  const captchaNote = stages.some((s) => BY_FALLBACK.has(s))
    ? h("p", { class: "hint captcha-note" }, "This server checks that you are not a robot: its own page "
      + "opens in a new window when you create the account. Finish there, then come back.") : null;
  const submit = h("button", { type: "submit", class: "primary wide" }, "Create account");
  const form = h("form", { class: "sign-in-form", "aria-labelledby": "sign-up-title" },
    field("Username", username, `Lowercase letters, digits and . _ - : you will be @name:${cfg.server_name}`),
    field("Password", password, "At least 8 characters."),
    field("Password again", again),
    stages.includes("m.login.registration_token")
      ? field("Invite token", token, `${cfg.server_name} takes new accounts by invitation: `
        + "the token (a registration token) comes from its admin.") : null,
    termsBox, captchaNote, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.textContent = "";
    if (password.value !== again.value) {
      status.append(h("span", { class: "error-text", role: "alert" }, "The two passwords differ."));
      again.focus();
      return;
    }
    submit.disabled = true;
    status.textContent = "Creating your account…";
    try {
      // A token that is not valid is said at once, before anything else is asked.
      if (stages.includes("m.login.registration_token")
          && !(await tokenValid(cfg.homeserver_url, token.value.trim()))) {
        throw refused("m.login.registration_token");
      }
      const data = await register(cfg.homeserver_url, {
        username: username.value.trim().toLowerCase(), password: password.value,
        initial_device_display_name: "matrix-social web",
      }, { token: token.value.trim(), onFallback: async (url) => {
        const popup = window.open(url, "matrix-social-auth", "popup,width=480,height=640");
        if (!popup) {
          const link = h("a", { href: url, target: "_blank", rel: "noopener" }, "the server's page");
          const done = h("button", { type: "button" }, "I have finished there");
          fill(status, h("p", {}, "Your browser blocked the window: open ", link, ", finish, then "), done);
          await new Promise((resolve) => done.addEventListener("click", resolve, { once: true }));
          return;
        }
        status.textContent = "Finish on the server's page, in the window that opened…";
        await fallbackDone(popup);
      } });
      password.value = again.value = "";
      const session = saveSession({ homeserverUrl: cfg.homeserver_url, userId: data.user_id,
        accessToken: data.access_token, deviceId: data.device_id });
      await onSignedUp(session);
    } catch (error) {
      status.textContent = "";
      if (error.stage === "m.login.registration_token") {
        token.setAttribute("aria-invalid", "true");
        token.focus();
      }
      else if (error.stage === "m.login.terms") accept.focus();
      status.append(h("span", { class: "error-text", role: "alert" },
        error.errcode === "M_USER_IN_USE" ? "That username is taken: try another."
          : error.errcode === "M_INVALID_USERNAME" ? `That username cannot be used: ${error.message}`
            : describeError(error)));
      submit.disabled = false;
    }
  });
  // What goes wrong is said right above the button, where she is looking.
  form.insertBefore(status, submit);
  page.insertBefore(form, back);
  token.addEventListener("input", () => token.removeAttribute("aria-invalid"));
  username.focus();
}
