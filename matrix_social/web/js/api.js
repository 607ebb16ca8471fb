// The service's REST API (/api/social), same origin, with the Matrix access token as Bearer.
//
// Every request has a time limit (15 s): a server that does not answer ends as an error in
// words, never a spinner forever. Every write (POST, PUT, PATCH, DELETE) carries an
// Idempotency-Key, and one that failed on the network (the connection dropped: the server
// may or may not have done it) is sent again with the same key, up to 3 times with growing
// pauses: the service answers a repeated key with the first answer, so nothing happens twice.

export class ApiError extends Error {
  constructor(status, errcode, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.errcode = errcode;
  }
}

const BASE = "/api/social";
export const TIMEOUT_MS = 15_000;
const RETRY_PAUSES_MS = [400, 1200, 3000];
const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** A fresh Idempotency-Key (callers that retry a whole action keep theirs). */
export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const pause = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

async function errorOf(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON: a proxy or the server failed before the API could answer
  }
  const message = body && typeof body.error === "string" ? body.error
    : `The service answered ${response.status} ${response.statusText}`;
  return new ApiError(response.status, body && body.errcode, message);
}

function timeoutError(seconds) {
  return new ApiError(0, "M_TIMEOUT",
    `The service did not answer within ${seconds} seconds. Check your connection and try again.`);
}

function networkError(cause) {
  const error = new ApiError(0, "M_NETWORK",
    "Could not reach the service. Check your connection and try again.");
  error.cause = cause;
  return error;
}

/**
 * One request with a time limit. Network failures of writes (and of reads, once) are tried
 * again with the same Idempotency-Key; a 409 "still being handled" after such a failure
 * means the first try is still running there: wait and ask again.
 */
async function send(url, init, { write, timeout, key }) {
  const tries = write ? RETRY_PAUSES_MS.length + 1 : 2;
  let lastError = null;
  for (let attempt = 0; attempt < tries; attempt += 1) {
    if (attempt > 0) await pause(RETRY_PAUSES_MS[Math.min(attempt - 1, RETRY_PAUSES_MS.length - 1)]);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeout);
    let response;
    try {
      response = await fetch(url, { ...init, signal: controller.signal });
    } catch (error) {
      clearTimeout(timer);
      if (controller.signal.aborted) throw timeoutError(Math.round(timeout / 1000));
      lastError = networkError(error);
      continue;
    }
    clearTimeout(timer);
    if (write && attempt > 0 && response.status === 409) {
      lastError = await errorOf(response);
      if (lastError.errcode === "M_CONFLICT" && /still being handled/.test(lastError.message)) {
        continue;
      }
      throw lastError;
    }
    return { response, key };
  }
  throw lastError;
}

/** A client for one signed-in user; `onSessionEnded` is called on an unknown token. */
export function makeApi(session, onSessionEnded) {
  async function request(method, path, { query, body, raw, contentType, key, timeout } = {}) {
    const url = new URL(BASE + path, location.origin);
    for (const [name, value] of Object.entries(query || {})) {
      if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
    }
    const write = WRITES.has(method);
    const headers = { Authorization: `Bearer ${session.accessToken}` };
    const idempotencyKey = write ? (key || newKey()) : null;
    if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
    let payload;
    if (raw !== undefined) {
      payload = raw;
      headers["Content-Type"] = contentType || "application/octet-stream";
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers["Content-Type"] = "application/json";
    }
    const { response } = await send(url, { method, headers, body: payload },
      { write, timeout: timeout || TIMEOUT_MS, key: idempotencyKey });
    if (!response.ok) {
      const error = await errorOf(response);
      if (response.status === 401 && error.errcode === "M_UNKNOWN_TOKEN") onSessionEnded(error);
      throw error;
    }
    return response.json();
  }
  return {
    get: (path, query, options) => request("GET", path, { query, ...options }),
    post: (path, body = {}, options) => request("POST", path, { body, ...options }),
    put: (path, body, options) => request("PUT", path, { body, ...options }),
    patch: (path, body, options) => request("PATCH", path, { body, ...options }),
    del: (path, query, options) => request("DELETE", path, { query, ...options }),
    /** Upload an image (or with kind "file" any file) through the service. */
    upload: (file, kind = "image", options = {}) => request("POST", "/media", {
      query: { kind }, raw: file, contentType: file.type || "application/octet-stream",
      timeout: 60_000, ...options }),
  };
}

export const enc = encodeURIComponent;
