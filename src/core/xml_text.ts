/** Turning token spans into strings: UTF-8 decoding and the references XML allows. */
import { XmlError } from "../codec/xml/tree.ts";

// Strict like the fast-xml-parser reader: invalid UTF-8 and characters XML forbids are refused.
const utf8 = new TextDecoder("utf-8", { fatal: true });
// deno-lint-ignore no-control-regex
const FORBIDDEN_CHAR = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;

/** Up to this length (a namespace URI) a byte loop beats TextDecoder's per-call overhead. */
const SHORT_SPAN = 64;
/** Short ASCII spans recently decoded, in slots chosen by their length and a few of their bytes:
 * element and attribute names and the short values CSP repeats (modes, flags, ids) come back as
 * the same string, found with one comparison, which saves building it a character at a time and
 * most of the garbage a request leaves. A remembered string was checked when it was first
 * decoded; spans that share a slot only replace each other. */
const INTERNED_SLOTS = 1024;
const interned: (string | undefined)[] = new Array(INTERNED_SLOTS).fill(undefined);

/** The UTF-8 text of input[start, end); throws XmlError for bytes XML does not allow. */
export function decodeSpan(input: Uint8Array, start: number, end: number): string {
  const length = end - start;
  if (length > SHORT_SPAN) return decodeUtf8(input, start, end);
  if (length === 0) return "";
  const mix = length ^ (input[start] << 8) ^ (input[start + (length >> 1)] << 16) ^
    (input[end - 1] << 24);
  const slot = Math.imul(mix, 0x9e3779b1) >>> 22; // the top 10 bits: INTERNED_SLOTS
  const known = interned[slot];
  if (known !== undefined && sameAscii(known, input, start, end)) return known;
  for (let i = start; i < end; i++) {
    const c = input[i];
    if (c >= 0x80) return decodeUtf8(input, start, end);
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) {
      throw new XmlError("control character in document", i);
    }
  }
  const text = String.fromCharCode.apply(null, input.subarray(start, end) as unknown as number[]);
  interned[slot] = text;
  return text;
}

function sameAscii(text: string, input: Uint8Array, start: number, end: number): boolean {
  if (text.length !== end - start) return false;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) !== input[start + i]) return false;
  }
  return true;
}

function decodeUtf8(input: Uint8Array, start: number, end: number): string {
  let text: string;
  try {
    text = utf8.decode(input.subarray(start, end));
  } catch {
    throw new XmlError("document is not valid UTF-8", start);
  }
  if (FORBIDDEN_CHAR.test(text)) throw new XmlError("control character in document", start);
  return text;
}

/** Character data: UTF-8 text with line ends normalized to LF (XML 1.0 section 2.11). */
export function decodeText(input: Uint8Array, start: number, end: number): string {
  const text = decodeSpan(input, start, end);
  return text.includes("\r") ? text.replace(/\r\n?/g, "\n") : text;
}

const PREDEFINED: Record<string, string> = { lt: "<", gt: ">", amp: "&", apos: "'", quot: '"' };
const REFERENCE = /&(?:#x([0-9a-fA-F]+)|#([0-9]+)|([a-z]+));/g;

/**
 * Expands the five predefined entities and numeric character references. The tokenizer has
 * already refused anything else, so every match here is valid.
 */
export function expandReferences(text: string): string {
  return text.replace(
    REFERENCE,
    (_, hex: string | undefined, dec: string | undefined, name: string | undefined) => {
      if (name !== undefined) return PREDEFINED[name];
      return String.fromCodePoint(hex !== undefined ? parseInt(hex, 16) : parseInt(dec!, 10));
    },
  );
}
