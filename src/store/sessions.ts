/** CSP sessions: the record, an index by user, and an index by expiry time for the sweeper. */
import { del, type Mutation, set, type Store } from "./kv.ts";

/** The CSP versions a session may speak, by name (the codec's `CspVersion`). */
export type SessionVersion = "1.1" | "1.2" | "1.3";

/**
 * Decoded element content, kept as the session layer hands it over and never read here: the
 * codec's `ElementObject` (children by name; text, numbers and T/F as booleans; `@attrs`, `#text`),
 * which the store declares for itself so that it stays below the codecs.
 */
export interface StoredElement {
  [child: string]: StoredValue | StoredValue[] | undefined;
  "@attrs"?: Record<string, string>;
  "#text"?: string;
}
export type StoredValue = string | number | boolean | StoredElement;

export interface SessionRecord {
  id: string;
  userId: string;
  version: SessionVersion;
  clientId?: StoredElement;
  cookie?: string;
  /** Keep-alive time in seconds. */
  ttl: number;
  /** Epoch ms after which the session is over; stored because KV's own expiry is lazy. */
  expiresAt: number;
  createdAt: number;
  /** What ClientCapability (or a 1.3 Login) agreed; absent until then. */
  capabilities?: StoredElement;
  /** How many transactions the client accepts in one message (MultiTrans), at least 1. */
  multiTrans: number;
  /** Function leaves agreed by Service-Request; absent until negotiated (then all are allowed). */
  services?: string[];
  /** Set when the server ended the session (e.g. the account was removed): the next request of
   * the client gets a Disconnect with this result, and the session is gone. */
  disconnect?: { code: number; description: string };
  /** How the client is woken (CIR), as ClientCapability agreed; absent: it polls. */
  cir?: SessionCir;
}

/** The CIR methods agreed for a session and where each wake-up goes. */
export interface SessionCir {
  /** SupportedCIRMethod values, in the client's order of preference (the fallback order). */
  methods: string[];
  /** Unguessable: names the session in its SHTTP URL and in the index of woken sessions. */
  token: string;
  /** Where SUDP and WAPUDP datagrams go (the port: the client's UDPPort, else the method's). */
  udp?: { address: string; port?: number };
  /** Where WAPSMS and SSMS wake-ups go. */
  msisdn?: string;
}

export type SessionEnd = "logout" | "expired" | "disconnected";

/** Why a session id is no longer valid: answered 600 (expired) rather than 604 (unknown). */
interface GoneRecord {
  reason: SessionEnd;
  at: number;
}

const sessionKey = (id: string) => ["session", id];
const byUserKey = (userId: string, id: string) => ["session_by_user", userId, id];
const expiryKey = (expiresAt: number, id: string) => ["session_expiry", expiresAt, id];
const goneKey = (id: string) => ["session_gone", id];
const endingKey = (id: string) => ["session_ending", id];

/** A session whose end is committed and whose end hooks have not all run yet. */
export interface EndingRecord {
  record: SessionRecord;
  reason: SessionEnd;
  at: number;
}

/** How long a session read stays cached on a store this process serves alone (only the admin
 * command writes beside it). In shared mode (`Store.exclusive` false) nothing is cached: another
 * instance's logout or keep-alive must count at the next request, whichever instance gets it. */
const CACHE_MS = 2_000;
const CACHE_MAX = 50_000;
const GONE_REMEMBERED_MS = 24 * 3600_000;

export class SessionRepo {
  #cache = new Map<string, { record: SessionRecord; at: number }>();
  /** Session ids per user; every start or end here drops the user's entry, and a read that
   * overlapped one is not kept. Kept for good on a store this process serves alone (only the server
   * starts sessions, and an id ended elsewhere, by the admin command, drops out when its record is
   * read again); read at each look in shared mode. */
  #byUser = new Map<string, { ids: Set<string>; at: number }>();
  #starts = 0;

  constructor(private readonly store: Store) {}

  async get(id: string): Promise<SessionRecord | undefined> {
    const hit = this.cached(id);
    if (hit) return hit;
    const now = Date.now();
    const record = await this.store.get<SessionRecord>(sessionKey(id));
    if (record) this.#remember(record, now);
    else this.#cache.delete(id);
    return record;
  }

  /** The session as remembered, when that is recent enough to answer `get` without a read. */
  cached(id: string): SessionRecord | undefined {
    if (!this.store.exclusive) return undefined;
    const hit = this.#cache.get(id);
    return hit && Date.now() - hit.at < CACHE_MS ? hit.record : undefined;
  }

  /** Why a missing session ended, if it is remembered. */
  async goneReason(id: string): Promise<SessionEnd | undefined> {
    return (await this.store.get<GoneRecord>(goneKey(id)))?.reason;
  }

