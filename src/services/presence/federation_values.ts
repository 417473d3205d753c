/**
 * Presence values as SSP carries them (`PresenceSubList` trees, CSP-style elements that Baraza
 * pads with newlines) read into presence attributes. Kept apart from the relay so that it can
 * be read without the hooks it installs.
 */
import { log } from "../../observe/log.ts";
import { decodeObject } from "../../codec/csp/element.ts";
import { elementModel } from "../../codec/csp/schema.ts";
import type { XmlElement } from "../../codec/xml/tree.ts";
import { ProtocolError } from "../../session/status.ts";
import { type PresenceAttributes, publishedAttributes } from "./attributes.ts";
import { LIMITS } from "./limits.ts";

const PRESENCE_SUB_LIST = elementModel("PresenceSubList")!;

/**
 * A peer's `PresenceSubList` as presence attributes, each checked as strictly as in a local
 * user's UpdatePresence. An attribute with an invalid value (Baraza relays `UserAvailability
 * BUSY`) is left out and logged, the others kept; a non-repeatable attribute sent several times
 * (Baraza sends one OnlineStatus per session) keeps its first. Undefined when nothing is left or
 * the whole is too large.
 */
export function readPresence(list: XmlElement, from = "a peer"): PresenceAttributes | undefined {
  const decoded = decodeObject(list);
  delete decoded["@attrs"];
  delete decoded["#text"];
  const presence: PresenceAttributes = {};
  const dropped: string[] = [];
  for (const [name, value] of Object.entries(decoded)) {
    if (value === undefined) continue;
    const first = Array.isArray(value) && !PRESENCE_SUB_LIST.childByName.get(name)?.repeat
      ? value[0]
      : value;
    try {
      Object.assign(presence, publishedAttributes({ [name]: first }));
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      dropped.push(`${name.slice(0, 40)} (${error.message.slice(0, 80)})`);
    }
  }
  if (dropped.length > 0) log.warn(`SSP presence from ${from}: left out ${dropped.join(", ")}`);
  if (Object.keys(presence).length === 0) return undefined;
  return JSON.stringify(presence).length <= LIMITS.presenceChars ? presence : undefined;
}
