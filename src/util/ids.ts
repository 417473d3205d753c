/** Identifiers the server hands out. */

/** `bytes` random bytes as lower-case hex: unguessable, and within the x-wv-* header grammar. */
export function randomHex(bytes: number): string {
  const buf = crypto.getRandomValues(new Uint8Array(bytes));
  let out = "";
  for (const b of buf) out += b.toString(16).padStart(2, "0");
  return out;
}

let lastMs = 0;
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
    counter = 0;
  }
  return now.toString(16).padStart(12, "0") + counter.toString(16).padStart(4, "0") +
    randomHex(3);
}
