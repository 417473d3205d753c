/**
 * The CSP session layer: takes a decoded message, checks the session, runs each transaction's
 * primitive module, takes the client's acknowledgements of server-originated transactions, and
 * builds the answer in the client's version (or nothing, when there is nothing to say).
 */
import type { CspMessage, CspTransaction, ElementObject, Primitive } from "../codec/csp/message.ts";
import { isKnownPrimitive } from "../codec/csp/mod.ts";
import { traced, tracing } from "../observe/tracing.ts";
import { CommitConflict, type Mutation, type Store } from "../store/kv.ts";
import type { SessionRecord } from "../store/sessions.ts";
import type { HandlerReply, RequestContext, RequestOrigin, ServerContext } from "./handler.ts";
import type { RateCharge, RateKind } from "./rates.ts";
import { ProtocolError, result, status } from "./status.ts";

/** More transactions than this in one message are refused: bounded work per request. */
export const MAX_TRANSACTIONS_PER_MESSAGE = 16;

/** Logins one message may carry: each costs a password hash. */
const MAX_LOGINS_PER_MESSAGE = 1;

/** What a message was, for the access log: its request primitives and whose session it used
 * (never the SessionID). Filled in by `dispatch`. */
export interface Observed {
  /** The request primitives, comma-separated. */
  primitive?: string;
  user?: string;
}

export async function dispatch(
  server: ServerContext,
  msg: CspMessage,
  clientAddress?: string,
  origin?: RequestOrigin,
  observed?: Observed,
): Promise<CspMessage | null> {
  const now = Date.now();
  const check = msg.sessionType === "Inband"
    ? await server.sessions.check(msg.sessionId, now)
    : { state: "unknown" as const };

  if (check.state === "disconnect") {
    // The server ended this session: every transaction learns it once, then the session is gone.
    await server.sessions.end(check.session, "disconnected");
    const { code, description } = check.session.disconnect!;
    return answer(
      msg,
      msg.transactions.filter((t) => t.mode === "Request").map((t) => ({
        mode: "Request",
        transactionId: t.transactionId ?? "",
        primitive: { name: "Disconnect", body: { Result: result(code, description) } },
      })),
    );
  }

  let session = check.state === "valid"
    ? await server.sessions.touch(check.session, now)
    : undefined;
  if (observed && session) observed.user = session.userId;
  const out: CspTransaction[] = [];
  let sessionEnded = false;

  if (msg.transactions.length > MAX_TRANSACTIONS_PER_MESSAGE) {
    return answer(msg, [respond(msg.transactions[0], status(400, "Too many transactions"))]);
  }

  // Consecutive Response transactions are acknowledged together, before the next request runs.
  let acks: Promise<void>[] = [];
  /** Whether anything is due for the session, as the last transaction (a poll) left it. */
  let deliverableLeft: boolean | undefined;
  let logins = 0;
  for (const tx of msg.transactions) {
    const ctx: RequestContext = {
      server,
      version: msg.version,
      transactionId: tx.transactionId ?? "",
      clientAddress,
      session: sessionEnded ? undefined : session,
      origin,
    };
    // Whatever runs after a look may queue something more (an acknowledgement's report).
    deliverableLeft = undefined;
    if (tx.mode === "Response") {
      if (ctx.session) acks.push(acknowledge(ctx, tx.primitive));
      // An acknowledgement on no valid session is refused as a request on it would be, so a
      // client whose session is gone learns it rather than taking an empty 200 for success.
      else if (!sessionEnded) out.push(respond(tx, status(check.state === "expired" ? 600 : 604)));
      continue;
    }
    if (acks.length > 0) {
      await Promise.all(acks);
      acks = [];
    }
    const reply = tx.primitive.name === "Login-Request" && ++logins > MAX_LOGINS_PER_MESSAGE
      ? status(400, "One Login-Request per message")
      : await observe(ctx, tx, check.state, observed);
    deliverableLeft = ctx.deliverableLeft;
    if (ctx.sessionEnded) sessionEnded = true;
    if (ctx.session !== session && ctx.session) session = ctx.session;
    if (reply === null) continue;
    if (Array.isArray(reply)) out.push(...reply);
    else out.push(respond(tx, reply));
  }
  if (acks.length > 0) await Promise.all(acks);

  const live = !sessionEnded && session !== undefined;
  // Whatever the session is answered, it hears of what waits: a wake-up is due again.
  const cir = live ? server.cir?.answered(session!.id) : undefined;
  if (out.length === 0) return null;
  const reply = answer(
    msg,
    out,
    live
      ? deliverableLeft ?? await server.outbox.hasDeliverable(session!.id, Date.now())
      : undefined,
  );
  if (msg.version === "1.3" && cir !== undefined) reply.cir = cir;
  return reply;
}

/** Runs a request in a span named by its primitive, counting it by primitive and result. */
async function observe(
  ctx: RequestContext,
  tx: CspTransaction,
  sessionState: "valid" | "expired" | "unknown",
  observed: Observed | undefined,
): Promise<HandlerReply> {
  const known = isKnownPrimitive(tx.primitive.name) ? tx.primitive.name : "other";
  if (observed) observed.primitive = observed.primitive ? `${observed.primitive},${known}` : known;
  const { metrics } = ctx.server;
  const started = metrics.now();
  // Without tracing, no span's attributes nor closure are made for each transaction.
  const reply = !tracing ? await runRequest(ctx, tx, sessionState) : await traced(
    known,
    { "imps.csp.version": ctx.version },
    async (span) => {
      const reply = await runRequest(ctx, tx, sessionState);
      span?.setAttribute("imps.csp.code", resultCode(reply));
      if (ctx.session) span?.setAttribute("enduser.id", ctx.session.userId);
      return reply;
    },
  );
  metrics.transaction(known, resultCode(reply), (metrics.now() - started) / 1000);
  if (observed && !observed.user && ctx.session) observed.user = ctx.session.userId;
  return reply;
}

