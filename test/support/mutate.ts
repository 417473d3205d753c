/**
 * Structural mutations of XML messages, for tests that send hostile variants of real requests:
 * elements dropped, doubled, renamed, moved in from other messages, values and attributes replaced
 * by awkward ones. Either every single-point mutation of a message, or random ones from a seed (the
 * same seed gives the same messages, so a failure can be replayed). Binary (WBXML) messages get
 * byte-level damage and the constructs that break WBXML readers.
 */

/** Values that have broken servers: empty, huge, out of range, of another type, other domains. */
const AWKWARD_VALUES = [
  "",
  "  ",
  "-1",
  "0",
  "1.5",
  "99999999999999999999",
  "1e309",
  "NaN",
  "x".repeat(5_000),
  // Past Deno KV's limits: a key (2 KiB) and a value (64 KiB), in ASCII and in 2-byte UTF-8.
  "k".repeat(2_100),
  "\u00e9".repeat(1_100),
  "v".repeat(70_000),
  "\u00e9\u{1F600}",
  "&amp;&lt;",
  "T",
  "F",
  "Yes",
  "wv:",
  "wv:@example.com",
  "wv:*@example.com",
  "wv:bob@example.com",
  "wv:bob@other.test",
  "wv:bob/group@example.com",
  "bob@example.com",
  "2026-13-45T99:99:99Z",
  "text/plain",
  "base64",
  "====",
  "Request",
  "200",
];

interface Span {
  start: number;
  innerStart: number;
  innerEnd: number;
  end: number;
}

/**
 * WBXML pieces that have broken readers: mb_u_int32 longer than 5 bytes or past 32 bits, OPAQUE
 * and string-table references past the end, an unknown code page and value token, an invalid
 * ENTITY, a LITERAL name, an unterminated string, deep nesting, END with nothing open.
 */
