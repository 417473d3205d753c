/**
 * How a handset profile puts its messages on the wire. Each profile names the encoding its
 * engine uses; until the server speaks that encoding, the profile sends the same messages as
 * XML, and switches by itself once an encoding of that name is listed here.
 */
import type { CspVersion } from "../../src/codec/csp/message.ts";
import { NS } from "../support/harness.ts";

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

/** The encodings the server speaks today. WBXML joins when the server has it. */
const AVAILABLE: Partial<Record<EncodingName, Encoding>> = { xml: XML };

/** The encoding a profile uses: its engine's own, or XML while the server lacks that one. */
export function encodingFor(native: EncodingName): Encoding {
  return AVAILABLE[native] ?? XML;
}
