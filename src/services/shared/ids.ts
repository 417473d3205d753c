/**
 * IMPS addresses (digest §4): users `wv:user@domain`, groups `wv:owner/name@domain` (or a
 * server-level `wv:/name@domain`) and contact lists `wv:user/list@domain`. Addresses are
 * case-insensitive, so they are kept lower-case; the `wv:` prefix is often omitted by clients,
 * so it is added on input. Every element reads addresses with these, so that a user, a group
 * or a list is the same id wherever it is named, and an address of another domain is known as
 * such wherever it is read.
 */

const USER_PART = /^[\x21-\x7e]{1,64}$/;

export interface UserAddress {
  /** Normalised `wv:user@domain`. */
  id: string;
  user: string;
  domain: string;
}

/**
 * Parses a user id, qualifying a bare `name` with `defaultDomain`. Returns undefined for anything
 * that is not a plain user address (contact lists and groups contain `/`).
 */
export function parseUserId(raw: string, defaultDomain: string): UserAddress | undefined {
  let s = raw.trim().toLowerCase();
  if (s.startsWith("wv:")) s = s.slice(3);
  const at = s.lastIndexOf("@");
  const user = at === -1 ? s : s.slice(0, at);
  const domain = at === -1 ? defaultDomain : s.slice(at + 1);
  if (!USER_PART.test(user) || /[/@]/.test(user)) return undefined;
  if (!/^[a-z0-9.-]{1,253}$/.test(domain)) return undefined;
  return { id: `wv:${user}@${domain}`, user, domain };
}

/** Whether an address (a normalised id's domain) is of this server. */
export const isLocal = (address: { domain: string }, domain: string) => address.domain === domain;

export interface GroupAddress {
  /** Normalised `wv:owner/name@domain`. */
  id: string;
  /** The owner's user part; empty for a server-level group. */
  owner: string;
  name: string;
  domain: string;
}

const GROUP_PART = /^[\x21-\x7e]{0,64}$/;

export function parseGroupId(raw: string, defaultDomain: string): GroupAddress | undefined {
  let s = raw.trim().toLowerCase();
  if (s.startsWith("wv:")) s = s.slice(3);
  const slash = s.indexOf("/");
  if (slash === -1) return undefined;
  const owner = s.slice(0, slash);
  const rest = s.slice(slash + 1);
  const at = rest.lastIndexOf("@");
  const name = at === -1 ? rest : rest.slice(0, at);
  const domain = at === -1 ? defaultDomain : rest.slice(at + 1);
  if (!GROUP_PART.test(owner) || /[/@]/.test(owner)) return undefined;
  if (name === "" || !GROUP_PART.test(name) || /[/@]/.test(name)) return undefined;
  if (!/^[a-z0-9.-]{1,253}$/.test(domain)) return undefined;
  return { id: `wv:${owner}/${name}@${domain}`, owner, name, domain };
}

/** A group id as compared where it may not parse (a block list entry, a message's group): without
 * case, with its `wv:` prefix. */
export function sameGroupKey(groupId: string): string {
  const id = groupId.trim().toLowerCase();
  return id.startsWith("wv:") ? id : `wv:${id}`;
}

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