const HOSTILE_WBXML: number[][] = [
  [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
  [0xc3, 0x8f, 0xff, 0xff, 0xff, 0x7f],
  [0xc3, 0x90, 0x80, 0x80, 0x80, 0x00],
  [0x83, 0x8f, 0xff, 0xff, 0xff, 0x7f],
  [0x83, 0x00],
  [0x00, 0x0c, 0x45, 0x01],
  [0x00, 0xff],
  [0x80, 0x81, 0x12],
  [0x80, 0x8f, 0xff, 0xff, 0xff, 0x7f],
  [0x02, 0x00],
  [0x02, 0x8f, 0xff, 0xff, 0xff, 0x7f],
  [0x44, 0x00, 0x01],
  [0x03, 0x41, 0x42],
  [0xc3, 0x06, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  [0xc3, 0x05, 0x01, 0x02, 0x03, 0x04, 0x05],
  new Array(200).fill(0x6d),
  [0x01, 0x01, 0x01],
  [0x43, 0x05, 0x01],
  [0xc4, 0x00, 0x05, 0x01, 0x01],
];

/** Where each element of a simple document (no comments, CDATA or `>` in attributes) lies. */
function elements(xml: string): Span[] {
  const spans: Span[] = [];
  const open: { start: number; innerStart: number }[] = [];
  for (const m of xml.matchAll(/<(\/?)[A-Za-z][\w-]*[^>]*?(\/?)>/g)) {
    const end = m.index + m[0].length;
    if (m[1]) {
      const top = open.pop();
      if (top) spans.push({ ...top, innerEnd: m.index, end });
    } else if (m[2]) spans.push({ start: m.index, innerStart: end, innerEnd: end, end });
    else open.push({ start: m.index, innerStart: end });
  }
  return spans;
}

export class Mutator {
  #state: number;
  readonly #names: string[];

  /** `corpus`: the messages whose element names and parts mutations borrow. */
  constructor(seed: number, readonly corpus: string[]) {
    this.#state = seed;
    this.#names = [...new Set(corpus.flatMap((x) => [...x.matchAll(/<([A-Za-z][\w-]*)/g)]))]
      .map((m) => m[1]);
  }

  /** A linear congruential generator: enough for picking, and reproducible. */
  random(): number {
    this.#state = (this.#state * 1103515245 + 12345) & 0x7fffffff;
    return this.#state / 0x80000000;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.random() * xs.length)];
  }

  /**
   * Every single-point mutation of `xml`: each element dropped and doubled, each attribute and each
   * leaf element's content replaced by each awkward value.
   */
  *variants(xml: string): Generator<string> {
    for (const s of elements(xml)) {
      if (s.start === 0) continue;
      yield xml.slice(0, s.start) + xml.slice(s.end);
      yield xml.slice(0, s.end) + xml.slice(s.start, s.end) + xml.slice(s.end);
      if (xml.slice(s.innerStart, s.innerEnd).includes("<")) continue;
      for (const value of AWKWARD_VALUES) {
        yield xml.slice(0, s.innerStart) + value.replaceAll("<", "&lt;") + xml.slice(s.innerEnd);
      }
    }
    for (const a of xml.matchAll(/(\w+)="[^"]*"/g)) {
      for (const value of AWKWARD_VALUES) {
        yield `${xml.slice(0, a.index)}${a[1]}="${value}"${xml.slice(a.index + a[0].length)}`;
      }
    }
  }

  /** One to three kinds of damage to a binary message: bytes changed, cut, inserted or dropped,
   * hostile WBXML constructs put in. */
  mutateBytes(input: Uint8Array): Uint8Array<ArrayBuffer> {
    let bytes = [...input];
    const count = 1 + Math.floor(this.random() * 3);
    for (let i = 0; i < count && bytes.length > 0; i++) {
      const at = Math.floor(this.random() * bytes.length);
      switch (Math.floor(this.random() * 5)) {
        case 0:
          bytes[at] = Math.floor(this.random() * 256);
          break;
        case 1:
          bytes = bytes.slice(0, at);
          break;
        case 2:
          bytes.splice(at, 1);
          break;
        case 3:
          bytes.splice(at, 0, Math.floor(this.random() * 256));
          break;
        default:
          bytes.splice(at, 0, ...this.pick(HOSTILE_WBXML));
      }
    }
    return Uint8Array.from(bytes);
  }

  /** One to three mutations of `xml`; the result may be malformed, as hostile input may. */
  mutate(xml: string): string {
    const count = 1 + Math.floor(this.random() * 3);
    for (let i = 0; i < count; i++) xml = this.#once(xml);
    return xml;
  }

  #once(xml: string): string {
    const value = this.pick(AWKWARD_VALUES).replaceAll("<", "&lt;");
    const kind = Math.floor(this.random() * 7);
    if (kind === 0) {
      const attrs = [...xml.matchAll(/(\w+)="[^"]*"/g)];
      if (attrs.length === 0) return xml;
      const a = this.pick(attrs);
      return `${xml.slice(0, a.index)}${a[1]}="${value}"${xml.slice(a.index + a[0].length)}`;
    }
    const spans = elements(xml);
    if (spans.length === 0) return xml;
    const s = this.pick(spans);
    const name = this.pick(this.#names);
    switch (kind) {
      case 1: // dropped
        return xml.slice(0, s.start) + xml.slice(s.end);
      case 2: // doubled
        return xml.slice(0, s.end) + xml.slice(s.start, s.end) + xml.slice(s.end);
      case 3: // content replaced by a value
        return xml.slice(0, s.innerStart) + value + xml.slice(s.innerEnd);
      case 4: // renamed
        return `${xml.slice(0, s.start)}<${name}>${xml.slice(s.innerStart, s.innerEnd)}</${name}>` +
          xml.slice(s.end);
      case 5: { // content replaced by an element of another message
        const other = this.pick(this.corpus);
        const o = this.pick(elements(other));
        return o
          ? xml.slice(0, s.innerStart) + other.slice(o.start, o.end) + xml.slice(s.innerEnd)
          : xml;
      }
      default: // an unexpected child added
        return `${xml.slice(0, s.innerEnd)}<${name}>${value}</${name}>${xml.slice(s.innerEnd)}`;
    }
  }
}
