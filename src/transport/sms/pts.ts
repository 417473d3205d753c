/**
 * One PTS exchange, whichever the bearer (an HTTP body, or a message put together from SMS): read
 * the text into a CSP message, run it through the dispatcher like any other, and write the answer
 * back as PTS, one message per transaction.
 *
 * The one thing PTS needs that XML does not: transaction ids of 0–999. A server-originated
 * transaction is written under a number given for the session, and the client's answer to that
 * number is read back as the server's own id (store/sms.ts).
 */
import { CspCodecError, decodeCsp } from "../../codec/csp/envelope.ts";
import type { CspMessage } from "../../codec/csp/message.ts";
import {
  decodePts,
  DEFAULT_PTS_LIMITS,
  encodePts,
  PREAMBLE,
  PTS_TRANSACTION_ID,
  PtsEncodeError,
  type PtsLimits,
  PtsSyntaxError,
} from "../../codec/sms/mod.ts";
import { log } from "../../observe/log.ts";
import { dispatch } from "../../session/dispatcher.ts";
import type { RequestOrigin } from "../../session/handler.ts";
import type { ServerContext } from "../../session/handler.ts";
import { status } from "../../session/status.ts";
import type { SmsRepo } from "../../store/sms.ts";

export interface PtsExchange {
  /** The request as read (absent when it was not a CSP message: then `answers` is a Status). */
  request?: CspMessage;
  /** The dispatcher's answer. */
  reply: CspMessage | null;
  /** The answer written as PTS messages, one per transaction. */
  answers: string[];
}

export interface PtsExchangeOptions {
  /** The IP address an HTTP body came from. */
  clientAddress?: string;
  limits?: PtsLimits;
  /** What the bearer knows of the request: an HTTP request's URL and headers, or `SMS`. */
  origin?: RequestOrigin;
}

/**
 * Runs one PTS message. Broken text with a readable preamble is answered with a Status for its
 * transaction (505 for a version not spoken); throws PtsSyntaxError when there is no preamble to
 * answer: the caller says so in its own way.
 */
export async function exchangePts(
  server: ServerContext,
  numbers: SmsRepo,
  text: string,
  options: PtsExchangeOptions = {},
): Promise<PtsExchange> {
  const { clientAddress, limits = DEFAULT_PTS_LIMITS, origin } = options;
  let request: CspMessage;
  try {
    request = decodeCsp(decodePts(text, limits));
  } catch (error) {
    if (error instanceof CspCodecError) {
      return refused(error.version ?? "1.2", error.transactionId, error.status, error.message);
    }
    const preamble = error instanceof PtsSyntaxError ? PREAMBLE.exec(text) : null;
    if (!preamble) throw error;
    const [, version, , tid] = preamble;
    const known = (["1.1", "1.2", "1.3"] as const).find((v) => v.replace(".", "") === version);
    const { status: code, message } = error as PtsSyntaxError;
    return refused(known ?? "1.2", tid, code, message);
  }
  const sessionId = request.sessionType === "Inband" ? request.sessionId : undefined;
  if (sessionId) {
    for (const tx of request.transactions) {
      if (tx.mode !== "Response" || tx.transactionId === undefined) continue;
      tx.transactionId = await numbers.transactionId(sessionId, tx.transactionId) ??
        tx.transactionId;
    }
  }
  server.metrics.cspMessage("SMS", request.version);
  const reply = await dispatch(server, request, clientAddress, origin);
  return { request, reply, answers: reply ? await writeAnswer(numbers, reply) : [] };
}

/** A Status answering a transaction that could not be run. */
function refused(
  version: CspMessage["version"],
  transactionId: string | undefined,
  code: number,
  description: string,
): PtsExchange {
  const reply: CspMessage = {
    version,
    sessionType: "Outband",
    transactions: [{
      mode: "Response",
      transactionId: transactionId ?? "0",
      primitive: status(code, description),
    }],
  };
  return { reply, answers: encodePts(reply) };
}

/** The answer as PTS: server-originated transactions numbered first. A transaction PTS cannot
 * carry (none the server sends) is left out rather than fail the others. */
export async function writeAnswer(numbers: SmsRepo, reply: CspMessage): Promise<string[]> {
  const sessionId = reply.sessionId;
  const unnumbered = reply.transactions.filter((tx) =>
    tx.mode === "Request" && !PTS_TRANSACTION_ID.test(tx.transactionId ?? "")
  );
  if (sessionId && unnumbered.length > 0) {
    const given = await numbers.number(sessionId, unnumbered.map((tx) => tx.transactionId ?? ""));
    unnumbered.forEach((tx, i) => tx.transactionId = given[i]);
  }
  const answers: string[] = [];
  for (const tx of reply.transactions) {
    try {
      answers.push(...encodePts({ ...reply, transactions: [tx] }));
    } catch (error) {
      if (!(error instanceof PtsEncodeError)) throw error;
      log.error(`PTS: ${tx.primitive.name} left out of an answer: ${error.message}`);
    }
  }
  return answers;
}
