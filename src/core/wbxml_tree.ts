/**
 * WBXML → the element tree the XML readers produce (`XmlElement`), so the CSP codec and every
 * service element read a WBXML message exactly as they read its XML form. The tokenizer
 * (WebAssembly or TypeScript) checks the structure; this gives the tokens their CSP meaning from
 * the tables of `codec/wbxml`:
 * tag and value names by version, OPAQUE integers as decimals, OPAQUE dates as ISO 8601 basic
 * format, OPAQUE message content as Base64 with its ContentEncoding set to BASE64 (the form an
 * XML client sends binary content in), strings decoded from the document's charset.
 *
 * What XML refuses, this refuses too: control characters, invalid text in the charset, names that
 * are not XML names, duplicate attributes. The root gets the `xmlns` of its version when the
 * document leaves it out (libwbxml's encoder never writes one): from the public id, else the
 * version of the content type it came with.
 */
import { Buffer } from "node:buffer";
import type { CspVersion } from "../codec/csp/message.ts";
import { NAMESPACES, versionFromNamespace } from "../codec/csp/versions.ts";
import { WbxmlError, type WbxmlTreeSource } from "../codec/wbxml/tree.ts";
import { type XmlElement, XmlError } from "../codec/xml/tree.ts";
import { decodeSpan } from "./xml_text.ts";
import {
  CHARSET_ISO_8859_1,
  CHARSET_US_ASCII,
  charsetWidth,
  WB_ATTR,
  WB_ATTR_END,
  WB_ATTR_LITERAL,
  WB_AUX_SHIFT,
  WB_CLOSE,
  WB_ENTITY,
  WB_EXT,
  WB_KIND_MASK,
  WB_OPEN,
  WB_OPEN_LITERAL,
  WB_STRING,
  WB_TOKEN_WORDS,
  WBERR_TOO_LARGE,
  WBXML_ERROR_MESSAGES,
  type WbxmlTokenizer,
  type WbxmlTokens,
} from "./wbxml_tokens.ts";
import {
  BINARY_CONTENT,
  DATE_TIMES,
  GROUP_ID_OR_HISTORY,
  OPAQUE_INTEGERS,
  TAG_NAMES,
  VALUE_NAMES,
  versionOfPublicId,
  XMLNS_PREFIXES,
} from "../codec/wbxml/tables.ts";

/** A WbxmlTreeSource reading through `tokenizer` (a core's, WebAssembly or TypeScript). */
export function wbxmlTreeSource(tokenizer: WbxmlTokenizer): WbxmlTreeSource {
  return (input, limits, defaultVersion) => {
    if (input.length > limits.maxBytes) {
      throw new WbxmlError(WBXML_ERROR_MESSAGES[WBERR_TOO_LARGE], limits.maxBytes);
    }
    const tokens = tokenizer.tokenize(input, limits.maxDepth, limits.maxElements);
    if (tokens.errorCode !== 0) {
      throw new WbxmlError(WBXML_ERROR_MESSAGES[tokens.errorCode], tokens.errorOffset);
    }
    return new TreeReader(input, tokens, defaultVersion, limits.maxBytes).read();
  };
}

// deno-lint-ignore no-control-regex
const FORBIDDEN_CHAR = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;
const XML_NAME = /^[\p{L}_:][\p{L}\p{M}\p{N}._:\-\u00B7]*$/u;
const utf16 = new TextDecoder("utf-16be", { fatal: true });

/** Shared by the many elements without attributes or children, as in the XML trees. */
const NO_ATTRS: Record<string, string> = Object.freeze({}) as Record<string, string>;
const NO_CHILDREN: XmlElement[] = Object.freeze([]) as unknown as XmlElement[];