/** The result code a reply carries (200 for polls' transactions and empty answers). */
function resultCode(reply: HandlerReply): number {
  if (reply === null || Array.isArray(reply)) return 200;
  const result = reply.body.Result as { Code?: unknown } | undefined;
  return typeof result?.Code === "number" ? result.Code : 200;
}

async function runRequest(
  ctx: RequestContext,
  tx: CspTransaction,
  sessionState: "valid" | "expired" | "unknown",
): Promise<HandlerReply> {
  const { name, body } = tx.primitive;
  const module = ctx.server.registry.primitive(name, ctx.version);
  if (!module?.sessionless && !ctx.session) {
    return status(sessionState === "expired" ? 600 : 604);
  }
  if (!module) {
    return isKnownPrimitive(name)
      ? status(405, `${name} is not supported by this server`)
      : status(400, `Unknown primitive ${name}`);
  }
  if (tx.transactionId === undefined || (tx.transactionId === "" && name !== "Polling-Request")) {
    return status(400, "TransactionID missing");
  }
  const agreed = ctx.session?.services;
  const leaf = agreed && ctx.server.registry.functionKey(module);
  if (leaf && !agreed.includes(leaf)) {
    return status(506);
  }
  if (ctx.session) {
    const limited = overLimit(ctx, ctx.session, module.charges?.(body) ?? []);
    if (limited) return limited;
  }
  try {
    return await module.handle(ctx, body);
  } catch (error) {
    if (error instanceof ProtocolError) return status(error.code, error.message);
    throw error;
  }
}

/**
 * The request's charge against the rate limits of its session and user: 503 with the seconds
 * to wait (also as TryAgainTimeout in 1.3) when one is over.
 */
function overLimit(
  ctx: RequestContext,
  session: SessionRecord,
  charges: readonly RateCharge[],
): Primitive | undefined {
  const now = Date.now();
  let refused = overRate(ctx, "session_requests", session.id, 1, now) ??
    overRate(ctx, "user_requests", session.userId, 1, now);
  for (let i = 0; i < charges.length && !refused; i++) {
    refused = overRate(ctx, charges[i].kind, session.userId, charges[i].cost, now);
  }
  return refused;
}

/** One rate limit's charge: the 503 to answer when it is over. */
function overRate(
  ctx: RequestContext,
  kind: RateKind,
  key: string,
  cost: number,
  now: number,
): Primitive | undefined {
  const wait = ctx.server.rates.take(kind, key, cost, now);
  if (wait === 0) return undefined;
  ctx.server.metrics.limited.inc({ limit: kind });
  const answer = status(503, `Rate limit (${kind.replace("_", " ")}): try again in ${wait} s`);
  if (ctx.version === "1.3") (answer.body.Result as ElementObject).TryAgainTimeout = wait;
  return answer;
}

/**
 * A client Response transaction: the acknowledgement of something the server sent. The entry's
 * removal and what its AckModule returns go in one write; acknowledgements running together
 * share a commit through the grouper.
 */
async function acknowledge(ctx: RequestContext, answerPrimitive: Primitive): Promise<void> {
  const { outbox, registry, store } = ctx.server;
  const taken = await outbox.acknowledgement(ctx.session!.id, ctx.transactionId);
  if (!taken) return;
  const handler = taken.entry.ackHandler ? registry.ack(taken.entry.ackHandler) : undefined;
  const work = await handler?.onAck(ctx, taken.entry, answerPrimitive) ?? undefined;
  try {
    await store.write(...taken.mutations, ...work?.mutations ?? []);
  } catch (error) {
    if (!(error instanceof CommitConflict)) throw error;
    // Something changed first (the entry was replaced, or the handler's state moved on): each
    // part on its own, and a part whose check fails is already settled by someone else.
    await writeUnlessConflict(store, taken.mutations);
    if (!work || !await writeUnlessConflict(store, work.mutations)) return;
  }
  await work?.afterCommit?.();
}

/** False when a check of the mutations failed (nothing written). */
async function writeUnlessConflict(store: Store, mutations: Mutation[]): Promise<boolean> {
  try {
    await store.write(...mutations);
    return true;
  } catch (error) {
    if (error instanceof CommitConflict) return false;
    throw error;
  }
}

function respond(tx: CspTransaction, primitive: Primitive): CspTransaction {
  return { mode: "Response", transactionId: tx.transactionId ?? "", primitive };
}

function answer(msg: CspMessage, transactions: CspTransaction[], poll?: boolean): CspMessage {
  const reply: CspMessage = {
    version: msg.version,
    sessionType: msg.sessionType,
    sessionId: msg.sessionType === "Inband" ? msg.sessionId : undefined,
    transactions,
  };
  if (poll !== undefined) {
    if (msg.version === "1.1") { for (const t of transactions) t.poll = poll; }
    else reply.poll = poll;
  }
  return reply;
}
