/**
 * What a service element plugs into the session layer: one module per primitive, found by the
 * primitive's element name, plus handlers for the client's acknowledgements of
 * server-originated transactions.
 */
import type { CspTransaction, CspVersion, ElementObject, Primitive } from "../codec/csp/message.ts";
import type { RateCharge } from "./rates.ts";
import type { Mutation } from "../store/kv.ts";
import type { OutboxEntry } from "../store/outbox.ts";
import type { SessionRecord } from "../store/sessions.ts";
import type { ServerContext } from "./server_context.ts";

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
