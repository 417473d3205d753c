/**
 * A PTS message too long for one SMS travels in up to 26 (AOSP `SmsSplitter`): each part repeats
 * the preamble with two letters added, `a` + its index and `a` + the last index, then a space
 * and its share of what followed the preamble:
 *
 *     WV12SM7 SI=… MI=…  →  WV12SM7ac SI=… M   WV12SM7bc I=…   WV12SM7cc …
 *
 * Parts may arrive in any order, twice, or never: the assembler keeps them per sender until the
 * message is whole, and gives up on it after a time (see SegmentAssembler).
 */

/** AOSP's limit: the marker has one letter per part. */
export const MAX_PARTS = 26;

/** How an SMS carries text: 8-bit data (bytes of UTF-8), or text in the GSM 7-bit alphabet or,
 * where a character is not in it, UCS-2. */
export type SmsCoding = "8bit" | "text";

/** What one SMS holds: bytes of 8-bit data (after the user data header), or 7-bit characters
 * (UCS-2 characters are fewer: 70 for 160). */
export interface SmsCapacity {
  coding: SmsCoding;
  /** Bytes of an 8-bit SMS, or septets of a 7-bit one. */
  units: number;
}

/** Data SMS with a port-addressing header (7 bytes) leave 133 of the 140; text SMS hold 160. */
export const DATA_SMS: SmsCapacity = { coding: "8bit", units: 133 };
export const TEXT_SMS: SmsCapacity = { coding: "text", units: 160 };

/** The GSM 03.38 default alphabet, and its extension table (two septets each). */
const GSM_BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
  "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM_EXTENDED = "^{}\\[~]|€\f";

/** Whether text goes as 7-bit GSM (else it needs UCS-2). */
export function isGsmText(text: string): boolean {
  for (const ch of text) if (!GSM_BASIC.includes(ch) && !GSM_EXTENDED.includes(ch)) return false;
  return true;
}

/** What each character costs in the SMS `text` will be sent in. */
function costOf(
  capacity: SmsCapacity,
  text: string,
): { limit: number; cost: (ch: string) => number } {
  if (capacity.coding === "8bit") return { limit: capacity.units, cost: utf8Bytes };
  if (isGsmText(text)) {
    return { limit: capacity.units, cost: (ch) => GSM_EXTENDED.includes(ch) ? 2 : 1 };
  }
  // UCS-2: 16 bits a character where 7 bits were counted; a character beyond the BMP takes two.
  return { limit: Math.floor(capacity.units * 7 / 16), cost: (ch) => ch.length };
}

function utf8Bytes(ch: string): number {
  const c = ch.codePointAt(0)!;
  return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
}

/** The cost of `text` in SMS units for `capacity`, and whether it fits one SMS. */
export function smsLength(text: string, capacity: SmsCapacity): { length: number; limit: number } {
  const { limit, cost } = costOf(capacity, text);
  let length = 0;
  for (const ch of text) length += cost(ch);
  return { length, limit };
}

/**
 * Splits a whole PTS message into SMS-sized parts; undefined when it takes more than 26. Parts
 * end at character boundaries (the AOSP splitter cuts bytes, which its assembler puts back the
 * same way, so both read each other).
 */
export function splitPts(message: string, capacity: SmsCapacity): string[] | undefined {
  const { limit, cost } = costOf(capacity, message);
  let whole = 0;
  for (const ch of message) whole += cost(ch);
  if (whole <= limit) return [message];
  const space = message.indexOf(" ");
  if (space === -1) return undefined;
  const preamble = message.slice(0, space);
  // The preamble is ASCII: one unit a character. The marker adds two, the space one.
  const room = limit - preamble.length - 3;
  if (room <= 0) return undefined;
  const chunks: string[] = [];
  let chunk = "";
  let used = 0;
  for (const ch of message.slice(space + 1)) {
    const c = cost(ch);
    if (used + c > room) {
      chunks.push(chunk);
      if (chunks.length >= MAX_PARTS) return undefined;
      chunk = "";
      used = 0;
    }
    chunk += ch;
    used += c;
  }
  chunks.push(chunk);
  const last = String.fromCharCode(97 + chunks.length - 1);
  return chunks.map((c, i) => `${preamble}${String.fromCharCode(97 + i)}${last} ${c}`);
}

/** The preamble of a part, read from its bytes (ASCII up to the first space). */
const PART_PREAMBLE = /^(WV(?:[0-9]{2}|XX)[A-Za-z]{2}[0-9]{1,3})([a-z]{2})?$/;

