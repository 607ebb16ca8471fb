// Images from the homeserver's media repository. Media downloads need the access token
// (authenticated media), so they are fetched and shown as blob: URLs, never with a token in
// the URL.

const cache = new Map();

function parseMxc(mxc) {
  const match = /^mxc:\/\/([^/]+)\/([A-Za-z0-9_-]+)$/.exec(mxc || "");
  return match ? { server: match[1], id: match[2] } : null;
}

async function download(session, mxc, size) {
  const parts = parseMxc(mxc);
  if (!parts) throw new Error("not a media URI");
  const where = `${encodeURIComponent(parts.server)}/${encodeURIComponent(parts.id)}`;
  const path = size
    ? `/_matrix/client/v1/media/thumbnail/${where}?width=${size}&height=${size}&method=crop`
    : `/_matrix/client/v1/media/download/${where}`;
  const response = await fetch(session.homeserverUrl + path,
    { headers: { Authorization: `Bearer ${session.accessToken}` } });
  if (!response.ok) throw new Error(`media answered ${response.status}`);
  return URL.createObjectURL(await response.blob());
}

/** A blob: URL for an mxc:// URI (thumbnail of `size` px when given), cached. */
export function mediaUrl(session, mxc, size) {
  const key = `${mxc}#${size || ""}`;
  if (!cache.has(key)) {
    const promise = download(session, mxc, size);
    promise.catch(() => cache.delete(key));
    cache.set(key, promise);
  }
  return cache.get(key);
}

/** Set an <img>'s source from an mxc URI once it has been fetched. */
export function loadInto(img, session, mxc, size) {
  if (!parseMxc(mxc)) return img;
  mediaUrl(session, mxc, size).then((url) => { img.src = url; }).catch(() => {
    img.classList.add("broken");
    img.title = "This image could not be loaded";
  });
  return img;
}
