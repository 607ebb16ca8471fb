// Signing in against the homeserver (password or SSO) and keeping the session in this browser.
// The access token lives in localStorage and in Authorization headers, never in a URL.

const KEY = "matrix-social.session";

export function loadSession(homeserverUrl) {
  try {
    const session = JSON.parse(localStorage.getItem(KEY) || "null");
    if (session && session.accessToken && session.homeserverUrl === homeserverUrl) return session;
  } catch {
    // a damaged entry is the same as none
  }
  return null;
}

export function saveSession(session) {
  localStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

async function homeserver(base, path, { method = "GET", body, token } = {}) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 15_000);
  try {
    response = await fetch(base + path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      signal: controller.signal });
  } catch (error) {
    throw new Error(controller.signal.aborted
      ? `The homeserver at ${base} did not answer within 15 seconds.`
      : `Could not reach the homeserver at ${base} (${error.message}).`);
  } finally {
    clearTimeout(timer);
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(data.error || `The homeserver answered ${response.status}`);
    error.errcode = data.errcode;
    error.status = response.status;
    error.data = data;
    throw error;
  }
  return data;
}

/** The ways this homeserver lets people sign in: {password, sso: [{id, name}]} */
export async function loginFlows(base) {
  const data = await homeserver(base, "/_matrix/client/v3/login");
  const flows = data.flows || [];
  const sso = flows.find((f) => f.type === "m.login.sso");
  return {
    password: flows.some((f) => f.type === "m.login.password"),
    sso: sso ? (sso.identity_providers || [{ id: "", name: "single sign-on" }]) : [],
  };
}

async function login(base, body) {
  const data = await homeserver(base, "/_matrix/client/v3/login", {
    method: "POST", body: { ...body, initial_device_display_name: "matrix-social web" } });
  return saveSession({
    homeserverUrl: base, userId: data.user_id, accessToken: data.access_token,
    deviceId: data.device_id,
  });
}

export function passwordLogin(base, user, password) {
  return login(base, {
    type: "m.login.password", identifier: { type: "m.id.user", user }, password });
}

/** The homeserver's SSO page; it comes back to `returnTo` with ?loginToken=... */
export function ssoUrl(base, idpId, returnTo) {
  const path = idpId ? `/redirect/${encodeURIComponent(idpId)}` : "/redirect";
  return `${base}/_matrix/client/v3/login/sso${path}?redirectUrl=${encodeURIComponent(returnTo)}`;
}

/** Exchange the one-time SSO login token, then take it out of the address bar. */
export async function finishSso(base) {
  const params = new URLSearchParams(location.search);
  const token = params.get("loginToken");
  if (!token) return null;
  params.delete("loginToken");
  const rest = params.toString();
  history.replaceState(null, "", location.pathname + (rest ? `?${rest}` : "") + location.hash);
  return login(base, { type: "m.login.token", token });
}

export async function signOut(session) {
  localStorage.removeItem(KEY);
  try {
    await homeserver(session.homeserverUrl, "/_matrix/client/v3/logout",
      { method: "POST", body: {}, token: session.accessToken });
  } catch {
    // the token may already be gone; the session is forgotten here either way
  }
  await forgetCryptoStores();
}

/** The Messages section's end-to-end keys belong to the signed-out device: delete them. */
export async function forgetCryptoStores() {
  if (!indexedDB.databases) return;
  const names = (await indexedDB.databases()).map((d) => d.name)
    .filter((name) => name && name.startsWith("matrix-social"));
  await Promise.all(names.map((name) => new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = request.onerror = request.onblocked = () => resolve();
  })));
}

export { homeserver };
