/**
 * XML tree source built on fast-xml-parser: the reference the core's XML readers are compared
 * with (tests, benchmarks), never the server's reader. fast-xml-parser neither rejects every malformed
 * document nor refuses DTD tricks by itself, so this module screens the input first (size, UTF-8,
 * control characters, DOCTYPE), lets XMLValidator check well-formedness, and decodes entities
 * itself while building the tree (so an undefined entity is an error, never kept as text).
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { decodeCsp } from "../../src/codec/csp/envelope.ts";
import type { CspMessage } from "../../src/codec/csp/message.ts";
import {
  DEFAULT_XML_LIMITS,
  type XmlElement,
  XmlError,
  type XmlLimits,
  type XmlTreeSource,
} from "../../src/codec/xml/tree.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  processEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  cdataPropName: "#cdata",
  ignoreDeclaration: true,
  ignorePiTags: true,
});

/** Characters XML 1.0 forbids anywhere in a document (matching them is the point). */
// deno-lint-ignore no-control-regex
const FORBIDDEN_CHAR = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;
const ENTITY_REF = /&([^;&<]*);?/g;
const PREDEFINED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

/** One node of fast-xml-parser's preserveOrder output. */
type FxpNode = Record<string, unknown> & { ":@"?: Record<string, string> };

export const parseXmlFxp: XmlTreeSource = (input: Uint8Array, limits: XmlLimits): XmlElement => {
  if (input.byteLength > limits.maxBytes) {
    throw new XmlError(`document exceeds ${limits.maxBytes} bytes`, limits.maxBytes);
  }
  let xml: string;
  try {
    xml = utf8.decode(input);
  } catch {
    throw new XmlError("document is not valid UTF-8", 0);
  }
  const bad = FORBIDDEN_CHAR.exec(xml);
  if (bad) throw new XmlError("control character in document", byteOffset(xml, bad.index));
  xml = blankDoctype(xml);

  // XMLValidator lets text after a self-closed root pass (`<a/>x`) and the parser drops it.
  if (xml.trimEnd().at(-1) !== ">") throw new XmlError("text after the root element", input.length);
  const verdict = XMLValidator.validate(xml);
  if (verdict !== true) {
    const { msg, line, col } = verdict.err;
    throw new XmlError(`not well-formed: ${msg}`, byteOffset(xml, lineColToIndex(xml, line, col)));
  }
  let nodes: FxpNode[];
  try {
    nodes = parser.parse(xml) as FxpNode[];
  } catch (e) {
    throw new XmlError(`not well-formed: ${e instanceof Error ? e.message : String(e)}`, 0);
  }
  return new TreeBuilder(limits).root(nodes);
};

/**
 * Replaces a DOCTYPE without internal subset by blanks (keeping offsets), so both the spec's form
 * and Baraza's form without `PUBLIC` pass; one with an internal subset is refused outright, which
 * rules out entity definitions (billion laughs) and external entities.
 */
function blankDoctype(xml: string): string {
  const start = xml.indexOf("<!DOCTYPE");
  if (start < 0) return xml;
  let quote = "";
  for (let i = start + 9; i < xml.length; i++) {
    const c = xml[i];
    if (quote) {
      if (c === quote) quote = "";
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === "[") {
      throw new XmlError("DOCTYPE with internal subset refused", byteOffset(xml, i));
    } else if (c === ">") {
      return xml.slice(0, start) + " ".repeat(i + 1 - start) + xml.slice(i + 1);
    }
  }
  throw new XmlError("unterminated DOCTYPE", byteOffset(xml, start));
}

/** Turns fast-xml-parser output into XmlElements, enforcing depth and element-count limits. */
class TreeBuilder {
  private elements = 0;
  constructor(private readonly limits: XmlLimits) {}

