/**
 * Group ids (digest §4): `wv:owner/name@domain`, or a server-level `wv:/name@domain`. Like user
 * ids they are case-insensitive, so they are kept lower-case with their `wv:` prefix.
 */

export interface GroupAddress {
  /** Normalised `wv:owner/name@domain`. */
  id: string;
  /** The owner's user part; empty for a server-level group. */
  owner: string;
  name: string;
  domain: string;
}

const PART = /^[\x21-\x7e]{0,64}$/;

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
  if (!PART.test(owner) || /[/@]/.test(owner)) return undefined;
  if (name === "" || !PART.test(name) || /[/@]/.test(name)) return undefined;
  if (!/^[a-z0-9.-]{1,253}$/.test(domain)) return undefined;
  return { id: `wv:${owner}/${name}@${domain}`, owner, name, domain };
}
