// The Messages section's Matrix SDK: matrix-js-sdk with its Rust crypto (WebAssembly).
// build.mjs bundles this file; the browser loads it only when Messages opens.
import { initAsync } from "@matrix-org/matrix-sdk-crypto-wasm";

export {
  createClient, ClientEvent, RoomEvent, RoomMemberEvent, EventType, MsgType,
  SyncState, KnownMembership, NotificationCountType,
} from "matrix-js-sdk";
export { CryptoEvent } from "matrix-js-sdk/lib/crypto-api/index.js";
export { logger } from "matrix-js-sdk/lib/logger.js";

/* global __WASM_FILE__ */
/** Fetch and compile the crypto WebAssembly (before createClient(...).initRustCrypto()). */
export function loadCryptoWasm() {
  return initAsync(new URL(__WASM_FILE__, import.meta.url));
}
