// Files in end-to-end encrypted rooms: encrypted in the browser before upload (AES-CTR, the
// Matrix "v2" attachment format), decrypted after download. The homeserver only sees ciphertext.

const b64 = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)));
const unpadded = (text) => text.replace(/=+$/, "");
const fromB64 = (text) => {
  const clean = text.replace(/-/g, "+").replace(/_/g, "/");
  const padded = clean + "=".repeat((4 - (clean.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
};

/** {data, file}: the ciphertext to upload and the `file` block (without url) for the event. */
export async function encryptAttachment(plain) {
  const key = await crypto.subtle.generateKey({ name: "AES-CTR", length: 256 }, true,
    ["encrypt", "decrypt"]);
  const iv = new Uint8Array(16);
  crypto.getRandomValues(iv.subarray(0, 8));
  const data = await crypto.subtle.encrypt({ name: "AES-CTR", counter: iv, length: 64 }, key, plain);
  const jwk = await crypto.subtle.exportKey("jwk", key);
  const sha = await crypto.subtle.digest("SHA-256", data);
  return {
    data: new Uint8Array(data),
    file: {
      v: "v2",
      key: { kty: "oct", alg: "A256CTR", ext: true, k: jwk.k, key_ops: ["encrypt", "decrypt"] },
      iv: unpadded(b64(iv)),
      hashes: { sha256: unpadded(b64(sha)) },
    },
  };
}

/** The plaintext of an encrypted attachment; refuses a file whose hash does not match. */
export async function decryptAttachment(cipher, file) {
  const sha = unpadded(b64(await crypto.subtle.digest("SHA-256", cipher)));
  if (!file.hashes || sha !== unpadded(file.hashes.sha256 || "")) {
    throw new Error("The file does not match its checksum; it was not shown.");
  }
  const key = await crypto.subtle.importKey("jwk", { ...file.key, alg: "A256CTR" },
    { name: "AES-CTR" }, false, ["decrypt"]);
  return crypto.subtle.decrypt({ name: "AES-CTR", counter: fromB64(file.iv), length: 64 }, key,
    cipher);
}
