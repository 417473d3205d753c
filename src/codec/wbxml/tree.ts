/**
 * What a WBXML reader gives and how it fails: the element tree of `codec/xml/tree.ts` (the same
 * tree an XML document gives, so the CSP decoder reads both alike), or a WbxmlError. The readers
 * are the core's (`core.parseWbxml`), in WebAssembly or TypeScript.
 */
import type { CspVersion } from "../csp/message.ts";
import type { XmlElement, XmlLimits } from "../xml/tree.ts";

/** A document that is not WBXML, or not one CSP can mean; `offset` is where reading stopped. */
export class WbxmlError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
    this.name = "WbxmlError";
  }
}

/**
 * Reads one WBXML document into a tree, or throws WbxmlError. `defaultVersion` names the CSP
 * version of a document whose public id and root `xmlns` do not (the content type's).
 */
export type WbxmlTreeSource = (
  input: Uint8Array,
  limits: XmlLimits,
  defaultVersion?: CspVersion,
) => XmlElement;
