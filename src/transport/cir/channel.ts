/**
 * What every CIR channel shares (digest §5.2): a CIR only tells the client "something waits, poll
 * now" with a `WVCI <version> <SessionCookie>` text; the data itself waits in the session's outbox
 * until the client polls and acknowledges it, whatever happens to the wake-up.
 */
import type { CirEntry } from "../../store/cir.ts";

/** The capability extension a browser offers to be woken over a WebSocket (`GET /cir/ws`). */
export const WEBSOCKET_METHOD = "X-WEBSOCKET";

/** The SupportedCIRMethod values this server knows, CSP's and its own extension. */
export type CirMethod =
  | "STCP"
  | "SHTTP"
  | "SUDP"
  | "WAPUDP"
  | "WAPSMS"
  | "SSMS"
  | typeof WEBSOCKET_METHOD;

/** A session to wake: who, in which version, and the methods and addresses it agreed. */
export type WakeTarget = CirEntry;

export interface CirChannel {
  readonly method: CirMethod;
  /**
   * Sends `line` (the WVCI text, without line end) to the session. False when this channel
   * cannot reach it now (no live connection, no budget left, the gateway refused): the next
   * agreed method is tried.
   */
  wake(target: WakeTarget, line: string): Promise<boolean>;
  /** The session ended or agreed anew: its connections, if any, go. */
  forget?(sessionId: string): void;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/** What the channels ask of the dispatcher that owns them. */
export interface CirHost {
  /** The session, if it is valid and agreed `method`; the channel's own lookup for HELO. */
  target(sessionId: string, method: CirMethod): Promise<WakeTarget | undefined>;
  /** The session whose agreement holds `token` (its SHTTP URL), if it is still valid. */
  targetByToken(token: string): Promise<WakeTarget | undefined>;
  /** Whether something waits for the session now. */
  waiting(sessionId: string): Promise<boolean>;
  /** The client reached the channel (HELO, a GET of its URL): its CIR works. */
  connected(sessionId: string): void;
}

/** Printable ASCII without spaces: a cookie that keeps `WVCI` three fields and one line. */
const COOKIE_RE = /^[\x21-\x7e]{1,100}$/;

/** The WVCI text of a wake-up (digest §5.2); a cookie that would break the line shows as `-`. */
export function wvciLine(target: WakeTarget): string {
  const cookie = target.cookie !== undefined && COOKIE_RE.test(target.cookie) ? target.cookie : "-";
  return `WVCI ${target.version} ${cookie}`;
}

/** A session id as this server issues them (`randomHex(16)`): anything else is not looked up. */
export const SESSION_ID_RE = /^[0-9a-f]{32}$/;
