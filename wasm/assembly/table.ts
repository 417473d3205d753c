// Transaction correlation table: open addressing (linear probing, backward-shift deletion) over
// buckets of [hash, record offset + 1], records in an arena. Same layout and rules as
// src/core/correlation_table_ts.ts. A table is a 32-byte header; JS holds its address.
//
// Record (8-aligned): f64 deadline, u32 slot, u16 session length, u16 transaction length with
// DEAD_BIT once removed, then the session bytes and the transaction id bytes.

import { inputPtr, RESULTS } from "./buffers";

const H_BUCKETS: usize = 0;
const H_MASK: usize = 4;
const H_COUNT: usize = 8;
const H_ARENA: usize = 12;
const H_ARENA_CAPACITY: usize = 16;
const H_ARENA_USED: usize = 20;
const H_DEAD_BYTES: usize = 24;
const H_SEED: usize = 28;
const HEADER_BYTES: usize = 32;

const RECORD_HEADER: u32 = 16;
const DEAD_BIT: u32 = 0x8000;
const MIN_BUCKETS: u32 = 16;
const MIN_ARENA: u32 = 4096;

/** Sweep results: slot ids go to a buffer of their own, its address in RESULTS[0]. */
let sweepBase: usize = 0;
let sweepCapacity: usize = 0;

// Key of the current operation: session bytes then transaction bytes, at inputPtr().
let keyPtr: usize = 0;
let sessionLength: u32 = 0;
let keyLength: u32 = 0;

export function tableCreate(seed: u32): usize {
  const t = heap.alloc(HEADER_BYTES);
  const buckets = heap.alloc(<usize>MIN_BUCKETS * 8);
  memory.fill(buckets, 0, <usize>MIN_BUCKETS * 8);
  store<u32>(t + H_BUCKETS, <u32>buckets);
  store<u32>(t + H_MASK, MIN_BUCKETS - 1);
  store<u32>(t + H_COUNT, 0);
  store<u32>(t + H_ARENA, <u32>heap.alloc(MIN_ARENA));
  store<u32>(t + H_ARENA_CAPACITY, MIN_ARENA);
  store<u32>(t + H_ARENA_USED, 0);
  store<u32>(t + H_DEAD_BYTES, 0);
  store<u32>(t + H_SEED, seed);
  return t;
}

export function tableFree(t: usize): void {
  heap.free(<usize>load<u32>(t + H_BUCKETS));
  heap.free(<usize>load<u32>(t + H_ARENA));
  heap.free(t);
}

export function tableSize(t: usize): u32 {
  return load<u32>(t + H_COUNT);
}

/** Bytes the table holds (buckets, arena and header). */
export function tableBytes(t: usize): u32 {
  return (load<u32>(t + H_MASK) + 1) * 8 + load<u32>(t + H_ARENA_CAPACITY) + <u32>HEADER_BYTES;
}

/** Adds the key at inputPtr() unless present; returns 1 if added, 0 if it was there. */
export function tableInsert(t: usize, sessionLen: u32, txLen: u32, slot: u32, deadline: f64): i32 {
  const hash = setKey(t, sessionLen, txLen);
  if (findBucket(t, hash) >= 0) return 0;
  const size = (RECORD_HEADER + keyLength + 7) & ~7;
  reserveArena(t, size);
  const arena = <usize>load<u32>(t + H_ARENA);
  const offset = load<u32>(t + H_ARENA_USED);
  const r = arena + <usize>offset;
  store<f64>(r, deadline);
  store<u32>(r, slot, 8);
  store<u16>(r, <u16>sessionLen, 12);
  store<u16>(r, <u16>txLen, 14);
  memory.copy(r + RECORD_HEADER, keyPtr, keyLength);
  store<u32>(t + H_ARENA_USED, offset + size);
  if ((load<u32>(t + H_COUNT) + 1) * 4 > (load<u32>(t + H_MASK) + 1) * 3) growBuckets(t);
  placeBucket(t, hash, offset);
  store<u32>(t + H_COUNT, load<u32>(t + H_COUNT) + 1);
  return 1;
}

/** Slot of the key at inputPtr() (as f64, so JS gets a number, not a BigInt), or -1. */
export function tableLookup(t: usize, sessionLen: u32, txLen: u32): f64 {
  const hash = setKey(t, sessionLen, txLen);
  const b = findBucket(t, hash);
  if (b < 0) return -1;
  return <f64>load<u32>(recordAt(t, b), 8);
}

/** Removes the key at inputPtr(); returns its slot as a number, or -1 if absent. */
export function tableRemove(t: usize, sessionLen: u32, txLen: u32): f64 {
  const hash = setKey(t, sessionLen, txLen);
  const b = findBucket(t, hash);
  if (b < 0) return -1;
  const slot = load<u32>(recordAt(t, b), 8);
  removeAt(t, b);
  return <f64>slot;
}

