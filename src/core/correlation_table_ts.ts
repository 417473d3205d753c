/**
 * The pure-TypeScript correlation table: the layout and rules of `wasm/assembly/table.ts` on
 * ArrayBuffers. Buckets are [hash, record offset + 1] pairs (linear probing, backward-shift
 * deletion); records sit 8-aligned in an arena: f64 deadline, u32 slot, u16 session length,
 * u16 transaction length (| DEAD_BIT once removed), then the key bytes.
 */
import { checkEntry, type CorrelationTable, MAX_KEY_PART } from "./correlation_table.ts";

const RECORD_HEADER = 16;
const DEAD_BIT = 0x8000;
const MIN_BUCKETS = 16;
const MIN_ARENA = 4096;

class Arena {
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly u32: Uint32Array;
  readonly f64: Float64Array;
  constructor(readonly buffer: ArrayBuffer) {
    this.u8 = new Uint8Array(buffer);
    this.u16 = new Uint16Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.f64 = new Float64Array(buffer);
  }
}

const recordSize = (keyLength: number) => (RECORD_HEADER + keyLength + 7) & ~7;

export class TsCorrelationTable implements CorrelationTable {
  private buckets = new Uint32Array(MIN_BUCKETS * 2);
  private mask = MIN_BUCKETS - 1;
  private count = 0;
  private arena = new Arena(new ArrayBuffer(MIN_ARENA));
  private used = 0;
  private deadBytes = 0;
  private readonly seed = crypto.getRandomValues(new Uint32Array(1))[0];

  get size(): number {
    return this.count;
  }

  get byteSize(): number {
    return this.buckets.byteLength + this.arena.buffer.byteLength;
  }

  insert(session: Uint8Array, transaction: Uint8Array, slot: number, deadline: number): boolean {
    checkEntry(session, transaction, slot);
    const hash = this.hash(session, transaction);
    if (this.find(hash, session, transaction) >= 0) return false;
    const keyLength = session.length + transaction.length;
    const size = recordSize(keyLength);
    this.reserveArena(size);
    const offset = this.used, a = this.arena;
    a.f64[offset >> 3] = deadline;
    a.u32[(offset + 8) >> 2] = slot;
    a.u16[(offset + 12) >> 1] = session.length;
    a.u16[(offset + 14) >> 1] = transaction.length;
    a.u8.set(session, offset + RECORD_HEADER);
    a.u8.set(transaction, offset + RECORD_HEADER + session.length);
    this.used += size;
    if ((this.count + 1) * 4 > (this.mask + 1) * 3) this.growBuckets();
    this.place(hash, offset);
    this.count++;
    return true;
  }

  lookup(session: Uint8Array, transaction: Uint8Array): number {
    if (session.length > MAX_KEY_PART || transaction.length > MAX_KEY_PART) return -1;
    const b = this.find(this.hash(session, transaction), session, transaction);
    return b < 0 ? -1 : this.arena.u32[(this.buckets[b * 2 + 1] - 1 + 8) >> 2];
  }

  remove(session: Uint8Array, transaction: Uint8Array): number {
    if (session.length > MAX_KEY_PART || transaction.length > MAX_KEY_PART) return -1;
    const b = this.find(this.hash(session, transaction), session, transaction);
    if (b < 0) return -1;
    const slot = this.arena.u32[(this.buckets[b * 2 + 1] - 1 + 8) >> 2];
    this.removeAt(b);
    return slot;
  }

  sweep(now: number): Uint32Array {
    const slots: number[] = [];
    const a = this.arena;
    for (let offset = 0; offset < this.used;) {
      const sLen = a.u16[(offset + 12) >> 1], tLen = a.u16[(offset + 14) >> 1];
      if ((tLen & DEAD_BIT) === 0 && a.f64[offset >> 3] <= now) {
        slots.push(a.u32[(offset + 8) >> 2]);
        this.removeAt(this.bucketOfRecord(offset));
      }
      offset += recordSize(sLen + (tLen & ~DEAD_BIT));
    }
    return Uint32Array.from(slots);
  }

  free(): void {
    this.buckets = new Uint32Array(MIN_BUCKETS * 2);
    this.arena = new Arena(new ArrayBuffer(0));
    this.mask = MIN_BUCKETS - 1;
    this.count = this.used = this.deadBytes = 0;
  }

  /** Seeded murmur3-style hash; mixing in the session length keeps (ab, c) != (a, bc). */
  private hash(session: Uint8Array, transaction: Uint8Array): number {
    return hashKey(session, transaction, this.seed);
  }

  /** Bucket holding the key, or -1. */
  private find(hash: number, session: Uint8Array, transaction: Uint8Array): number {
    const buckets = this.buckets, mask = this.mask, a = this.arena.u8, u16 = this.arena.u16;
    for (let i = hash & mask;; i = (i + 1) & mask) {
      const ref = buckets[i * 2 + 1];
      if (ref === 0) return -1;
      if (buckets[i * 2] !== hash) continue;
      const r = ref - 1;
      if (u16[(r + 12) >> 1] !== session.length || u16[(r + 14) >> 1] !== transaction.length) {
        continue;
      }
      if (
        sameBytes(a, r + RECORD_HEADER, session) &&
        sameBytes(a, r + RECORD_HEADER + session.length, transaction)
      ) {
        return i;
      }
    }
  }

