/** Identifiers the server hands out. */

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));
/** Random bytes fetched a pool at a time: every message takes a few ids, and each call to the
 * system's generator costs more than the bytes. */
const POOL_BYTES = 4096;
const pool = new Uint8Array(POOL_BYTES);
let used = POOL_BYTES;

/** `bytes` random bytes as lower-case hex: unguessable, and within the x-wv-* header grammar. */
export function randomHex(bytes: number): string {
  if (bytes > POOL_BYTES) throw new RangeError(`At most ${POOL_BYTES} random bytes at once`);
  if (used + bytes > POOL_BYTES) {
    crypto.getRandomValues(pool);
    used = 0;
  }
  let out = "";
  for (let i = used; i < used + bytes; i++) out += HEX[pool[i]];
  used += bytes;
  return out;
}

let lastMs = 0;
/** lastMs in hex: made once per millisecond, as turning a time into hex costs more than the rest. */
let lastMsHex = "";
let counter = 0;

/**
 * A sortable unique id: milliseconds, a counter within the millisecond and a random tail (so two
 * isolates sharing a distributed KV do not collide). Fixed width hex, so string order = time order.
 */
export function sortableId(): string {
  const now = Date.now();
  if (now === lastMs) counter++;
  else {
    lastMs = now;
    lastMsHex = now.toString(16).padStart(12, "0");
    counter = 0;
  }
  return lastMsHex + counter.toString(16).padStart(4, "0") + randomHex(3);
}
