/**
 * What a service element plugs into the session layer, and what it gets from it. An element
 * (`ServiceElement`) is made once per server from the `ServerContext`; it brings one module per
 * primitive (`PrimitiveModule`, found by the primitive's element name), handlers for the
 * client's acknowledgements of server-originated transactions (`AckModule`), the HTTP routes it
 * serves besides `POST /csp`, and where it keeps what belongs to a user.
 */
import type { Hono } from "hono";
import type { Config } from "../config.ts";
import type { CspTransaction, CspVersion, ElementObject, Primitive } from "../codec/csp/message.ts";
import type { Mutation, Store } from "../store/kv.ts";
import type { InstanceInbox } from "../store/instance_inbox.ts";
import type { OutboxEntry, OutboxRepo } from "../store/outbox.ts";
import type { SessionCir, SessionRecord } from "../store/sessions.ts";
import type { UserRepo } from "../store/users.ts";
import type { Sealer } from "../util/crypto.ts";
import type { Metrics } from "../observe/metrics.ts";
import type { SessionLifecycle } from "./lifecycle.ts";
import type { RateCharge, RateLimits } from "./rates.ts";

/** Everything a service element may use of the server, built once per server. */
export interface ServerContext {
  config: Config;
  store: Store;
  users: UserRepo;
  sessions: SessionLifecycle;
  outbox: OutboxRepo;
  registry: PrimitiveRegistry;
  /** Seals passwords for digest login with the server key (IMPS_SECRET or the key file). */
  sealer: Sealer;
  /** What the server counts for /metrics and the admin API. */
  metrics: Metrics;
  /** Rate limits per session and user (IMPS_RATE_*). */
  rates: RateLimits;
  /** Waking clients (src/transport/cir); absent when no CIR method is enabled. */
  cir?: CirService;
  /** Sessions on phones through the SMS gateway (src/transport/sms); absent without it. */
  smsSessions?: SmsSessions;
  /** This instance's inbox for what other instances on the store pass it (shared mode only). */
  instances?: InstanceInbox;
}

/** What the CSP bindings tell the SMS gateway of the sessions it serves. */
export interface SmsSessions {
  /** The session sent a request over HTTP: it is reachable without SMS for now. */
  seenOverHttp(sessionId: string): void;
}

/** The CIR channels as ClientCapability and the session layer see them. */
export interface CirService {
  /** The SupportedCIRMethod values this server can use. */
  readonly enabled: ReadonlySet<string>;
  /** The port the STCP listener is bound to, when STCP is on. */
  readonly tcpPort?: number;
  /** Starts waking the session as its record's `cir` says (replacing the `previous` agreement),
   * or stops when it has none. */
  agreed(session: SessionRecord, previous?: SessionCir): Promise<void>;
  /** The session was answered (it heard of what waits): the 1.3 CIR flag, false while no agreed
   * method could reach it; undefined for a session without CIR. */
  answered(sessionId: string): boolean | undefined;
}

/** The primitives the server answers, found by name (`session/registry.ts`). */
export interface PrimitiveRegistry {
  /** The module answering `name` in `version`, if any. */
  primitive(name: string, version: CspVersion): PrimitiveModule | undefined;
  /** Every primitive registered, in the order the elements registered them. */
  primitives(): PrimitiveModule[];
  /** The handler of acknowledgements queued under `name`. */
  ack(name: string): AckModule | undefined;
  /** Function leaves implemented for a version, as `Feature/Group/LEAF` keys. */
  implemented(version: CspVersion): Set<string>;
  /** The `Feature/Group/LEAF` key of the leaf a module needs agreed, if it needs one. */
  functionKey(module: PrimitiveModule): string | undefined;
}

/**
 * A service element as the server runs it: made once per server (`createPresence(server,
 * hooks)`, …) with its storage and its state, and wired to the other elements through its
 * `hooks` by `services/mod.ts`.
 */
