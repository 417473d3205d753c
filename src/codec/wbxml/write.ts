/**
 * WBXML output for one CSP version, element by element (the ElementWriter the CSP encoder writes
 * through). As AOSP's encoder and Baraza do: WBXML 1.3, the version's public id (0x10, 0x11,
 * 0x12), UTF-8, tags the version's table has as tokens with code page switches where needed,
 * others as LITERAL from the string table; `xmlns` as its attribute token with the version as an
 * inline string; the version's integers as OPAQUE (1–4 bytes, big-endian), dates with a time
 * zone letter as 6 OPAQUE bytes, whole values the version has a token for as EXT_T_0, other text
 * inline.
 */
import type { CspVersion } from "../csp/message.ts";
import type { ElementWriter } from "../xml/write.ts";
import {
  DATE_TIMES,
  GROUP_ID_OR_HISTORY,
  INTEGERS,
  PUBLIC_IDS,
  TAG_CODES,
  VALUE_TOKENS,
  XMLNS_PREFIXES,
} from "./tables.ts";

const SWITCH_PAGE = 0x00, END = 0x01, STR_I = 0x03, LITERAL = 0x04;
const EXT_T_0 = 0x80, OPAQUE = 0xc3;
const TAG_ATTRIBUTES = 0x80, TAG_CONTENT = 0x40;
const WBXML_1_3 = 0x03, UTF_8 = 0x6a;

const CANONICAL_INTEGER = /^(?:0|[1-9][0-9]{0,9})$/;
const BASIC_DATE_TIME = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})([A-IK-Z])$/;

const utf8 = new TextEncoder();

/** No value token is longer (application/vnd.wap.mms-message): longer text needs no lookup. */
const LONGEST_VALUE_TOKEN = 31;

/** What writing an element needs to know of its name, found with one lookup. */
interface ElementSpec {
  readonly name: string;
  /** Code page << 6 | token, or -1 for a LITERAL. */
  readonly code: number;
  /** Content as an OPAQUE integer, date, or neither. */
  readonly content: "integer" | "date" | "text";
  /** A Name: where 0x3D reads as History, so GROUP_ID goes inline. */
  readonly isName: boolean;
}

/** The specs of every element name the tables know, per version. */
const SPECS: Readonly<Record<CspVersion, ReadonlyMap<string, ElementSpec>>> = (() => {
  const specs = {} as Record<CspVersion, Map<string, ElementSpec>>;
  for (const version of ["1.1", "1.2", "1.3"] as const) {
    const names = new Set([...TAG_CODES[version].keys(), ...INTEGERS[version], ...DATE_TIMES]);
    specs[version] = new Map([...names].map((name) => [name, specOf(name, version)]));
  }
  return specs;
})();

function specOf(name: string, version: CspVersion): ElementSpec {
  return {
    name,
    code: TAG_CODES[version].get(name) ?? -1,
    content: INTEGERS[version].has(name) ? "integer" : DATE_TIMES.has(name) ? "date" : "text",
    isName: name === "Name",
  };
}

/** A buffer the writers share while one is not in use (encoding is synchronous), so that most
 * messages are written without growing a buffer of their own. */
let spare: Uint8Array | undefined = new Uint8Array(16 * 1024);

export class WbxmlWriter implements ElementWriter {
  private out: Uint8Array;
  private length = 0;
  private page = 0;
  /** The open elements: text is written for the innermost. */
  private readonly open_: ElementSpec[] = [];
  /** LITERAL names, each stored once, by offset. */
  private readonly strings = new Map<string, number>();
  private tableLength = 0;
  private readonly specs: ReadonlyMap<string, ElementSpec>;
  private readonly values: ReadonlyMap<string, number>;

  constructor(readonly version: CspVersion) {
    this.specs = SPECS[version];
    this.values = VALUE_TOKENS[version];
    this.out = spare ?? new Uint8Array(1024);
    spare = undefined;
  }

  open(name: string, attrs?: Record<string, string>): this {
    this.open_.push(this.tag(name, attrs, TAG_CONTENT));
    return this;
  }

  close(_name: string): this {
    this.byte(END);
    this.open_.pop();
    return this;
  }

  empty(name: string, attrs?: Record<string, string>): this {
    this.tag(name, attrs, 0);
    return this;
  }

  text(text: string): this {
    const spec = this.open_[this.open_.length - 1];
    if (text !== "" && spec) this.value(spec, text);
    return this;
  }

  leaf(name: string, text: string, attrs?: Record<string, string>): this {
    if (text === "") return this.empty(name, attrs);
    this.value(this.tag(name, attrs, TAG_CONTENT), text);
    this.byte(END);
    return this;
  }

  /** The document: header, string table, body. The writer is done with after this. */
  finish(): Uint8Array<ArrayBuffer> {
    const header: number[] = [WBXML_1_3];
    mbInto(header, PUBLIC_IDS[this.version]);
    mbInto(header, UTF_8);
    mbInto(header, this.tableLength);
    const doc = new Uint8Array(header.length + this.tableLength + this.length);
    doc.set(header);
    let at = header.length;
    for (const name of this.strings.keys()) {
      at += utf8.encodeInto(name, doc.subarray(at)).written + 1; // and its terminator (0)
    }
    doc.set(this.out.subarray(0, this.length), at);
    if (this.out.length <= 64 * 1024) spare = this.out;
    this.out = new Uint8Array(0);
    this.length = 0;
    return doc;
  }

