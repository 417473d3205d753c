/**
 * IMPS addresses (digest §4): `wv:user@domain`. Addresses are case-insensitive, so they are kept
 * lower-case; the `wv:` prefix is often omitted by clients, so it is added on input.
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