/**
 * Removes every entry whose deadline is <= now. Returns how many; their slot ids are u32s at
 * the address stored in RESULTS[0].
 */
export function tableSweep(t: usize, now: f64): u32 {
  const arena = <usize>load<u32>(t + H_ARENA);
  const used = load<u32>(t + H_ARENA_USED);
  let removed: u32 = 0;
  let offset: u32 = 0;
  while (offset < used) {
    const r = arena + <usize>offset;
    const sLen = <u32>load<u16>(r, 12);
    const tLen = <u32>load<u16>(r, 14);
    const size = (RECORD_HEADER + sLen + (tLen & ~DEAD_BIT) + 7) & ~7;
    if ((tLen & DEAD_BIT) == 0 && load<f64>(r) <= now) {
      if ((<usize>removed + 1) * 4 > sweepCapacity) growSweepBuffer();
      store<u32>(sweepBase + (<usize>removed << 2), load<u32>(r, 8));
      removed++;
      removeAt(t, bucketOfRecord(t, offset));
    }
    offset += size;
  }
  store<u32>(RESULTS, <u32>sweepBase);
  return removed;
}

function growSweepBuffer(): void {
  const capacity = max<usize>(sweepCapacity * 2, 4096);
  sweepBase = sweepBase == 0 ? heap.alloc(capacity) : heap.realloc(sweepBase, capacity);
  sweepCapacity = capacity;
}

/** Notes the key at inputPtr() for this operation; returns its hash. */
function setKey(t: usize, sessionLen: u32, txLen: u32): u32 {
  keyPtr = inputPtr();
  sessionLength = sessionLen;
  keyLength = sessionLen + txLen;
  return hashKey(keyPtr, keyLength, sessionLen, load<u32>(t + H_SEED));
}

/** Seeded murmur3-style hash of the key; mixing in the session length keeps (ab, c) != (a, bc). */
function hashKey(p: usize, length: u32, sessionLen: u32, seed: u32): u32 {
  let h = seed ^ (sessionLen * 0x9e3779b1);
  let i: u32 = 0;
  for (; i + 4 <= length; i += 4) h = mix(h, load<u32>(p + <usize>i));
  let tail: u32 = 0;
  for (let s: u32 = 0; i < length; i++, s += 8) tail |= <u32>load<u8>(p + <usize>i) << s;
  h = mix(h, tail) ^ length;
  h ^= h >>> 16;
  h *= 0x85ebca6b;
  h ^= h >>> 13;
  h *= 0xc2b2ae35;
  return h ^ (h >>> 16);
}

// @ts-ignore: decorator
@inline
function mix(h: u32, k: u32): u32 {
  k *= 0xcc9e2d51;
  k = rotl<u32>(k, 15) * 0x1b873593;
  h ^= k;
  return rotl<u32>(h, 13) * 5 + 0xe6546b64;
}

function recordAt(t: usize, bucket: i32): usize {
  const buckets = <usize>load<u32>(t + H_BUCKETS);
  return <usize>load<u32>(t + H_ARENA) + <usize>load<u32>(buckets + (<usize>bucket << 3), 4) - 1;
}

/** Bucket holding the current key, or -1. */
function findBucket(t: usize, hash: u32): i32 {
  const buckets = <usize>load<u32>(t + H_BUCKETS);
  const arena = <usize>load<u32>(t + H_ARENA);
  const mask = load<u32>(t + H_MASK);
  let i = hash & mask;
  while (true) {
    const b = buckets + (<usize>i << 3);
    const ref = load<u32>(b, 4);
    if (ref == 0) return -1;
    if (load<u32>(b) == hash) {
      const r = arena + <usize>ref - 1;
      if (
        <u32>load<u16>(r, 12) == sessionLength &&
        <u32>load<u16>(r, 14) == keyLength - sessionLength &&
        memory.compare(r + RECORD_HEADER, keyPtr, keyLength) == 0
      ) {
        return <i32>i;
      }
    }
    i = (i + 1) & mask;
  }
}

/** Bucket pointing at the live record at `offset`. */
function bucketOfRecord(t: usize, offset: u32): i32 {
  const r = <usize>load<u32>(t + H_ARENA) + <usize>offset;
  const sLen = <u32>load<u16>(r, 12);
  const hash = hashKey(r + RECORD_HEADER, sLen + <u32>load<u16>(r, 14), sLen, load<u32>(t + H_SEED));
  const buckets = <usize>load<u32>(t + H_BUCKETS);
  const mask = load<u32>(t + H_MASK);
  let i = hash & mask;
  while (load<u32>(buckets + (<usize>i << 3), 4) != offset + 1) i = (i + 1) & mask;
  return <i32>i;
}

