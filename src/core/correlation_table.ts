/**
 * Transaction correlation: which pending request (a slot id the caller owns) an incoming
 * response belongs to, keyed by (session id, transaction id) as bytes, with a deadline after
 * which the entry is swept. Implementations hold entries in flat memory, no object per entry.
 */
export interface CorrelationTable {
  /** Live entries. */
  readonly size: number;
  /** Memory the table holds (buckets and record arena). */
  readonly byteSize: number;
  /**
   * Adds an entry; returns false (and changes nothing) if the key is already there. Each key part
   * is at most MAX_KEY_PART bytes; `slot` is a u32; `deadline` is in ms on the caller's clock.
   */
  insert(session: Uint8Array, transaction: Uint8Array, slot: number, deadline: number): boolean;
  /** The slot of the entry, or -1. */
  lookup(session: Uint8Array, transaction: Uint8Array): number;
  /** Removes the entry; returns its slot, or -1 if there was none. */
  remove(session: Uint8Array, transaction: Uint8Array): number;
  /** Removes every entry whose deadline is <= now; returns their slots (in no set order). */
  sweep(now: number): Uint32Array;
  /** Releases the memory; the table must not be used afterwards. */
  free(): void;
}

/** Longest session or transaction id, in bytes (record lengths are 15-bit). */
export const MAX_KEY_PART = 0x7fff;

export function checkEntry(session: Uint8Array, transaction: Uint8Array, slot?: number): void {
  if (session.length > MAX_KEY_PART || transaction.length > MAX_KEY_PART) {
    throw new RangeError(`correlation key parts are limited to ${MAX_KEY_PART} bytes`);
  }
  if (slot !== undefined && (slot >>> 0) !== slot) {
    throw new RangeError(`slot must be a u32, got ${slot}`);
  }
}
