/**
 * The element tree every XML token source produces. The CSP and SSP decoders read only this
 * shape, so the source (fast-xml-parser, the TypeScript tokenizer or the WASM tokenizer) can be
 * swapped without touching them.
 */
export interface XmlElement {
  /** Element name as written (CSP and SSP use default namespaces only, no prefixes). */
  name: string;
  /** Attributes as written, `xmlns` included; values with entities decoded. */
  attrs: Record<string, string>;
  children: XmlElement[];
  /** All character data directly inside this element, entities decoded, not trimmed. */
  text: string;
}

/** Bounds applied to every network input before and while it is read. */
export interface XmlLimits {
  maxBytes: number;
  maxDepth: number;
  maxElements: number;
}

export const DEFAULT_XML_LIMITS: XmlLimits = {
  maxBytes: 256 * 1024,
  maxDepth: 32,
  maxElements: 20_000,
};

/** Malformed or unsafe input; `offset` is the byte offset where reading stopped. */
export class XmlError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
    this.name = "XmlError";
  }
}

/** Reads one XML document into a tree, or throws XmlError. Never expands entities beyond the five
 * predefined ones and numeric references; refuses a DOCTYPE with an internal subset. */
export type XmlTreeSource = (input: Uint8Array, limits: XmlLimits) => XmlElement;
