// Messages held until the people they are for can read them.
//
// In an encrypted room a message's key goes only to the devices that exist when it is sent
// (Megolm): someone who has never opened Messages, nor any other encrypted client, has no
// device yet and could never read it, and no later device of hers could either. So such a
// message waits in this browser (localStorage, per signed-in account), shown as waiting, and
// is sent from here as soon as each member it waits for has a device. AIs read through the
// service's bot device (messages.js waits for it), so they are never waited for here.

const STORE = "matrix-social.held-messages";
const CHECK_MS = 4000;

function storeKey(userId) {
  return `${STORE}:${userId}`;
}

function load(userId) {
  try {
    const held = JSON.parse(localStorage.getItem(storeKey(userId)) || "[]");
    return Array.isArray(held) ? held.filter((m) => m && m.id && m.roomId && m.content) : [];
  } catch {
    return [];
  }
}

function save(userId, held) {
  if (held.length) localStorage.setItem(storeKey(userId), JSON.stringify(held));
  else localStorage.removeItem(storeKey(userId));
}

export function heldIn(userId, roomId) {
  return load(userId).filter((m) => m.roomId === roomId);
}

export function hold(userId, roomId, content, waitingFor) {
  const message = { id: `held-${Date.now()}-${Math.random().toString(36).slice(2, 10)}`,
    roomId, content, waitingFor, ts: Date.now() };
  save(userId, [...load(userId), message]);
  return message;
}

export function discard(userId, id) {
  save(userId, load(userId).filter((m) => m.id !== id));
}

function readsThroughTheService(ctx, userId) {
  const localpart = userId.slice(1).split(":")[0];
  return userId === ctx.config.bot_user_id
    || localpart.endsWith(ctx.config.ai_suffix || "_ai");
}

/** The members of `room` (joined or invited, not her) who have no device to read with. */
export async function withoutADevice(ctx, client, room) {
  const me = client.getUserId();
  await room.loadMembersIfNeeded();
  const others = room.getMembers()
    .filter((m) => ["join", "invite"].includes(m.membership) && m.userId !== me)
    .map((m) => m.userId)
    .filter((id) => !readsThroughTheService(ctx, id));
  if (!others.length) return [];
  const devices = await client.getCrypto().getUserDeviceInfo(others, true);
  return others.filter((id) => !(devices.get(id)?.size > 0));
}

/**
 * Sends, in the order they were written, the held messages whose rooms now have a device for
 * everyone; the transaction id is the held message's, so a send repeated after a reload is
 * the same event. Calls `onChange` when one was sent. Runs until `stop()` is called.
 */
export function keepSendingHeld(ctx, client, onChange) {
  const userId = client.getUserId();
  let running = false;
  async function sendWhatCanBeRead() {
    if (running) return;
    running = true;
    try {
      for (const message of load(userId)) {
        const room = client.getRoom(message.roomId);
        if (!room || room.getMyMembership() !== "join") continue;
        if ((await withoutADevice(ctx, client, room)).length) continue;
        await client.sendMessage(message.roomId, message.content, message.id);
        discard(userId, message.id);
        onChange();
      }
    } catch (error) {
      console.warn("A held message could not be sent yet", error);
    } finally {
      running = false;
    }
  }
  const timer = setInterval(() => { if (load(userId).length) sendWhatCanBeRead(); }, CHECK_MS);
  const onDevices = () => { sendWhatCanBeRead(); };
  client.on("crypto.devicesUpdated", onDevices);
  sendWhatCanBeRead();
  return {
    check: sendWhatCanBeRead,
    stop() {
      clearInterval(timer);
      client.off("crypto.devicesUpdated", onDevices);
    },
  };
}
