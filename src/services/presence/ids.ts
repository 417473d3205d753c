/**
 * Contact-list ids (`wv:user/list@domain`, digest §4) and presence-attribute names. Ids are
 * case-insensitive, so they are kept lower-case, like user ids.
 */
import { parseUserId } from "../shared/ids.ts";

export interface ContactListAddress {
  /** Normalised `wv:user/list@domain`. */
  id: string;
  /** The owner, `wv:user@domain`. */
  owner: string;
}

const LIST_NAME = /^[\x21-\x7e]{1,64}$/;

/** Parses a contact-list id; a missing `wv:` or domain is supplied. Undefined when malformed. */
export function parseContactListId(
  raw: string,
  defaultDomain: string,
): ContactListAddress | undefined {
  let s = raw.trim().toLowerCase();
  if (s.startsWith("wv:")) s = s.slice(3);
  const slash = s.indexOf("/");
  if (slash <= 0) return undefined;
  const at = s.lastIndexOf("@");
  const name = at > slash ? s.slice(slash + 1, at) : s.slice(slash + 1);
  const domain = at > slash ? s.slice(at + 1) : defaultDomain;
  if (!LIST_NAME.test(name) || /[/@]/.test(name)) return undefined;
  const owner = parseUserId(`${s.slice(0, slash)}@${domain}`, defaultDomain);
  if (!owner) return undefined;
  return { id: `wv:${owner.user}/${name}@${owner.domain}`, owner: owner.id };
}

/** An element name usable as a presence attribute (known ones and extensions alike). */
export const ATTRIBUTE_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