  root(nodes: FxpNode[]): XmlElement {
    let root: XmlElement | undefined;
    for (const node of nodes) {
      const name = elementName(node);
      if (name === undefined) {
        if (textOf(node).trim() !== "") throw new XmlError("text outside the root element", 0);
      } else if (root) {
        throw new XmlError("more than one root element", 0);
      } else {
        root = this.element(name, node, 1);
      }
    }
    if (!root) throw new XmlError("no root element", 0);
    return root;
  }

  private element(name: string, node: FxpNode, depth: number): XmlElement {
    if (depth > this.limits.maxDepth) {
      throw new XmlError(`nesting deeper than ${this.limits.maxDepth}`, 0);
    }
    if (++this.elements > this.limits.maxElements) {
      throw new XmlError(`more than ${this.limits.maxElements} elements`, 0);
    }
    const attrs: Record<string, string> = {};
    const rawAttrs = node[":@"];
    if (rawAttrs) {
      for (const key of Object.keys(rawAttrs)) {
        const value = rawAttrs[key];
        if (value.includes("<")) throw new XmlError(`'<' in attribute ${key}`, 0);
        attrs[key] = decodeEntities(value);
      }
    }
    const children: XmlElement[] = [];
    let text = "";
    for (const child of node[name] as FxpNode[]) {
      const childName = elementName(child);
      if (childName === undefined) text += textOf(child);
      else children.push(this.element(childName, child, depth + 1));
    }
    return { name, attrs, children, text };
  }
}

/** The element name of a preserveOrder node, or undefined for text and CDATA nodes. */
function elementName(node: FxpNode): string | undefined {
  for (const key in node) {
    if (key !== ":@" && key !== "#text" && key !== "#cdata") return key;
  }
  return undefined;
}

function textOf(node: FxpNode): string {
  const cdata = node["#cdata"] as FxpNode[] | undefined;
  if (cdata) return cdata.map((part) => String(part["#text"] ?? "")).join("");
  return decodeEntities(String(node["#text"] ?? ""));
}

/** Decodes the five predefined entities and character references; anything else is an error. */
function decodeEntities(raw: string): string {
  if (!raw.includes("&")) return raw;
  return raw.replace(ENTITY_REF, (ref, name: string) => {
    if (!ref.endsWith(";")) throw new XmlError(`unterminated reference ${ref}`, 0);
    const predefined = PREDEFINED[name];
    if (predefined !== undefined) return predefined;
    const code = /^#[0-9]{1,7}$/.test(name)
      ? parseInt(name.slice(1), 10)
      : /^#x[0-9a-fA-F]{1,6}$/.test(name)
      ? parseInt(name.slice(2), 16)
      : -1;
    if (code < 0) throw new XmlError(`undefined entity ${ref}`, 0);
    if (!isXmlChar(code)) throw new XmlError(`reference to an invalid character ${ref}`, 0);
    return String.fromCodePoint(code);
  });
}

function isXmlChar(code: number): boolean {
  return code === 0x9 || code === 0xA || code === 0xD ||
    (code >= 0x20 && code <= 0xD7FF) || (code >= 0xE000 && code <= 0xFFFD) ||
    (code >= 0x10000 && code <= 0x10FFFF);
}

/** Error path only: index of a 1-based line/column position. */
function lineColToIndex(xml: string, line: number, col: number): number {
  let index = 0;
  for (let l = 1; l < line; l++) {
    const next = xml.indexOf("\n", index);
    if (next < 0) break;
    index = next + 1;
  }
  return Math.min(index + Math.max(col - 1, 0), xml.length);
}

/** Error path only: byte offset of a string index. */
function byteOffset(xml: string, index: number): number {
  return new TextEncoder().encode(xml.slice(0, index)).length;
}

/** Reads bytes with the given tree source and decodes the message; throws XmlError or CspCodecError. */
export function decodeCspBytes(
  bytes: Uint8Array,
  limits: XmlLimits = DEFAULT_XML_LIMITS,
  source: XmlTreeSource = parseXmlFxp,
): CspMessage {
  return decodeCsp(source(bytes, limits));
}
