/**
 * SSP sessions kept in storage, so that they outlive a restart (a peer goes on posting on the
 * session it holds) and, on a store shared by several instances, any instance serves a post on a
 * session another one set up. One record per peer domain, ["ssp", "session", domain], and an
 * index of both its ids, ["ssp", "sid", id] → domain.
 */
import { del, type Mutation, type Store } from "../store/kv.ts";

export interface StoredSession {
  domain: string;
  /** The id we issued (in every envelope we send) and the one the peer issued. */
  ownSessionId: string;
  peerSessionId: string;
  /** Epoch ms after which the session is not used. */
  expiresAt: number;
  /** The peer's endpoint the session was set up with. */
  url?: string;
}

/** Where SSP sessions are kept; an interface so that the session layer does not need KV. */
export interface SessionStore {
  get(domain: string): Promise<StoredSession | undefined>;
  byId(sessionId: string): Promise<StoredSession | undefined>;
  put(session: StoredSession): Promise<void>;
  /** Forgets the session, unless the peer's record names another one by now. */
  remove(session: StoredSession): Promise<void>;
}

const sessionKey = (domain: string) => ["ssp", "session", domain];
const idKey = (id: string) => ["ssp", "sid", id];

export class KvSessionStore implements SessionStore {
  constructor(private readonly store: Store) {}

  async get(domain: string): Promise<StoredSession | undefined> {
    const session = await this.store.get<StoredSession>(sessionKey(domain));
    return session && session.expiresAt > Date.now() ? session : undefined;
  }

  async byId(sessionId: string): Promise<StoredSession | undefined> {
    const domain = await this.store.get<string>(idKey(sessionId));
    if (domain === undefined) return undefined;
    const session = await this.get(domain);
    return session?.ownSessionId === sessionId || session?.peerSessionId === sessionId
      ? session
      : undefined;
  }

  async put(session: StoredSession): Promise<void> {
    const old = await this.store.get<StoredSession>(sessionKey(session.domain));
    const expireIn = Math.max(session.expiresAt - Date.now(), 1000);
    const mutations: Mutation[] = [
      { type: "set", key: sessionKey(session.domain), value: session, expireIn },
      { type: "set", key: idKey(session.ownSessionId), value: session.domain, expireIn },
      { type: "set", key: idKey(session.peerSessionId), value: session.domain, expireIn },
    ];
    if (old) mutations.push(...idDeletions(old, session));
    await this.store.write(...mutations);
  }

  async remove(session: StoredSession): Promise<void> {
    const current = await this.store.get<StoredSession>(sessionKey(session.domain));
    const mutations = idDeletions(session);
    if (current?.ownSessionId === session.ownSessionId) {
      mutations.push(del(sessionKey(session.domain)));
    }
    await this.store.write(...mutations);
  }
}

/** Deletions of the index entries of `old` that `kept` does not use. */
function idDeletions(old: StoredSession, kept?: StoredSession): Mutation[] {
  const keep = new Set([kept?.ownSessionId, kept?.peerSessionId]);
  return [old.ownSessionId, old.peerSessionId].filter((id) => !keep.has(id)).map((id) =>
    del(idKey(id))
  );
}