function placeBucket(t: usize, hash: u32, offset: u32): void {
  const buckets = <usize>load<u32>(t + H_BUCKETS);
  const mask = load<u32>(t + H_MASK);
  let i = hash & mask;
  while (load<u32>(buckets + (<usize>i << 3), 4) != 0) i = (i + 1) & mask;
  store<u32>(buckets + (<usize>i << 3), hash);
  store<u32>(buckets + (<usize>i << 3), offset + 1, 4);
}

/** Marks the bucket's record dead and closes the gap in its probe run (no tombstones). */
function removeAt(t: usize, bucket: i32): void {
  const r = recordAt(t, bucket);
  const tLen = <u32>load<u16>(r, 14);
  store<u16>(r, <u16>(tLen | DEAD_BIT), 14);
  const size = (RECORD_HEADER + <u32>load<u16>(r, 12) + tLen + 7) & ~7;
  store<u32>(t + H_DEAD_BYTES, load<u32>(t + H_DEAD_BYTES) + size);
  store<u32>(t + H_COUNT, load<u32>(t + H_COUNT) - 1);
  const buckets = <usize>load<u32>(t + H_BUCKETS);
  const mask = load<u32>(t + H_MASK);
  let hole = <u32>bucket;
  let i = (hole + 1) & mask;
  while (true) {
    const b = buckets + (<usize>i << 3);
    const ref = load<u32>(b, 4);
    if (ref == 0) break;
    const home = load<u32>(b) & mask;
    // Move the entry back unless its home lies cyclically in (hole, i].
    if (((i - home) & mask) >= ((i - hole) & mask)) {
      const h = buckets + (<usize>hole << 3);
      store<u32>(h, load<u32>(b));
      store<u32>(h, ref, 4);
      hole = i;
    }
    i = (i + 1) & mask;
  }
  store<u32>(buckets + (<usize>hole << 3), 0, 4);
}

function growBuckets(t: usize): void {
  const oldBuckets = <usize>load<u32>(t + H_BUCKETS);
  const oldCount = load<u32>(t + H_MASK) + 1;
  const count = oldCount * 2;
  const buckets = heap.alloc(<usize>count * 8);
  memory.fill(buckets, 0, <usize>count * 8);
  store<u32>(t + H_BUCKETS, <u32>buckets);
  store<u32>(t + H_MASK, count - 1);
  for (let i: u32 = 0; i < oldCount; i++) {
    const b = oldBuckets + (<usize>i << 3);
    const ref = load<u32>(b, 4);
    if (ref != 0) placeBucket(t, load<u32>(b), ref - 1);
  }
  heap.free(oldBuckets);
}

/** Room for `size` more arena bytes: compacts when half is dead, else doubles. */
function reserveArena(t: usize, size: u32): void {
  const used = load<u32>(t + H_ARENA_USED);
  const capacity = load<u32>(t + H_ARENA_CAPACITY);
  if (used + size <= capacity) return;
  if (load<u32>(t + H_DEAD_BYTES) * 2 >= used) compact(t);
  const needed = load<u32>(t + H_ARENA_USED) + size;
  if (needed <= capacity) return;
  let grown = capacity * 2;
  while (grown < needed) grown *= 2;
  const arena = heap.realloc(<usize>load<u32>(t + H_ARENA), grown);
  store<u32>(t + H_ARENA, <u32>arena);
  store<u32>(t + H_ARENA_CAPACITY, grown);
}

/** Slides live records down over dead ones, then re-points every bucket. */
function compact(t: usize): void {
  const arena = <usize>load<u32>(t + H_ARENA);
  const used = load<u32>(t + H_ARENA_USED);
  let from: u32 = 0;
  let to: u32 = 0;
  while (from < used) {
    const r = arena + <usize>from;
    const tLen = <u32>load<u16>(r, 14);
    const size = (RECORD_HEADER + <u32>load<u16>(r, 12) + (tLen & ~DEAD_BIT) + 7) & ~7;
    if ((tLen & DEAD_BIT) == 0) {
      if (to != from) memory.copy(arena + <usize>to, r, size);
      to += size;
    }
    from += size;
  }
  store<u32>(t + H_ARENA_USED, to);
  store<u32>(t + H_DEAD_BYTES, 0);
  const buckets = <usize>load<u32>(t + H_BUCKETS);
  memory.fill(buckets, 0, (<usize>load<u32>(t + H_MASK) + 1) * 8);
  const seed = load<u32>(t + H_SEED);
  for (let offset: u32 = 0; offset < to;) {
    const r = arena + <usize>offset;
    const sLen = <u32>load<u16>(r, 12);
    const kLen = sLen + <u32>load<u16>(r, 14);
    placeBucket(t, hashKey(r + RECORD_HEADER, kLen, sLen, seed), offset);
    offset += (RECORD_HEADER + kLen + 7) & ~7;
  }
}
