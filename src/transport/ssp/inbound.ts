/**
 * The inbound half of an SSP connection pair: a POST of type `application/vnd.wv.ssp+xml` on any
 * path of the server's HTTP listener (`/ssp`, or `/` where Baraza posts), which
 * keeps connections alive and answers pipelined requests in order. Every POST is checked — the
 * content type, the x-wv-* headers (read with the core's head scanner, so dispatching never waits
 * for XML), the size and the envelope — and then answered at once with an empty 200, the "dummy
 * reply" (seed §5.1); the receiver does the work afterwards and sends any SSP response as its own
 * POST on the other connection of the pair.
 */
import type { Context, Hono } from "hono";
import type { Core } from "../../core/mod.ts";
import { decodeSsp } from "../../codec/ssp/decode.ts";
import { PEER_ID, SSP_CONTENT_TYPE, SspError, type SspMessage } from "../../codec/ssp/message.ts";
import { XmlError, type XmlLimits } from "../../codec/xml/tree.ts";
import { limitBody } from "../body_limit.ts";
import { routeFor } from "../bindings.ts";

export interface InboundPost {
  /** The W3C trace context of the sender's span (from another server of ours), when sent. */
  traceparent?: string;
  /** x-wv-transactionid, when sent. */
  transactionId?: string;
  /** x-wv-sessionid, when sent. */
  sessionId?: string;
  message: SspMessage;
}

/** Why a POST is not taken: an HTTP status (and a redirect target for 3xx). */
export interface Refusal {
  status: 307 | 400 | 403 | 404 | 503;
  reason: string;
  location?: string;
}

export interface SspReceiver {
  /** Takes the POST (undefined: answer the dummy 200) or refuses it; never throws. */
  accept(post: InboundPost): Promise<Refusal | undefined>;
}

export interface InboundOptions {
  core: Promise<Core>;
  limits: XmlLimits;
  receiver: SspReceiver;
}

export function registerSspRoute(app: Hono, options: InboundOptions): void {
  const limit = limitBody({
    maxSize: options.limits.maxBytes,
    onError: (c) => c.text("SSP message too large", 413),
  });
  // `/ssp` is SSP's own path whatever the type (a wrong one gets 415); elsewhere the type tells.
  app.post("/ssp", limit, (c) => handle(c, options));
  app.post("*", routeFor("ssp", limit, (c) => handle(c, options)));
}

async function handle(c: Context, options: InboundOptions): Promise<Response> {
  const receiver = options.receiver;
  const type = c.req.header("content-type")?.split(";")[0].trim().toLowerCase();
  if (type !== SSP_CONTENT_TYPE) return c.text(`Content-Type must be ${SSP_CONTENT_TYPE}`, 415);

  const core = await options.core;
  const headers = scanHeaders(
    core,
    c.req.header("x-wv-transactionid"),
    c.req.header("x-wv-sessionid"),
  );
  if (typeof headers === "string") return c.text(headers, 400);

  let message: SspMessage;
  try {
    message = decodeSsp(new Uint8Array(await c.req.arrayBuffer()), core.parseXml, options.limits);
  } catch (error) {
    if (error instanceof SspError || error instanceof XmlError) {
      return c.text(`Malformed SSP message: ${error.message}`, 400);
    }
    throw error;
  }
  const mismatch = checkHeaders(headers, message);
  if (mismatch) return c.text(mismatch, 400);

  const traceparent = c.req.header("traceparent");
  const refusal = await receiver.accept({ ...headers, message, traceparent });
  if (refusal) {
    if (refusal.location) c.header("Location", refusal.location);
    return c.text(refusal.reason, refusal.status);
  }
  return c.body(null, 200);
}

/**
 * The x-wv-* headers through the head scanner, which finds them in one pass over the head bytes
 * and checks them against the binding's grammar; values outside it are still taken when they
 * have the shape Baraza sends (PEER_ID). Returns the values, or why they are refused.
 */
function scanHeaders(
  core: Core,
  transactionId: string | undefined,
  sessionId: string | undefined,
): { transactionId?: string; sessionId?: string } | string {
  let head = "POST /ssp HTTP/1.1\r\nContent-Length: 0\r\n";
  for (
    const [name, value] of [["x-wv-transactionid", transactionId], ["x-wv-sessionid", sessionId]]
  ) {
    if (value === undefined) continue;
    // Deno hands over header values already free of CR and LF; anything else non-ASCII is refused.
    if (!/^[\x20-\x7e]*$/.test(value)) return `${name} must be ASCII`;
    head += `${name}: ${value}\r\n`;
  }
  const scan = core.scanHead(new TextEncoder().encode(head + "\r\n"));
  if (!scan.complete) return `Malformed header: ${scan.error}`;
  const out: { transactionId?: string; sessionId?: string } = {};
  if (scan.transactionId !== undefined) {
    if (!scan.transactionIdValid && !PEER_ID.test(scan.transactionId)) {
      return "x-wv-transactionid must be 1*(letter | digit | _)";
    }
    out.transactionId = scan.transactionId;
  }
  if (scan.sessionId !== undefined) {
    if (!scan.sessionIdValid && !PEER_ID.test(scan.sessionId)) {
      return "x-wv-sessionid must be 1*(letter | digit | _)";
    }
    out.sessionId = scan.sessionId;
  }
  return out;
}

/**
 * Headers must agree with the body they announce: a transaction id names one of its transactions,
 * and a session message carries x-wv-sessionid (seed §5.6). Baraza's session responses carry only
 * x-wv-sessionid, its LoginRequest/LoginResponse no header at all: both are taken.
 */
function checkHeaders(
  headers: { transactionId?: string; sessionId?: string },
  message: SspMessage,
): string | undefined {
  const ids = message.kind === "setup"
    ? [message.transaction.transactionId]
    : message.transactions.map((t) => t.transactionId);
  if (headers.transactionId !== undefined && !ids.includes(headers.transactionId)) {
    return "x-wv-transactionid names no transaction of the message";
  }
  if (message.kind === "session" && headers.sessionId === undefined) {
    return "x-wv-sessionid is required inside a session";
  }
  return undefined;
}