export type Assembled =
  /** A whole message: one SMS, or the last missing part of several. */
  | { kind: "whole"; bytes: Uint8Array }
  /** A part kept until the others come (or a copy of one already kept). */
  | { kind: "part" }
  /** Not a PTS message or part of one. */
  | { kind: "not-pts" }
  /** A part that cannot be (index beyond its count, too many messages in progress): dropped. */
  | { kind: "refused"; reason: string };

/** A message that did not come whole in time: its preamble, to answer its transaction. */
export interface Incomplete {
  sender: string;
  /** `WV<vv><TT><tid>`, without the marker. */
  preamble: string;
  received: number;
  parts: number;
  /** What the caller said of the first part. */
  tag?: string;
}

export interface AssemblerOptions {
  /** How long the first part waits for the others, ms. */
  timeoutMs: number;
  /** Messages in progress per sender, and in all. */
  perSender: number;
  total: number;
  now?: () => number;
}

interface Pending {
  sender: string;
  preamble: string;
  tag?: string;
  parts: (Uint8Array | undefined)[];
  received: number;
  deadline: number;
}

/**
 * Puts parts back together per sender and transaction (AOSP keys them by transaction id alone;
 * a server hears many phones). Works on bytes: an 8-bit part may end inside a UTF-8 character.
 * Bounded: parts per message (26), messages in progress per sender and in all; what overflows
 * is refused, never kept.
 */
export class SegmentAssembler {
  readonly #pending = new Map<string, Pending>();
  readonly #now: () => number;

  constructor(private readonly options: AssemblerOptions) {
    this.#now = options.now ?? Date.now;
  }

  get inProgress(): number {
    return this.#pending.size;
  }

  /** Takes one SMS from `sender`; `tag` (how it came, say) is given back if it times out. */
  add(sender: string, bytes: Uint8Array, tag?: string): Assembled {
    const space = bytes.indexOf(0x20);
    const head = space === -1 ? bytes : bytes.subarray(0, space);
    if (head.length > 12) return { kind: "not-pts" };
    const m = PART_PREAMBLE.exec(String.fromCharCode(...head));
    if (!m) return { kind: "not-pts" };
    const [, preamble, marker] = m;
    if (!marker) return { kind: "whole", bytes };
    if (space === -1) return { kind: "refused", reason: "a part without content" };
    const index = marker.charCodeAt(0) - 97;
    const count = marker.charCodeAt(1) - 97 + 1;
    if (index >= count) return { kind: "refused", reason: `part ${marker}: index beyond count` };
    if (count < 2) return { kind: "refused", reason: `part ${marker}: a message of one part` };
    const key = `${sender}\n${preamble}`;
    let pending = this.#pending.get(key);
    if (pending && pending.parts.length !== count) {
      // A new message reusing the transaction id, or a confused sender: start over.
      this.#pending.delete(key);
      pending = undefined;
    }
    if (!pending) {
      const ofSender = [...this.#pending.values()].filter((p) => p.sender === sender).length;
      if (ofSender >= this.options.perSender || this.#pending.size >= this.options.total) {
        return { kind: "refused", reason: "too many long messages in progress" };
      }
      pending = {
        sender,
        preamble,
        tag,
        parts: new Array(count).fill(undefined),
        received: 0,
        deadline: this.#now() + this.options.timeoutMs,
      };
      this.#pending.set(key, pending);
    }
    if (pending.parts[index] === undefined) {
      pending.parts[index] = bytes.subarray(space + 1);
      pending.received++;
    }
    if (pending.received < count) return { kind: "part" };
    this.#pending.delete(key);
    const payload = pending.parts as Uint8Array[];
    const size = preamble.length + 1 + payload.reduce((n, p) => n + p.length, 0);
    const whole = new Uint8Array(size);
    whole.set(new TextEncoder().encode(`${preamble} `));
    let at = preamble.length + 1;
    for (const part of payload) {
      whole.set(part, at);
      at += part.length;
    }
    return { kind: "whole", bytes: whole };
  }

  /** Drops the messages whose time ran out and returns them, so that each may be answered. */
  expire(): Incomplete[] {
    const now = this.#now();
    const expired: Incomplete[] = [];
    for (const [key, p] of this.#pending) {
      if (p.deadline > now) continue;
      this.#pending.delete(key);
      expired.push({
        sender: p.sender,
        preamble: p.preamble,
        received: p.received,
        parts: p.parts.length,
        tag: p.tag,
      });
    }
    return expired;
  }
}
