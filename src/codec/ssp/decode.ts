/** Reading an SSP message from bytes: the envelope is checked, primitives are kept as trees. */
import type { XmlElement, XmlLimits, XmlTreeSource } from "../xml/tree.ts";
import { PEER_ID, type SspMessage, type SspMode, type SspTransaction } from "./message.ts";
import { SspError } from "./message.ts";

const SSP_NAMESPACE_PREFIX = "http://www.openmobilealliance.org/DTD/WV-SSP";
/** Transactions one Session element may carry. */
export const MAX_TRANSACTIONS = 32;

/** Decodes an SSP message; throws SspError (or the tree source's XmlError) when malformed. */
export function decodeSsp(input: Uint8Array, parse: XmlTreeSource, limits: XmlLimits): SspMessage {
  const root = parse(input, limits);
  if (root.name !== "WV-SSP-Message") {
    throw new SspError(`root element is ${root.name}, not WV-SSP-Message`);
  }
  const ns = root.attrs.xmlns;
  if (ns !== undefined && !ns.startsWith(SSP_NAMESPACE_PREFIX)) {
    throw new SspError(`unknown SSP namespace ${ns.slice(0, 80)}`);
  }
  if (root.children.length !== 1) {
    throw new SspError("WV-SSP-Message must hold one SetupTransaction or Session");
  }
  const body = root.children[0];
  if (body.name === "SetupTransaction") return { kind: "setup", transaction: transaction(body) };
  if (body.name !== "Session") throw new SspError(`unexpected element ${body.name}`);
  const sessionId = body.attrs.sessionID?.trim();
  if (sessionId === undefined || !PEER_ID.test(sessionId)) {
    throw new SspError("Session without a valid sessionID");
  }
  const transactions = body.children.map((t) => {
    if (t.name !== "Transaction") throw new SspError(`unexpected element ${t.name} in Session`);
    return transaction(t);
  });
  if (transactions.length === 0) throw new SspError("Session without a Transaction");
  if (transactions.length > MAX_TRANSACTIONS) {
    throw new SspError(`more than ${MAX_TRANSACTIONS} transactions in one message`);
  }
  return { kind: "session", sessionId, transactions };
}

function transaction(element: XmlElement): SspTransaction {
  const mode = modeOf(element.attrs.mode);
  const transactionId = element.attrs.transactionID?.trim();
  if (transactionId === undefined || !PEER_ID.test(transactionId)) {
    throw new SspError(`${element.name} without a valid transactionID`);
  }
  if (element.children.length !== 1) {
    throw new SspError(`${element.name} must hold exactly one primitive`);
  }
  return { mode, transactionId, primitive: element.children[0] };
}

function modeOf(raw: string | undefined): SspMode {
  const mode = raw?.trim().toLowerCase();
  if (mode === "request") return "Request";
  if (mode === "response") return "Response";
  throw new SspError(`transaction mode must be Request or Response, got ${raw?.slice(0, 20)}`);
}