  async create(record: SessionRecord): Promise<void> {
    await this.store.write(
      set(sessionKey(record.id), record),
      set(byUserKey(record.userId, record.id), true),
      set(expiryKey(record.expiresAt, record.id), record.userId),
    );
    this.#starts++;
    this.#byUser.get(record.userId)?.ids.add(record.id);
    this.#remember(record, Date.now());
  }

  /** Saves a changed record; `previousExpiry` keeps the expiry index in step. */
  async update(record: SessionRecord, previousExpiry: number): Promise<void> {
    const mutations: Mutation[] = [set(sessionKey(record.id), record)];
    if (previousExpiry !== record.expiresAt) {
      mutations.push(del(expiryKey(previousExpiry, record.id)));
      mutations.push(set(expiryKey(record.expiresAt, record.id), record.userId));
    }
    await this.store.write(...mutations);
    this.#remember(record, Date.now());
  }

  /**
   * Mutations that end a session (the caller may add its own to the same commit). They leave a
   * record that the session's end is still to be acted on, until `endHandled`: a process that
   * dies between the two leaves it for `unhandledEnds` to find.
   */
  endMutations(record: SessionRecord, reason: SessionEnd): Mutation[] {
    this.#cache.delete(record.id);
    // Kept, less this id: ending each of a user's many sessions must not list them all again.
    this.#byUser.get(record.userId)?.ids.delete(record.id);
    const ending: EndingRecord = { record, reason, at: Date.now() };
    return [
      set(endingKey(record.id), ending),
      del(sessionKey(record.id)),
      del(byUserKey(record.userId, record.id)),
      del(expiryKey(record.expiresAt, record.id)),
      {
        type: "set",
        key: goneKey(record.id),
        value: { reason, at: Date.now() },
        expireIn: GONE_REMEMBERED_MS,
      },
    ];
  }

  /** The end of this session has been acted on (its end hooks ran). */
  async endHandled(id: string): Promise<void> {
    await this.store.write(del(endingKey(id)));
  }

  /** Ends committed before `before` and not acted on yet, oldest first. */
  async unhandledEnds(before: number, limit = 500): Promise<EndingRecord[]> {
    const entries = await this.store.list<EndingRecord>(["session_ending"], { limit });
    return entries.map((e) => e.value).filter((e) => e.at < before).sort((a, b) => a.at - b.at);
  }

  async listByUser(userId: string): Promise<SessionRecord[]> {
    const ids = await this.#idsOf(userId);
    // An ended session's record is gone (or cached as gone), so it drops out here.
    const records = await Promise.all([...ids].map((id) => this.get(id)));
    return records.filter((r): r is SessionRecord => r !== undefined);
  }

  /** Whether the user has a session: reads records only until it finds one, so the end of each
   * of a user's many sessions costs about the same, not as many reads as sessions are left. */
  async hasSessions(userId: string): Promise<boolean> {
    for (const id of [...await this.#idsOf(userId)]) {
      if (await this.get(id)) return true;
    }
    return false;
  }

  async #idsOf(userId: string): Promise<ReadonlySet<string>> {
    const now = Date.now();
    let ids = this.#byUser.get(userId);
    if (!ids || !this.store.exclusive) {
      const starts = this.#starts;
      const listed = await this.store.list<boolean>(["session_by_user", userId]);
      ids = { ids: new Set(listed.map((e) => String(e.key[2]))), at: now };
      if (starts === this.#starts && this.store.exclusive) {
        if (this.#byUser.size >= CACHE_MAX) this.#byUser.clear();
        this.#byUser.set(userId, ids);
      }
    }
    return ids.ids;
  }

  /** Every session in the store (admin listings, counts), including ones past their expiry
   * that the sweep has not ended yet. */
  async *all(): AsyncGenerator<SessionRecord> {
    for await (const { value } of this.store.scan<SessionRecord>({ prefix: ["session"] })) {
      yield value;
    }
  }

  /** Sessions whose expiry time has passed, oldest first. */
  async expired(now: number, limit = 500): Promise<SessionRecord[]> {
    const due = [];
    for await (
      const entry of this.store.scan<string>({
        start: ["session_expiry"],
        end: ["session_expiry", now],
      }, { limit })
    ) due.push(String(entry.key[2]));
    const records = await Promise.all(
      due.map((id) => this.store.get<SessionRecord>(sessionKey(id))),
    );
    return records.filter((r): r is SessionRecord => r !== undefined && r.expiresAt <= now);
  }

  #remember(record: SessionRecord, at: number): void {
    if (!this.store.exclusive) return;
    if (this.#cache.size >= CACHE_MAX) this.#cache.clear();
    this.#cache.set(record.id, { record, at });
  }
}