export interface ServiceElement {
  /** The element's name, as its folder under `src/services/` is named. */
  readonly name: string;
  /** One module per primitive the element answers. */
  readonly modules: readonly PrimitiveModule[];
  /** Handlers of the client's acknowledgements of what the element sends. */
  readonly acks?: readonly AckModule[];
  /** HTTP routes the element serves besides `POST /csp` (shared content). */
  routes?(app: Hono): void;
  /** Stops the element's background work (timers) before the store closes. */
  close?(): Promise<void>;
  /**
   * Where the element keeps what belongs to a user, for removing the account (see
   * `services/accounts.ts`): read from the store alone, in the order to delete, the entries it
   * reads to find the rest (indexes) last, so that a removal cut short finds the rest again.
   */
  userData?(userId: string): Promise<UserDataSpec[]>;
}

/** Where a user's data lies: under a key prefix (the key itself included), or, where nothing
 * indexes it by user, among the keys under `scan` whose part number `part` is the user. */
export type UserDataSpec = { prefix: Deno.KvKey } | { scan: Deno.KvKey; part: number };

export interface RequestContext {
  server: ServerContext;
  version: CspVersion;
  transactionId: string;
  /** The IP address the request came from, when the transport knows it. */
  clientAddress?: string;
  /** The caller's session; always set for primitives that need one. */
  session?: SessionRecord;
  /** Set by a handler that ended the caller's session (Logout): the answer carries no Poll. */
  sessionEnded?: boolean;
  /** Set by a handler that has just looked at what is due for the session (Polling-Request):
   * whether anything is left, which spares the answer's Poll flag a second look. */
  deliverableLeft?: boolean;
  /** What the transport knows of where the request was sent. */
  origin?: RequestOrigin;
}

/** Where a request was sent, as the transport saw it (absent in-process). */
export interface RequestOrigin {
  /** The URL the request was sent to: its origin and host are what the client can reach. */
  url?: string;
  /** The `MSISDN` header an operator's gateway adds (believed only if configured). */
  msisdn?: string;
  /** `SMS`: the request came as SMS through the gateway (the SMS binding), so answers and what
   * the session is handed go back as SMS; absent: over HTTP. */
  bearer?: "SMS";
}

/**
 * What a handler answers: a primitive (sent as the Response transaction of the request),
 * explicit transactions (Polling-Request hands out server-originated Requests), or nothing.
 */
export type HandlerReply = Primitive | CspTransaction[] | null;

/** Where a primitive sits in the Service negotiation tree (digest §2.2), e.g.
 * `["FundamentalFeat", "ServiceFunc", "GETSPI"]`. */
export type FunctionPath = readonly [feature: string, functionGroup: string, leaf: string];

export interface PrimitiveModule {
  /** The request element name, e.g. `Login-Request`. */
  name: string;
  /** Whether the primitive runs without a session (Login, GetSPInfo, version discovery). */
  sessionless?: boolean;
  /** The function leaf that must be agreed to use it; session-management primitives have none. */
  function?: FunctionPath;
  /** Leaves the service delivers with server-originated transactions around this primitive
   * (NewMessage, MessageNotification): listed in the Functions tree, never checked on requests. */
  serverFunctions?: readonly FunctionPath[];
  /** CSP versions that define it; all when absent. */
  versions?: readonly CspVersion[];
  /** What a request costs of the per-user rate limits (messages, recipients, searches, …) besides
   * the request itself; checked before `handle`, answered 503 when over. */
  charges?(body: ElementObject): readonly RateCharge[];
  /** Answers the request. `body` is the request's content as the client sent it, decoded by
   * schema but unchecked: read it with the tolerant readers of `session/values.ts`. */
  handle(ctx: RequestContext, body: ElementObject): Promise<HandlerReply>;
}

/**
 * Runs when the client acknowledges a server-originated transaction queued with `ackHandler`.
 * It may write on its own, or return its writes: then they are committed together with the
 * entry's removal (and the other acknowledgements of the same message), in one commit.
 */
export interface AckModule {
  name: string;
  onAck(ctx: RequestContext, entry: OutboxEntry, answer: Primitive): Promise<AckWork | void>;
}

/** What an acknowledgement changes: mutations, and work to do once they are committed. */
export interface AckWork {
  /** May hold checks: if one fails, none of them is applied (and `afterCommit` does not run),
   * while the entry is still taken off the queue. */
  mutations: Mutation[];
  afterCommit?: () => Promise<void>;
}
