/**
 * The wire encodings of CSP messages behind one interface: each reads a body into the element
 * tree every encoding shares (so the CSP codec and the service elements never see the encoding)
 * and writes a message from its typed form. XML is here; WBXML is `codec/wbxml`; the SMS text
 * binding would be a third implementation.
 */
import type { XmlElement, XmlLimits, XmlTreeSource } from "../xml/tree.ts";
import { XmlError } from "../xml/tree.ts";
import { encodeCsp } from "./envelope.ts";
import type { CspMessage } from "./message.ts";

export interface CspEncoding {
  /** The encoding's name, as error answers give it ("XML", "WBXML"). */
  readonly name: string;
  /** Reads a request body into the element tree; throws UnreadableMessage. */
  decode(body: Uint8Array, limits: XmlLimits): XmlElement;
  /** Writes a message (an answer, or what a poll hands out). */
  encode(message: CspMessage): string | Uint8Array<ArrayBuffer>;
}

/** A body its encoding cannot read; `offset` is the byte where reading stopped. */
export class UnreadableMessage extends Error {
  constructor(readonly encoding: string, readonly reason: string, readonly offset: number) {
    super(`Malformed ${encoding} at byte ${offset}: ${reason}`);
    this.name = "UnreadableMessage";
  }
}

/** CSP in XML, read with `source` (the core's tokenizer, or fast-xml-parser). */
export function xmlEncoding(source: XmlTreeSource): CspEncoding {
  return {
    name: "XML",
    decode(body, limits) {
      try {
        return source(body, limits);
      } catch (error) {
        if (error instanceof XmlError) {
          throw new UnreadableMessage("XML", error.message, error.offset);
        }
        throw error;
      }
    },
    encode: encodeCsp,
  };
}
