/**
 * How a handset profile puts its messages on the wire: each profile speaks the encoding its
 * engine uses. A profile writes its messages as XML text; a WBXML profile sends them encoded
 * with the WBXML codec's tree encoder (held byte for byte to libwbxml and Baraza by its own
 * suites) and reads the server's WBXML answers back as XML.
 */
import type { CspVersion } from "../../src/codec/csp/message.ts";
import { NS, WBXML_TYPES, wbxmlOfXml, xmlOfWbxml } from "../support/harness.ts";

export type EncodingName = "xml" | "wbxml";

export interface Encoding {
  name: EncodingName;
  /** The HTTP Content-Type of a message of this version. */
  contentType(version: CspVersion): string;
  /** The bytes to post for a message written as XML. */
  encode(xml: string, version: CspVersion): Uint8Array<ArrayBuffer>;
  /** The XML of a message the server answered (its body bytes). */
  decode(body: Uint8Array, version: CspVersion): string;
}

export const XML: Encoding = {
  name: "xml",
  contentType: (version) => NS[version].type,
  encode: (xml) => new TextEncoder().encode(xml),
  decode: (body) => new TextDecoder().decode(body),
};

export const WBXML: Encoding = {
  name: "wbxml",
  contentType: (version) => WBXML_TYPES[version],
  encode: (xml, version) => wbxmlOfXml(xml, version),
  decode: (body) => xmlOfWbxml(body),
};

const ENCODINGS: Record<EncodingName, Encoding> = { xml: XML, wbxml: WBXML };

/** The encoding a profile uses: its engine's own. */
export function encodingFor(native: EncodingName): Encoding {
  return ENCODINGS[native];
}