class TreeReader {
  private readonly width: number;
  /** The version given by the public id or, failing that, the content type. */
  private readonly documentVersion?: CspVersion;
  /** Settled once the root's attributes are read: its xmlns wins over the public id. */
  private version?: CspVersion;
  private tagNames: readonly (string | undefined)[];
  private valueNames: readonly (string | undefined)[];
  private readonly stack: XmlElement[] = [];
  private current?: XmlElement;
  private root?: XmlElement;
  /** The attribute being read: its name, and its value so far. */
  private attrName?: string;
  private attrValue = "";
  private attrOffset = 0;
  /** OPAQUE message content by element, and where the content's ContentEncoding goes. */
  private binary?: Map<XmlElement, Uint8Array[]>;
  private readonly binaryParents: XmlElement[] = [];

  constructor(
    private readonly input: Uint8Array,
    private readonly t: WbxmlTokens,
    defaultVersion: CspVersion | undefined,
    /** Bytes of strings and OPAQUE data the tree may take in all: string-table references are
     * two bytes each, and would otherwise let a small document expand without bound. */
    private budget: number,
  ) {
    this.width = charsetWidth(t.charset);
    const publicIdText = t.publicIdStart < 0
      ? undefined
      : this.decodeString(t.publicIdStart, t.publicIdEnd);
    this.documentVersion = versionOfPublicId(t.publicId >>> 0, publicIdText) ?? defaultVersion;
    this.tagNames = TAG_NAMES[this.documentVersion ?? "1.2"];
    this.valueNames = VALUE_NAMES[this.documentVersion ?? "1.2"];
  }

  read(): XmlElement {
    const tokens = this.t.tokens, end = this.t.count * WB_TOKEN_WORDS;
    for (let w = 0; w < end; w += WB_TOKEN_WORDS) {
      const word = tokens[w], a = tokens[w + 1], b = tokens[w + 2];
      switch (word & WB_KIND_MASK) {
        case WB_OPEN:
          this.open(this.tagName(word >>> WB_AUX_SHIFT, a));
          break;
        case WB_OPEN_LITERAL:
          this.open(this.literalName(a, b));
          break;
        case WB_ATTR:
          this.endAttribute();
          this.startAttribute(word >>> WB_AUX_SHIFT, a);
          break;
        case WB_ATTR_LITERAL:
          this.endAttribute();
          this.attrName = this.literalName(a, b);
          this.attrValue = "";
          this.attrOffset = a;
          break;
        case WB_ATTR_END:
          this.endAttribute();
          if (this.stack.length === 0) this.settleVersion();
          break;
        case WB_CLOSE:
          this.close();
          break;
        default:
          this.part(word & WB_KIND_MASK, a, b);
      }
    }
    this.settleVersion();
    for (const parent of this.binaryParents) markBase64(parent);
    return this.root!;
  }

  private open(name: string): void {
    if (this.current) this.settleVersion();
    const element: XmlElement = { name, attrs: NO_ATTRS, children: NO_CHILDREN, text: "" };
    const parent = this.current;
    if (parent) {
      if (parent.children === NO_CHILDREN) parent.children = [element];
      else parent.children.push(element);
      this.stack.push(parent);
    } else {
      this.root = element;
    }
    this.current = element;
  }

  private close(): void {
    const element = this.current!;
    const content = this.binary?.get(element);
    if (content) {
      element.text = Buffer.concat(content).toString("base64");
      this.binary!.delete(element);
      if (this.stack.length > 0) this.binaryParents.push(this.stack[this.stack.length - 1]);
    }
    this.current = this.stack.pop();
  }

  /** The version and names to read the rest with, once the root's xmlns is known. */
  private settleVersion(): void {
    if (this.version !== undefined || !this.root) return;
    const declared = this.root.attrs.xmlns;
    const version = (declared !== undefined ? versionFromNamespace(declared) : undefined) ??
      this.documentVersion;
    if (version === undefined) return;
    this.version = version;
    this.tagNames = TAG_NAMES[version];
    this.valueNames = VALUE_NAMES[version];
    if (declared === undefined && this.root.name === "WV-CSP-Message") {
      this.root.attrs = { xmlns: NAMESPACES[version].csp };
    }
  }

