// Interned spans: the tokenizer gives every element name, attribute name and reference-free
// attribute value it has seen before the same small id, so JS finds the string by the id instead
// of reading the bytes again. A few hundred names make up a CSP message's vocabulary. The table
// is bounded: when it is full, or a span's probe run is long, spans get id 0 and JS decodes their
// bytes as before; a full table starts over before the next document (a new generation, whose
// ids mean other bytes), so names first seen late, or a flood of made-up ones, cannot leave the
// usual ones out for good.

/** Ids given out at most; id 0 means "not interned". */
const MAX_IDS: i32 = 2048;
/** Open-addressing slots holding u16 ids, twice the ids: probe runs stay short. */
const SLOTS: i32 = 4096;
/** Longer spans are not interned (namespace URIs, the longest usual values, are ~50 bytes). */
const MAX_LENGTH: i32 = 96;
/** Probes per lookup at most: names crafted to share a slot cost a bounded amount each. */
const MAX_PROBES: i32 = 8;
const ARENA_BYTES: usize = 65536;

const slotIds: usize = memory.data(SLOTS * 2, 2);
/** Per id: where its bytes start in the arena, and how many there are. */
const spans: usize = memory.data(MAX_IDS * 8, 4);
const arena: usize = memory.data(<i32>ARENA_BYTES);
let arenaUsed: usize = 0;
let nextId: i32 = 1;
let generation: i32 = 0;
/** Hash seed, set once from JS before the first span: slot runs cannot be planned from outside. */
let seed: u32 = 0x811c9dc5;

export function seedNames(value: u32): void {
  if (nextId == 1 && generation == 0) seed = value;
}

/** Starts the table over if it is full; returns the generation the next ids belong to. */
export function renewNamesIfFull(): i32 {
  if (nextId >= MAX_IDS || arenaUsed + <usize>MAX_LENGTH > ARENA_BYTES) {
    memory.fill(slotIds, 0, <usize>SLOTS * 2);
    nextId = 1;
    arenaUsed = 0;
    generation++;
  }
  return generation;
}

/** The id of the `length` bytes at `ptr`, given now if they are new and there is room; or 0. */
export function intern(ptr: usize, length: i32): i32 {
  if (length > MAX_LENGTH) return 0;
  let slot = <i32>hashOf(ptr, length) & (SLOTS - 1);
  for (let probe = 0; probe < MAX_PROBES; probe++) {
    const at = slotIds + (<usize>slot << 1);
    const id = <i32>load<u16>(at);
    if (id == 0) return add(at, ptr, length);
    const span = spans + (<usize>id << 3);
    if (load<u32>(span, 4) == <u32>length && same(arena + <usize>load<u32>(span), ptr, length)) {
      return id;
    }
    slot = (slot + 1) & (SLOTS - 1);
  }
  return 0;
}

function add(at: usize, ptr: usize, length: i32): i32 {
  if (nextId >= MAX_IDS || arenaUsed + <usize>length > ARENA_BYTES) return 0;
  memory.copy(arena + arenaUsed, ptr, <usize>length);
  const span = spans + (<usize>nextId << 3);
  store<u32>(span, <u32>arenaUsed);
  store<u32>(span, <u32>length, 4);
  arenaUsed += <usize>length;
  store<u16>(at, <u16>nextId);
  return nextId++;
}

/** A hash of a span's length and its first, middle and last four bytes: cheap, and a match is
 * confirmed byte for byte anyway. */
function hashOf(ptr: usize, length: i32): u32 {
  let h = (seed ^ <u32>length) * 0x9e3779b1;
  if (length >= 4) {
    h = (h ^ load<u32>(ptr)) * 0x85ebca6b;
    h = (h ^ load<u32>(ptr + <usize>(length >> 1) - 2)) * 0xc2b2ae35;
    h = (h ^ load<u32>(ptr + <usize>length - 4)) * 0x27d4eb2f;
  } else {
    for (let i = 0; i < length; i++) h = (h ^ <u32>load<u8>(ptr + <usize>i)) * 0x01000193;
  }
  return h ^ (h >> 16);
}

/** Whether `length` bytes at `a` and `b` are the same, eight at a time. */
function same(a: usize, b: usize, length: i32): bool {
  let n = length;
  for (; n >= 8; n -= 8, a += 8, b += 8) if (load<u64>(a) != load<u64>(b)) return false;
  for (; n > 0; n--, a++, b++) if (load<u8>(a) != load<u8>(b)) return false;
  return true;
}
