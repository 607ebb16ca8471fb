// The Matrix recovery key (spec: "Key representation"): base58 of 0x8B 0x01, the 32-byte key
// and a parity byte (the XOR of every byte before it), shown in groups of four characters.
const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const PREFIX = [0x8b, 0x01];

function base58(bytes) {
  let n = 0n;
  for (const b of bytes) n = n * 256n + BigInt(b);
  let out = "";
  while (n > 0n) { out = ALPHABET[Number(n % 58n)] + out; n /= 58n; }
  for (const b of bytes) { if (b !== 0) break; out = `1${out}`; }
  return out;
}

function unbase58(text) {
  let n = 0n;
  for (const c of text) {
    const digit = ALPHABET.indexOf(c);
    if (digit < 0) throw new Error(`"${c}" cannot be in a recovery key.`);
    n = n * 58n + BigInt(digit);
  }
  const bytes = [];
  while (n > 0n) { bytes.unshift(Number(n % 256n)); n /= 256n; }
  for (const c of text) { if (c !== "1") break; bytes.unshift(0); }
  return bytes;
}

export function encodeRecoveryKey(key) {
  const bytes = [...PREFIX, ...key];
  bytes.push(bytes.reduce((parity, b) => parity ^ b, 0));
  return base58(bytes).match(/.{1,4}/g).join(" ");
}

/** The 32-byte key, or an Error saying in words what is wrong with the text. */
export function decodeRecoveryKey(text) {
  const bytes = unbase58(text.replace(/\s+/g, ""));
  if (bytes.length !== PREFIX.length + 32 + 1 || bytes[0] !== PREFIX[0] || bytes[1] !== PREFIX[1]
      || bytes.reduce((parity, b) => parity ^ b, 0) !== 0) {
    throw new Error("That is not a recovery key: check it and try again.");
  }
  return new Uint8Array(bytes.slice(PREFIX.length, PREFIX.length + 32));
}