  private bucketOfRecord(offset: number): number {
    const a = this.arena, sLen = a.u16[(offset + 12) >> 1], tLen = a.u16[(offset + 14) >> 1];
    const key = a.u8.subarray(offset + RECORD_HEADER, offset + RECORD_HEADER + sLen + tLen);
    const hash = hashKey(key.subarray(0, sLen), key.subarray(sLen), this.seed);
    let i = hash & this.mask;
    while (this.buckets[i * 2 + 1] !== offset + 1) i = (i + 1) & this.mask;
    return i;
  }

  private place(hash: number, offset: number): void {
    const buckets = this.buckets, mask = this.mask;
    let i = hash & mask;
    while (buckets[i * 2 + 1] !== 0) i = (i + 1) & mask;
    buckets[i * 2] = hash;
    buckets[i * 2 + 1] = offset + 1;
  }

  /** Marks the bucket's record dead and closes the gap in its probe run (no tombstones). */
  private removeAt(bucket: number): void {
    const buckets = this.buckets, mask = this.mask, a = this.arena;
    const r = buckets[bucket * 2 + 1] - 1;
    const tLen = a.u16[(r + 14) >> 1];
    a.u16[(r + 14) >> 1] = tLen | DEAD_BIT;
    this.deadBytes += recordSize(a.u16[(r + 12) >> 1] + tLen);
    this.count--;
    let hole = bucket;
    for (let i = (hole + 1) & mask;; i = (i + 1) & mask) {
      const ref = buckets[i * 2 + 1];
      if (ref === 0) break;
      const home = buckets[i * 2] & mask;
      // Move the entry back unless its home lies cyclically in (hole, i].
      if (((i - home) & mask) >= ((i - hole) & mask)) {
        buckets[hole * 2] = buckets[i * 2];
        buckets[hole * 2 + 1] = ref;
        hole = i;
      }
    }
    buckets[hole * 2 + 1] = 0;
  }

  private growBuckets(): void {
    const old = this.buckets;
    this.buckets = new Uint32Array(old.length * 2);
    this.mask = old.length - 1;
    for (let i = 0; i < old.length; i += 2) {
      if (old[i + 1] !== 0) this.place(old[i], old[i + 1] - 1);
    }
  }

  /** Room for `size` more arena bytes: compacts when half is dead, else doubles. */
  private reserveArena(size: number): void {
    const capacity = this.arena.buffer.byteLength;
    if (this.used + size <= capacity) return;
    if (this.deadBytes * 2 >= this.used) this.compact();
    const needed = this.used + size;
    if (needed <= capacity) return;
    let grown = Math.max(capacity * 2, MIN_ARENA);
    while (grown < needed) grown *= 2;
    const arena = new Arena(new ArrayBuffer(grown));
    arena.u8.set(this.arena.u8.subarray(0, this.used));
    this.arena = arena;
  }

  /** Slides live records down over dead ones, then re-points every bucket. */
  private compact(): void {
    const a = this.arena;
    let to = 0;
    for (let from = 0; from < this.used;) {
      const tLen = a.u16[(from + 14) >> 1];
      const size = recordSize(a.u16[(from + 12) >> 1] + (tLen & ~DEAD_BIT));
      if ((tLen & DEAD_BIT) === 0) {
        if (to !== from) a.u8.copyWithin(to, from, from + size);
        to += size;
      }
      from += size;
    }
    this.used = to;
    this.deadBytes = 0;
    this.buckets.fill(0);
    for (let offset = 0; offset < to;) {
      const sLen = a.u16[(offset + 12) >> 1], tLen = a.u16[(offset + 14) >> 1];
      const key = a.u8.subarray(offset + RECORD_HEADER, offset + RECORD_HEADER + sLen + tLen);
      this.place(hashKey(key.subarray(0, sLen), key.subarray(sLen), this.seed), offset);
      offset += recordSize(sLen + tLen);
    }
  }
}

function sameBytes(a: Uint8Array, at: number, b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (a[at + i] !== b[i]) return false;
  return true;
}

/** The WASM table's hash over session || transaction, 4 bytes at a time. */
function hashKey(session: Uint8Array, transaction: Uint8Array, seed: number): number {
  const sLen = session.length, length = sLen + transaction.length;
  const byte = (i: number) => (i < sLen ? session[i] : transaction[i - sLen]);
  let h = (seed ^ Math.imul(sLen, 0x9e3779b1)) >>> 0;
  let i = 0;
  for (; i + 4 <= length; i += 4) {
    h = mix(h, byte(i) | (byte(i + 1) << 8) | (byte(i + 2) << 16) | (byte(i + 3) << 24));
  }
  let tail = 0;
  for (let s = 0; i < length; i++, s += 8) tail |= byte(i) << s;
  h = (mix(h, tail) ^ length) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function mix(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) >>> 0;
}
