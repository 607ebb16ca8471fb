// Images from the homeserver's media repository. Media downloads need the access token
// (authenticated media), so they are fetched and shown as blob: URLs, never with a token in
// the URL.

const cache = new Map();

function parseMxc(mxc) {
  const match = /^mxc:\/\/([^/]+)\/([A-Za-z0-9_-]+)$/.exec(mxc || "");
  return match ? { server: match[1], id: match[2] } : null;
}

async function download(session, mxc, size, method) {
  const parts = parseMxc(mxc);
  if (!parts) throw new Error("not a media URI");
  const where = `${encodeURIComponent(parts.server)}/${encodeURIComponent(parts.id)}`;
  const path = size
    ? `/_matrix/client/v1/media/thumbnail/${where}?width=${size}&height=${size}&method=${method}`
    : `/_matrix/client/v1/media/download/${where}`;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 30_000);
  try {
    const response = await fetch(session.homeserverUrl + path,
      { headers: { Authorization: `Bearer ${session.accessToken}` }, signal: controller.signal });
    if (!response.ok) throw new Error(`media answered ${response.status}`);
    return URL.createObjectURL(await response.blob());
  } finally {
    clearTimeout(timer);
  }
}

/** A blob: URL for an mxc:// URI (a thumbnail of `size` px when given), cached. */
export function mediaUrl(session, mxc, size, method = "crop") {
  const key = `${mxc}#${size || ""}#${method}`;
  if (!cache.has(key)) {
    const promise = download(session, mxc, size, method);
    promise.catch(() => cache.delete(key));
    cache.set(key, promise);
  }
  return cache.get(key);
}

/** Set an <img>'s source from an mxc URI once it has been fetched (`method` "scale" keeps
 * the image's shape, "crop" fills a square). */
export function loadInto(img, session, mxc, size, method = "crop") {
  if (!parseMxc(mxc)) return img;
  img.classList.add("loading");
  mediaUrl(session, mxc, size, method).then((url) => {
    img.src = url;
    img.classList.remove("loading");
  }).catch(() => {
    img.classList.remove("loading");
    img.classList.add("broken");
    img.title = "This image could not be loaded";
  });
  return img;
}