  private tagName(code: number, offset: number): string {
    const name = this.tagNames[code];
    if (name === undefined) {
      throw new WbxmlError(
        `unknown tag 0x${hex(code & 0x3f)} on code page 0x${hex(code >>> 6)}`,
        offset,
      );
    }
    return name;
  }

  private literalName(start: number, end: number): string {
    const name = this.decodeString(start, end);
    if (!XML_NAME.test(name)) throw new WbxmlError("LITERAL name is not an XML name", start);
    return name;
  }

  private startAttribute(code: number, offset: number): void {
    const prefix = code < XMLNS_PREFIXES.length ? XMLNS_PREFIXES[code] : undefined;
    if (prefix === undefined) {
      throw new WbxmlError(
        `unknown attribute 0x${hex(code & 0xff)} on code page 0x${hex(code >>> 8)}`,
        offset,
      );
    }
    this.attrName = "xmlns";
    this.attrValue = prefix;
    this.attrOffset = offset;
  }

  private endAttribute(): void {
    const name = this.attrName;
    if (name === undefined) return;
    this.attrName = undefined;
    const element = this.current!;
    if (element.attrs === NO_ATTRS) element.attrs = {};
    if (Object.hasOwn(element.attrs, name)) {
      throw new WbxmlError(`duplicate attribute ${name}`, this.attrOffset);
    }
    // An attribute named __proto__ must become an own property.
    Object.defineProperty(element.attrs, name, {
      value: this.attrValue,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }

  /** A string, EXT_T_0, ENTITY or OPAQUE: part of an attribute value or of an element's text. */
  private part(kind: number, a: number, b: number): void {
    if (kind !== WB_EXT && kind !== WB_ENTITY) { // a string or OPAQUE: the span a..b
      this.budget -= b - a;
      if (this.budget < 0) throw new WbxmlError("strings expand past maxBytes", a);
    }
    const inAttribute = this.attrName !== undefined;
    const element = this.current!;
    let text: string;
    switch (kind) {
      case WB_STRING:
        text = this.decodeString(a, b);
        break;
      case WB_EXT:
        text = this.valueName(a >>> 0, b, inAttribute ? "" : element.name);
        break;
      case WB_ENTITY:
        text = entity(a >>> 0, b);
        break;
      default: // WB_OPAQUE
        if (!inAttribute && element.name === BINARY_CONTENT) {
          this.binaryPart(element, a, b);
          return;
        }
        text = inAttribute ? this.decodeString(a, b) : this.opaque(element.name, a, b);
    }
    if (inAttribute) this.attrValue += text;
    else {
      if (this.binary?.has(element)) {
        throw new WbxmlError("message content mixes OPAQUE data and text", a);
      }
      element.text += text;
    }
  }

  private valueName(value: number, offset: number, element: string): string {
    if (value === GROUP_ID_OR_HISTORY && element === "Name") return "History";
    const name = value < this.valueNames.length ? this.valueNames[value] : undefined;
    if (name === undefined) throw new WbxmlError(`unknown value token 0x${hex(value)}`, offset);
    return name;
  }

  /** OPAQUE text: an integer, a date and time, or a string in the document charset. */
  private opaque(element: string, start: number, end: number): string {
    const input = this.input;
    if (OPAQUE_INTEGERS.has(element)) {
      if (end - start > 4) throw new WbxmlError(`${element}: integer longer than 4 bytes`, start);
      let n = 0;
      for (let i = start; i < end; i++) n = n * 256 + input[i];
      return String(n);
    }
    if (DATE_TIMES.has(element)) return dateTime(input, start, end);
    return this.decodeString(start, end);
  }

  private binaryPart(element: XmlElement, start: number, end: number): void {
    if (element.text !== "") {
      throw new WbxmlError("message content mixes text and OPAQUE data", start);
    }
    this.binary ??= new Map();
    const parts = this.binary.get(element);
    const bytes = this.input.subarray(start, end);
    if (parts) parts.push(bytes);
    else this.binary.set(element, [bytes]);
  }

  /** The text of a string in the document charset; refuses what XML refuses. */
  private decodeString(start: number, end: number): string {
    if (this.width === 2) return checked(decodeUtf16(this.input, start, end), start);
    const charset = this.t.charset;
    if (charset === CHARSET_ISO_8859_1) return checked(latin1(this.input, start, end), start);
    if (charset === CHARSET_US_ASCII) {
      for (let i = start; i < end; i++) {
        if (this.input[i] >= 0x80) throw new WbxmlError("string is not US-ASCII", i);
      }
    }
    try {
      return decodeSpan(this.input, start, end);
    } catch (e) {
      if (e instanceof XmlError) throw new WbxmlError(e.message, e.offset);
      throw e;
    }
  }
}

function checked(text: string, offset: number): string {
  if (FORBIDDEN_CHAR.test(text)) throw new WbxmlError("control character in document", offset);
  return text;
}

function decodeUtf16(input: Uint8Array, start: number, end: number): string {
  try {
    return utf16.decode(input.subarray(start, end));
  } catch {
    throw new WbxmlError("string is not valid UTF-16", start);
  }
}

function latin1(input: Uint8Array, start: number, end: number): string {
  let text = "";
  for (let i = start; i < end; i++) text += String.fromCharCode(input[i]);
  return text;
}

/** An ENTITY: the character, if XML allows it. */
function entity(code: number, offset: number): string {
  const allowed = code === 0x09 || code === 0x0a || code === 0x0d ||
    (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff);
  if (!allowed) throw new WbxmlError(`ENTITY of an invalid character ${code}`, offset);
  return String.fromCodePoint(code);
}

/**
 * The 6-byte OPAQUE date and time (digest §6.3): 2 zero bits, year 12 bits, month 4, day 5,
 * hour 5, minute 6, second 6, then a time zone letter (0 read as Z, as libwbxml does).
 */
function dateTime(input: Uint8Array, start: number, end: number): string {
  if (end - start !== 6) throw new WbxmlError("OPAQUE date and time is not 6 bytes", start);
  let bits = 0;
  for (let i = start; i < start + 5; i++) bits = bits * 256 + input[i];
  const field = (shift: number, size: number) => Math.floor(bits / 2 ** shift) % 2 ** size;
  const zone = input[start + 5];
  if (zone !== 0 && (zone < 0x41 || zone > 0x5a || zone === 0x4a)) {
    throw new WbxmlError("OPAQUE date and time has no valid time zone", start + 5);
  }
  const two = (n: number) => String(n).padStart(2, "0");
  return `${String(field(26, 12)).padStart(4, "0")}${two(field(22, 4))}${two(field(17, 5))}T` +
    `${two(field(12, 5))}${two(field(6, 6))}${two(field(0, 6))}` +
    String.fromCharCode(zone === 0 ? 0x5a : zone);
}

/**
 * Binary content arrived as OPAQUE and is now Base64 text: its ContentEncoding (in the sibling
 * MessageInfo, or beside it in Logo, Map and WelcomeNote) must say so.
 */
function markBase64(parent: XmlElement): void {
  const holder = parent.children.find((c) => c.name === "MessageInfo") ?? parent;
  const encoding = holder.children.find((c) => c.name === "ContentEncoding");
  if (encoding) {
    encoding.text = "BASE64";
    encoding.children = NO_CHILDREN;
  } else {
    const element = {
      name: "ContentEncoding",
      attrs: NO_ATTRS,
      children: NO_CHILDREN,
      text: "BASE64",
    };
    if (holder.children === NO_CHILDREN) holder.children = [element];
    else holder.children.push(element);
  }
}

const hex = (n: number) => n.toString(16).toUpperCase().padStart(2, "0");
