/**
 * SSP sessions kept in storage, so that they outlive a restart (a peer goes on posting on the
 * session it holds) and, on a store shared by several instances, any instance serves a post on a
 * session another one set up. One record per peer domain, ["ssp", "session", domain], and an
 * index of both its ids, ["ssp", "sid", id] → domain. With several instances, the claims on
 * handshakes under way: ["ssp", "initiator", domain] and ["ssp", "responder", tid] → instance.
 */
import { check, CommitConflict, del, type Mutation, type Store } from "../store/kv.ts";

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

/**
 * On a store shared by several instances: which instance holds the handshake with a peer, so
 * that one instance at a time sets up the domain's session, and the peer's answers that arrive
 * at another instance are passed to it.
 */
export interface HandshakeClaims {
  /** Claims the initiator's side of the handshake with `domain` for `instance`, for `ms`;
   * false while another instance holds it. */
  claimInitiator(domain: string, instance: string, ms: number): Promise<boolean>;
  /** The instance holding the initiator's side with `domain`, if any. */
  initiator(domain: string): Promise<string | undefined>;
  /** Gives up the claim, unless another instance holds it by now. */
  releaseInitiator(domain: string, instance: string): Promise<void>;
  /** Records that `instance` answers the peer's handshake `tid` (as responder), for `ms`. */
  claimResponder(tid: string, instance: string, ms: number): Promise<void>;
  /** The instance answering the peer's handshake `tid`, if any. */
  responder(tid: string): Promise<string | undefined>;
}

interface Claim {
  instance: string;
  /** Epoch ms: the claim holds until then (expireIn alone is lazy). */
  until: number;
}

const sessionKey = (domain: string) => ["ssp", "session", domain];
const idKey = (id: string) => ["ssp", "sid", id];
const initiatorKey = (domain: string) => ["ssp", "initiator", domain];
const responderKey = (tid: string) => ["ssp", "responder", tid];

export class KvSessionStore implements SessionStore, HandshakeClaims {
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

  async claimInitiator(domain: string, instance: string, ms: number): Promise<boolean> {
    const entry = await this.store.getEntry<Claim>(initiatorKey(domain));
    const held = entry?.value;
    if (held && held.instance !== instance && held.until > Date.now()) return false;
    try {
      await this.store.write(check(initiatorKey(domain), entry?.versionstamp ?? null), {
        type: "set",
        key: initiatorKey(domain),
        value: { instance, until: Date.now() + ms } satisfies Claim,
        expireIn: ms,
      });
      return true;
    } catch (error) {
      if (error instanceof CommitConflict) return false;
      throw error;
    }
  }

  async initiator(domain: string): Promise<string | undefined> {
    const claim = await this.store.get<Claim>(initiatorKey(domain));
    return claim && claim.until > Date.now() ? claim.instance : undefined;
  }

  async releaseInitiator(domain: string, instance: string): Promise<void> {
    const entry = await this.store.getEntry<Claim>(initiatorKey(domain));
    if (entry?.value.instance !== instance) return;
    try {
      await this.store.write(
        check(initiatorKey(domain), entry.versionstamp),
        del(initiatorKey(domain)),
      );
    } catch (error) {
      if (!(error instanceof CommitConflict)) throw error;
    }
  }

  claimResponder(tid: string, instance: string, ms: number): Promise<void> {
    return this.store.write({
      type: "set",
      key: responderKey(tid),
      value: { instance, until: Date.now() + ms } satisfies Claim,
      expireIn: ms,
    });
  }

  async responder(tid: string): Promise<string | undefined> {
    const claim = await this.store.get<Claim>(responderKey(tid));
    return claim && claim.until > Date.now() ? claim.instance : undefined;
  }
}

/** Deletions of the index entries of `old` that `kept` does not use. */
function idDeletions(old: StoredSession, kept?: StoredSession): Mutation[] {
  const keep = new Set([kept?.ownSessionId, kept?.peerSessionId]);
  return [old.ownSessionId, old.peerSessionId].filter((id) => !keep.has(id)).map((id) =>
    del(idKey(id))
  );
}
