/**
 * The text syntax of the CSP SMS binding (WV-046, "PTS"; digest §5.3, read from the Android
 * engine's PtsPrimitiveParser/Serializer, the only public description): one primitive per
 * message,
 *
 *     WV<vv><TT><tid>[<seg>] NAME=value NAME=value ...
 *
 * `vv` the version (`11`, `12`, `13`, `XX` for version discovery), `TT` a two-letter transaction
 * code (any case), `tid` the transaction id 0–999, `seg` two lower-case letters when the message
 * is one part of several (see segments.ts). A value is a string, quoted (`"…"`, `""` for a quote)
 * when it holds a space, `"`, `,`, `(`, `)`, `=` or `&`, or a group `(v,v,…)` of values.
 *
 * This module knows nothing of elements: it turns text into names and values and back.
 */

/** A parameter value: a string, or a group of values. */
export type PtsValue = string | PtsValue[];

export type PtsVersion = "11" | "12" | "13" | "XX";

/** One PTS message, read but not yet interpreted. */
export interface PtsText {
  version: PtsVersion;
  /** The transaction code, upper case. */
  code: string;
  /** The transaction id as written (0–999). */
  transactionId: string;
  /** `NAME=value` pairs in order; a name may repeat. */
  params: [name: string, value: PtsValue][];
}

/** Bounds on what a message may make the reader build. */
export interface PtsLimits {
  /** Characters of the whole message. */
  maxLength: number;
  /** Groups inside groups. */
  maxDepth: number;
  /** Values and groups in all. */
  maxValues: number;
}

export const DEFAULT_PTS_LIMITS: PtsLimits = {
  maxLength: 64 * 1024,
  maxDepth: 16,
  maxValues: 8192,
};

/**
 * Text that is not a PTS message; `offset` is the character where reading stopped, `status` the
 * CSP code to answer with where the preamble could be read (505 for a version not spoken).
 */
export class PtsSyntaxError extends Error {
  constructor(message: string, readonly offset: number, readonly status: 400 | 505 = 400) {
    super(message);
    this.name = "PtsSyntaxError";
  }
}

/**
 * The preamble, as the Android engine matches it: version, code, transaction id, and the segment
 * marker, which a whole message no longer carries. Leading zeros are taken as written.
 */
export const PREAMBLE = /^WV([0-9]{2}|XX)([A-Za-z]{2})([0-9]{1,3})([a-z]{2})?(?= |$)/;

const VERSIONS = new Set(["11", "12", "13", "XX"]);
/** Names as the Android engine writes them (two letters) or as this server writes element names
 * that have no code. */
const NAME = /[A-Za-z][A-Za-z0-9_.-]*/y;
/** Characters that force quoting (the serializer's rule), plus those no unquoted value can hold:
 * line breaks and other control characters, which SMS carry but a reader might strip. */
// deno-lint-ignore no-control-regex
const NEEDS_QUOTES = /[ ",()=&\x00-\x1f\x7f]/;

/** Reads one whole message (no segment marker). */
export function parsePts(text: string, limits: PtsLimits = DEFAULT_PTS_LIMITS): PtsText {
  if (text.length > limits.maxLength) {
    throw new PtsSyntaxError(`message longer than ${limits.maxLength} characters`, 0);
  }
  const m = PREAMBLE.exec(text);
  if (!m) throw new PtsSyntaxError("no PTS preamble (WV<version><code><transaction id>)", 0);
  const [preamble, version, code, transactionId, segment] = m;
  if (!VERSIONS.has(version)) throw new PtsSyntaxError(`unknown version "${version}"`, 2, 505);
  if (segment !== undefined) {
    throw new PtsSyntaxError("a segment of a longer message, not a whole one", preamble.length - 2);
  }
  const reader = new Reader(text, preamble.length, limits);
  return {
    version: version as PtsVersion,
    code: code.toUpperCase(),
    transactionId,
    params: reader.params(),
  };
}

class Reader {
  #values = 0;

  constructor(readonly text: string, public pos: number, readonly limits: PtsLimits) {}

  params(): [string, PtsValue][] {
    const params: [string, PtsValue][] = [];
    const { text } = this;
    while (this.pos < text.length) {
      if (text[this.pos] !== " ") this.fail("expected a space before the next parameter");
      // Tolerated: several spaces, and spaces (or a line break) at the end.
      while (this.pos < text.length && /\s/.test(text[this.pos])) this.pos++;
      if (this.pos === text.length) break;
      NAME.lastIndex = this.pos;
      const name = NAME.exec(text)?.[0];
      if (!name) this.fail("expected a parameter name");
      this.pos += name.length;
      if (text[this.pos] !== "=") this.fail(`parameter ${name} has no value`);
      this.pos++;
      params.push([name, this.value(0, false)]);
    }
    return params;
  }

  /** A value; inside a group an unquoted value may hold spaces (the Android engine writes
   * presence values without quoting them). */
  value(depth: number, inGroup: boolean): PtsValue {
    if (++this.#values > this.limits.maxValues) this.fail("too many values");
    const { text } = this;
    if (this.pos >= text.length) this.fail("missing value");
    const c = text[this.pos];
    if (c === "(") {
      if (depth >= this.limits.maxDepth) this.fail("groups nested too deep");
      this.pos++;
      const group: PtsValue[] = [];
      for (;;) {
        group.push(this.value(depth + 1, true));
        if (this.pos >= text.length) this.fail("unterminated group");
        const next = text[this.pos++];
        if (next === ")") return group;
        if (next !== ",") this.fail(`expected "," or ")", got "${next}"`, this.pos - 1);
      }
    }
    if (c === '"') return this.quoted();
    const start = this.pos;
    while (this.pos < text.length) {
      const ch = text[this.pos];
      if (ch === "," || ch === ")") {
        if (!inGroup) this.fail(`"${ch}" outside a group must be quoted`);
        break;
      }
      if (ch === " " && !inGroup) break;
      if (ch === '"' || ch === "(" || ch === "=" || ch === "&") {
        this.fail(`special character "${ch}" must be quoted`);
      }
      this.pos++;
    }
    const value = text.slice(start, this.pos);
    return inGroup ? value.trim() : value;
  }

  quoted(): string {
    const { text } = this;
    let out = "";
    let from = ++this.pos;
    for (;;) {
      const quote = text.indexOf('"', from);
      if (quote === -1) this.fail("unterminated quoted value", this.pos - 1);
      out += text.slice(from, quote);
      if (text[quote + 1] === '"') {
        out += '"';
        from = quote + 2;
        continue;
      }
      this.pos = quote + 1;
      return out;
    }
  }

  fail(message: string, offset = this.pos): never {
    throw new PtsSyntaxError(message, offset);
  }
}

/** Writes a message; names and values are written as given, values quoted where needed. */
export function writePts(message: PtsText): string {
  let out = `WV${message.version}${message.code}${message.transactionId}`;
  for (const [name, value] of message.params) out += ` ${name}=${writeValue(value)}`;
  return out;
}

export function writeValue(value: PtsValue): string {
  if (typeof value === "string") return quote(value);
  return `(${value.map(writeValue).join(",")})`;
}

/** A string as a value: quoted (inner quotes doubled) when it must be, and when empty. */
export function quote(text: string): string {
  if (text !== "" && !NEEDS_QUOTES.test(text)) return text;
  return `"${text.replaceAll('"', '""')}"`;
}
