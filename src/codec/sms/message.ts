/**
 * Whole PTS messages and the CSP envelope: reading one into the element tree the XML reader
 * builds (so `decodeCsp` and the service elements take it as they take XML), and writing each
 * transaction of a CSP message as one PTS message.
 */
import type { CspMessage, CspTransaction, CspVersion } from "../csp/message.ts";
import { CspCodecError } from "../csp/envelope.ts";
import { elementModel } from "../csp/schema.ts";
import { NAMESPACES } from "../csp/versions.ts";
import type { XmlElement } from "../xml/tree.ts";
import { primitiveOfCode, transactionCode, transactionMode } from "./codes.ts";
import {
  DEFAULT_PTS_LIMITS,
  parsePts,
  type PtsLimits,
  type PtsValue,
  type PtsVersion,
  writePts,
} from "./syntax.ts";
import { bodyToParams, paramsToElements, PtsContentError } from "./tree.ts";

const CSP_VERSION: Record<PtsVersion, CspVersion> = {
  "11": "1.1",
  "12": "1.2",
  "13": "1.3",
  // Version discovery names no version; its answer lists them all.
  XX: "1.2",
};
const PTS_VERSION: Record<CspVersion, PtsVersion> = { "1.1": "11", "1.2": "12", "1.3": "13" };
const VERSION_DISCOVERY = /^WV-CSP-VersionDiscovery-/;
/** What the preamble can carry as a transaction id. */
export const PTS_TRANSACTION_ID = /^(?:0|[1-9][0-9]{0,2})$/;

/**
 * Reads a PTS message into a `WV-CSP-Message` tree. Throws PtsSyntaxError when the text is not a
 * PTS message, and CspCodecError (400, with the version and transaction id, so that the answer
 * can be a Status) when it is one whose content makes no primitive.
 */
export function decodePts(text: string, limits: PtsLimits = DEFAULT_PTS_LIMITS): XmlElement {
  const pts = parsePts(text, limits);
  const version = CSP_VERSION[pts.version];
  const fail = (message: string) => {
    const error = new CspCodecError(400, message);
    error.version = version;
    error.transactionId = pts.transactionId;
    return error;
  };
  const primitive = primitiveOfCode(pts.code);
  if (!primitive) throw fail(`unknown transaction code ${pts.code}`);
  const carriesSessionId = elementModel(primitive)?.childByName.has("SessionID") ?? false;
  let sessionId: string | undefined;
  const params: [string, PtsValue][] = [];
  for (const [name, value] of pts.params) {
    if (name.toUpperCase() === "SI" && !carriesSessionId) {
      if (typeof value !== "string") throw fail("SI takes a session id");
      sessionId = value;
    } else params.push([name, value]);
  }
  let content: XmlElement[];
  try {
    content = paramsToElements(primitive, params);
  } catch (error) {
    if (error instanceof PtsContentError) throw fail(error.message);
    throw error;
  }
  const namespaces = NAMESPACES[version];
  const descriptor = [leaf("SessionType", sessionId === undefined ? "Outband" : "Inband")];
  if (sessionId !== undefined) descriptor.push(leaf("SessionID", sessionId));
  return node("WV-CSP-Message", [
    node("Session", [
      node("SessionDescriptor", descriptor),
      node("Transaction", [
        node("TransactionDescriptor", [
          leaf("TransactionMode", transactionMode(primitive)),
          leaf("TransactionID", pts.transactionId),
        ]),
        node("TransactionContent", [node(primitive, content)], { xmlns: namespaces.trc }),
      ]),
    ]),
  ], { xmlns: namespaces.csp });
}

/** A message the SMS binding cannot carry (a primitive without code, a transaction id that is not
 * 0–999). */
export class PtsEncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PtsEncodeError";
  }
}

/**
 * Writes each transaction as one PTS message. Poll and CIR flags have no place in PTS (the
 * Android reader refuses parameters it does not know), nor do attributes.
 */
export function encodePts(message: CspMessage): string[] {
  return message.transactions.map((tx) => encodeTransaction(message, tx));
}

function encodeTransaction(message: CspMessage, tx: CspTransaction): string {
  const { name, body } = tx.primitive;
  const code = transactionCode(name);
  if (!code) throw new PtsEncodeError(`${name} has no SMS transaction code`);
  const transactionId = tx.transactionId || "0";
  if (!PTS_TRANSACTION_ID.test(transactionId)) {
    throw new PtsEncodeError(`transaction id "${transactionId}" is not 0-999`);
  }
  const params: [string, PtsValue][] = [];
  const carriesSessionId = elementModel(name)?.childByName.has("SessionID") ?? false;
  if (message.sessionType === "Inband" && message.sessionId && !carriesSessionId) {
    params.push(["SI", message.sessionId]);
  }
  params.push(...bodyToParams(name, body));
  return writePts({
    version: VERSION_DISCOVERY.test(name) ? "XX" : PTS_VERSION[message.version],
    code,
    transactionId,
    params,
  });
}

function node(name: string, children: XmlElement[], attrs: Record<string, string> = {}) {
  return { name, attrs, children, text: "" };
}

function leaf(name: string, text: string): XmlElement {
  return { name, attrs: {}, children: [], text };
}
