/**
 * Presence values as SSP carries them (`PresenceSubList` trees, CSP-style elements that Baraza
 * pads with newlines) read into presence attributes. Kept apart from the relay so that it can
 * be read without the hooks it installs.
 */
import { decodeObject } from "../../codec/csp/element.ts";
import type { XmlElement } from "../../codec/xml/tree.ts";
import { ProtocolError } from "../../session/status.ts";
import { type PresenceAttributes, publishedAttributes } from "../presence/attributes.ts";
import { LIMITS } from "../presence/limits.ts";

/**
 * A peer's `PresenceSubList` as presence attributes, checked as strictly as a local user's
 * UpdatePresence; undefined when it is malformed or too large.
 */
export function readPresence(list: XmlElement): PresenceAttributes | undefined {
  const decoded = decodeObject(list);
  delete decoded["@attrs"];
  delete decoded["#text"];
  try {
    const presence = publishedAttributes(decoded);
    return JSON.stringify(presence).length <= LIMITS.presenceChars ? presence : undefined;
  } catch (error) {
    if (error instanceof ProtocolError) return undefined;
    throw error;
  }
}
