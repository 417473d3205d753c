/**
 * How long a client-chosen value may be, checked as the message is decoded. Identifiers become
 * parts of KV keys (2 KiB in all) and every value may end up in a stored record (64 KiB), so an
 * oversized one is refused here with the status the spec gives for a bad value of that kind,
 * never passed on to fail in the store.
 */
import { utf8Length } from "../../util/utf8.ts";

export interface ValueBound {
  /** Longest value, in UTF-8 bytes. */
  maxBytes: number;
  /** CSP status refusing a longer one. */
  status: number;
}

/** Longest identifier: three of them and a few fixed parts fit one KV key. */
export const MAX_ID_BYTES = 400;
/** Longest value of any other element but message content (which IMPS_MAX_MESSAGE bounds). */
export const MAX_TEXT_BYTES = 32 * 1024;

const id = (status = 402): ValueBound => ({ maxBytes: MAX_ID_BYTES, status });

/** Elements whose value names something, with the status for an impossible name: the code of
 * "invalid …" where the spec has one (a name that cannot exist is an invalid one), else 402. */
const ID_BOUNDS = new Map<string, ValueBound>(Object.entries({
  SessionID: { maxBytes: 128, status: 604 },
  TransactionID: { maxBytes: 128, status: 400 },
  SearchID: id(424),
  InviteID: id(423),
  MessageID: id(426),
  UserID: id(),
  ValidUserID: id(),
  UnrecognizedUserID: id(),
  GroupID: id(),
  ContactList: id(),
  DefaultContactList: id(),
  SName: id(),
  URL: id(),
  MSISDN: id(),
  ApplicationID: id(),
  SessionCookie: id(),
  Domain: id(),
  MessageURI: id(),
  SystemMessageID: id(),
  CIRHTTPAddress: id(),
  CIRURL: id(),
  CIRSMSAddress: id(),
  TCPAddress: id(),
  UDPAddress: id(),
  ContentType: id(),
  ContentEncoding: id(),
  // A presence value is an attribute's: too long is a bad attribute value.
  PresenceValue: { maxBytes: MAX_TEXT_BYTES, status: 751 },
}));

const TEXT_BOUND: ValueBound = { maxBytes: MAX_TEXT_BYTES, status: 402 };

/** The bound of an element's text. */
export function boundOf(element: string): ValueBound {
  return ID_BOUNDS.get(element) ?? TEXT_BOUND;
}

/** A value longer than its element's bound. */
export class ValueOutOfBounds extends Error {
  constructor(readonly element: string, readonly status: number) {
    super(`${element} longer than ${boundOf(element).maxBytes} bytes`);
    this.name = "ValueOutOfBounds";
  }
}

/** Returns `text` if within the bound of `element`, else throws ValueOutOfBounds. A cheap
 * length test first: UTF-8 is counted only near the bound. */
export function bounded(element: string, text: string): string {
  const bound = boundOf(element);
  if (text.length * 3 <= bound.maxBytes) return text;
  if (text.length <= bound.maxBytes && utf8Length(text) <= bound.maxBytes) return text;
  throw new ValueOutOfBounds(element, bound.status);
}