  private tag(
    name: string,
    attrs: Record<string, string> | undefined,
    content: number,
  ): ElementSpec {
    const spec = this.specs.get(name) ?? specOf(name, this.version);
    let flags = content;
    if (attrs !== undefined) {
      for (const _ in attrs) {
        flags |= TAG_ATTRIBUTES;
        break;
      }
    }
    if (spec.code < 0) {
      this.byte(LITERAL | flags);
      this.mb(this.stringIndex(name));
    } else {
      const page = spec.code >>> 6;
      if (page !== this.page) {
        this.byte(SWITCH_PAGE);
        this.byte(page);
        this.page = page;
      }
      this.byte((spec.code & 0x3f) | flags);
    }
    if ((flags & TAG_ATTRIBUTES) !== 0) {
      for (const attr of Object.keys(attrs!)) this.attribute(attr, attrs![attr]);
      this.byte(END);
    }
    return spec;
  }

  /** `xmlns` as the token of the longest namespace prefix it starts with; others as LITERAL. */
  private attribute(name: string, value: string): void {
    if (name === "xmlns") {
      let token = 0, prefixLength = 0;
      XMLNS_PREFIXES.forEach((prefix, t) => {
        if (prefix !== undefined && prefix.length > prefixLength && value.startsWith(prefix)) {
          token = t;
          prefixLength = prefix.length;
        }
      });
      if (token !== 0) {
        this.byte(token);
        if (value.length > prefixLength) this.string(value.slice(prefixLength));
        return;
      }
    }
    this.byte(LITERAL);
    this.mb(this.stringIndex(name));
    if (value !== "") this.string(value);
  }

  private value(spec: ElementSpec, text: string): void {
    if (spec.content === "integer" && CANONICAL_INTEGER.test(text)) {
      const n = Number(text);
      if (n <= 0xffffffff) {
        this.opaqueInteger(n);
        return;
      }
    } else if (spec.content === "date") {
      const date = BASIC_DATE_TIME.exec(text);
      if (date && this.opaqueDate(date)) return;
    }
    const token = text.length <= LONGEST_VALUE_TOKEN ? this.values.get(text) : undefined;
    // In a Name, 0x3D reads as History: GROUP_ID goes inline there.
    if (token !== undefined && !(token === GROUP_ID_OR_HISTORY && spec.isName)) {
      this.byte(EXT_T_0);
      this.mb(token);
      return;
    }
    this.string(text);
  }

  /** Minimal big-endian bytes; 0 as one zero byte, as AOSP writes it. */
  private opaqueInteger(n: number): void {
    const length = n > 0xffffff ? 4 : n > 0xffff ? 3 : n > 0xff ? 2 : 1;
    this.byte(OPAQUE);
    this.byte(length);
    for (let i = length - 1; i >= 0; i--) this.byte(Math.floor(n / 2 ** (8 * i)) & 0xff);
  }

  /** The 6-byte form (digest §6.3), when the fields fit it; false leaves the text inline. */
  private opaqueDate(date: RegExpExecArray): boolean {
    const [year, month, day, hour, minute, second] = date.slice(1, 7).map(Number);
    if (
      month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59
    ) {
      return false;
    }
    // 40 bits: more than int32 arithmetic holds, exact in a double.
    let bits = year * 2 ** 26 + month * 2 ** 22 + day * 2 ** 17 + hour * 2 ** 12;
    bits += minute * 2 ** 6 + second;
    this.byte(OPAQUE);
    this.byte(6);
    for (let i = 4; i >= 0; i--) this.byte(Math.floor(bits / 2 ** (8 * i)) & 0xff);
    this.byte(date[7].charCodeAt(0));
    return true;
  }

  /** STR_I: the text in UTF-8 and its terminator. */
  private string(text: string): void {
    this.reserve(text.length * 3 + 2);
    const out = this.out;
    let at = this.length;
    out[at++] = STR_I;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) {
        at += utf8.encodeInto(text.slice(i), out.subarray(at)).written;
        break;
      }
      out[at++] = c;
    }
    out[at++] = 0;
    this.length = at;
  }

  private stringIndex(name: string): number {
    let offset = this.strings.get(name);
    if (offset === undefined) {
      offset = this.tableLength;
      this.strings.set(name, offset);
      this.tableLength += utf8.encode(name).length + 1;
    }
    return offset;
  }

  private mb(value: number): void {
    if (value < 0x80) {
      this.byte(value);
      return;
    }
    const bytes: number[] = [];
    mbInto(bytes, value);
    for (const b of bytes) this.byte(b);
  }

  private byte(b: number): void {
    if (this.length === this.out.length) this.reserve(1);
    this.out[this.length++] = b;
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.out.length) return;
    const grown = new Uint8Array(Math.max(this.out.length * 2, this.length + bytes));
    grown.set(this.out.subarray(0, this.length));
    this.out = grown;
  }
}

/** Appends `value` as an mb_u_int32: 7 bits a byte, most significant first. */
function mbInto(out: number[], value: number): void {
  let shift = 28;
  while (shift > 0 && Math.floor(value / 2 ** shift) === 0) shift -= 7;
  for (; shift > 0; shift -= 7) out.push((Math.floor(value / 2 ** shift) & 0x7f) | 0x80);
  out.push(value & 0x7f);
}
