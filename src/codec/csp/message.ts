/** The typed form of a CSP message: the envelope, and one primitive per transaction. */

export type CspVersion = "1.1" | "1.2" | "1.3";

export interface CspMessage {
  version: CspVersion;
  sessionType: "Outband" | "Inband";
  sessionId?: string;
  transactions: CspTransaction[];
  /** `Session/Poll` (1.2 and 1.3 place it last in Session). */
  poll?: boolean;
  /** `Session/CIR` (1.3, server to client). */
  cir?: boolean;
}

export interface CspTransaction {
  mode: "Request" | "Response";
  /** Absent only where the envelope had no TransactionID; `""` for `<TransactionID/>`. */
  transactionId?: string;
  /** `TransactionDescriptor/Poll` (the 1.1 place). */
  poll?: boolean;
  /** `TransactionDescriptor/SegmentInfo` (1.3 content segmentation). */
  segmentInfo?: ElementObject;
  /** Attributes of `TransactionContent` as received; encoding always writes the version's TRC-NS. */
  contentAttrs?: Attributes;
  primitive: Primitive;
  /** `ExtBlock` elements (1.3 extension blocks), decoded generically. */
  extBlocks?: ElementValue[];
}

/** A primitive: its element name (e.g. `Login-Request`) and its decoded content. */
export interface Primitive<B extends ElementObject = ElementObject> {
  name: string;
  body: B;
}

/**
 * Decoded element content, driven by the element schema: a text element is a string, an integer
 * element a number, a boolean (T/F) element a boolean, a container an object keyed by child
 * element name (children that may repeat are always arrays). Empty elements are `{}`.
 *
 * Nothing received is dropped: an element that carries attributes becomes an object with
 * `@attrs` (and `#text` for its text), children the schema does not know are decoded generically
 * under their own name (an array when repeated), and a known child that occurs more often than
 * the schema allows becomes an array. Integer and boolean text that is not canonical (`T`/`F`,
 * plain decimal) stays a string. The `@`/`#` keys cannot clash with element names.
 */
export type ElementValue = string | number | boolean | ElementObject;
export interface ElementObject {
  [child: string]: ElementValue | ElementValue[] | undefined;
  /** The element's attributes, `xmlns` included. */
  "@attrs"?: Attributes;
  /** Trimmed text of an element that also has attributes or children. */
  "#text"?: string;
}
export interface Attributes {
  [name: string]: string;
}
