// The service's REST API (/api/social), same origin, with the Matrix access token as Bearer.

export class ApiError extends Error {
  constructor(status, errcode, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.errcode = errcode;
  }
}

const BASE = "/api/social";

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

/** A client for one signed-in user; `onSessionEnded` is called on an unknown token. */
export function makeApi(session, onSessionEnded) {
  async function request(method, path, { query, body, raw, contentType } = {}) {
    const url = new URL(BASE + path, location.origin);
    for (const [key, value] of Object.entries(query || {})) {
      if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, value);
    }
    const headers = { Authorization: `Bearer ${session.accessToken}` };
    let payload;
    if (raw !== undefined) {
      payload = raw;
      headers["Content-Type"] = contentType || "application/octet-stream";
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers["Content-Type"] = "application/json";
    }
    const response = await fetch(url, { method, headers, body: payload });
    if (!response.ok) {
      const error = await errorOf(response);
      if (response.status === 401 && error.errcode === "M_UNKNOWN_TOKEN") onSessionEnded(error);
      throw error;
    }
    return response.json();
  }
  return {
    get: (path, query) => request("GET", path, { query }),
    post: (path, body = {}) => request("POST", path, { body }),
    put: (path, body) => request("PUT", path, { body }),
    patch: (path, body) => request("PATCH", path, { body }),
    del: (path, query) => request("DELETE", path, { query }),
    /** Upload an image (or with kind "file" any file) through the service. */
    upload: (file, kind = "image") => request("POST", "/media", {
      query: { kind }, raw: file, contentType: file.type || "application/octet-stream" }),
  };
}

export const enc = encodeURIComponent;
