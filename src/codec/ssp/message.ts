/**
 * SSP messages (digest §9): unlike CSP they carry most identifiers in attributes and are open
 * ended, so a primitive stays an element tree (`XmlElement`) and the typed readers and builders of
 * `transactions.ts` pick out what the server uses. The envelope is decoded and checked here.
 */
import type { XmlElement } from "../xml/tree.ts";

export const SSP_NAMESPACE = "http://www.openmobilealliance.org/DTD/WV-SSP1.3";
export const SSP_CONTENT_TYPE = "application/vnd.wv.ssp+xml";

export type SspMode = "Request" | "Response";

export interface SspTransaction {
  mode: SspMode;
  transactionId: string;
  /** The one primitive element inside the (Setup)Transaction. */
  primitive: XmlElement;
}

/** Either a SetupTransaction (session establishment) or transactions of an established session. */
export type SspMessage =
  | { kind: "setup"; transaction: SspTransaction }
  | { kind: "session"; sessionId: string; transactions: SspTransaction[] };

/** A malformed SSP message: what was wrong, for logs and the refusal. */
export class SspError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SspError";
  }
}

/**
 * Identifier values accepted from peers. The binding's grammar is 1*(letter | digit | "_"), which
 * is what this server issues; Baraza puts `-`, `@` and `.` in its ids ("0000000001-0", "1@a.test"),
 * so those are accepted too, and nothing else (no spaces, controls or markup).
 */
export const PEER_ID = /^[A-Za-z0-9_@.-]{1,128}$/;

/**
 * Most characters of the ids a peer sends that become parts of storage keys; a longer one makes
 * its transaction malformed.
 */
export const ID_LIMITS = { message: 128, invite: 64, group: 300 } as const;

/** Free text and URLs from peers, bounded as the same values from clients are. */
export const TEXT_LIMITS = {
  note: 2_000,
  url: 1_024,
  urls: 20,
  type: 8,
  name: 50,
  userId: 400,
  attributes: 64,
} as const;

/** An id attribute, trimmed; undefined when absent, empty or longer than `max`. */
export function idAttr(
  element: XmlElement | undefined,
  name: string,
  max: number,
): string | undefined {
  const value = element?.attrs[name]?.trim();
  return value && value.length <= max ? value : undefined;
}

/** An element built in code. */
export function node(
  name: string,
  attrs: Record<string, string | undefined> = {},
  children: XmlElement[] = [],
  text = "",
): XmlElement {
  const defined: Record<string, string> = {};
  for (const [key, value] of Object.entries(attrs)) if (value !== undefined) defined[key] = value;
  return { name, attrs: defined, children, text };
}

/** The first child element of that name. */
export function child(element: XmlElement | undefined, name: string): XmlElement | undefined {
  return element?.children.find((c) => c.name === name);
}

export function children(element: XmlElement | undefined, name: string): XmlElement[] {
  return element?.children.filter((c) => c.name === name) ?? [];
}

/** Character data with the padding peers put around values (Baraza writes "\nT\n") removed. */
export function textOf(element: XmlElement | undefined): string | undefined {
  return element === undefined ? undefined : element.text.trim();
}
