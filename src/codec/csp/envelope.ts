/** The CSP message envelope (digest §1.1) for versions 1.1, 1.2 and 1.3. */
import type { XmlElement } from "../xml/tree.ts";
import { type ElementWriter, XmlWriter } from "../xml/write.ts";
import { bounded, ValueOutOfBounds } from "./bounds.ts";
import { decodeElement, decodeObject, type EncodeOptions, writeElement } from "./element.ts";
import type { CspMessage, CspTransaction, CspVersion } from "./message.ts";
import { elementModel } from "./schema.ts";
import { isCspNamespace, NAMESPACES, versionFromNamespace } from "./versions.ts";

/**
 * A message that is XML but not an acceptable CSP message; `status` is the CSP result code.
 * `version` and `transactionId` are set when they could be read, so the answer can be a CSP Status
 * in the client's own version.
 */
export class CspCodecError extends Error {
  version?: CspVersion;
  transactionId?: string;

  constructor(readonly status: number, message: string) {
    super(message);
    this.name = "CspCodecError";
  }
}

/** Primitives that carry no TransactionID (AOSP); every other transaction must have one. */
const WITHOUT_TRANSACTION_ID = new Set([
  "WV-CSP-VersionDiscovery-Request",
  "WV-CSP-VersionDiscovery-Response",
]);

/** Decodes a CSP message tree. Throws CspCodecError only. */
export function decodeCsp(root: XmlElement): CspMessage {
  try {
    return decodeMessage(root);
  } catch (e) {
    if (e instanceof CspCodecError) throw e;
    // A tree source without depth limits could exhaust the stack; that is still bad input.
    throw new CspCodecError(400, `undecodable message: ${e instanceof Error ? e.message : e}`);
  }
}

function decodeMessage(root: XmlElement): CspMessage {
  if (root.name !== "WV-CSP-Message") {
    throw new CspCodecError(400, `root element is ${root.name}, not WV-CSP-Message`);
  }
  const namespace = root.attrs.xmlns ?? "";
  const version = versionFromNamespace(namespace);
  if (!version) {
    throw isCspNamespace(namespace)
      ? new CspCodecError(505, `unsupported CSP version ${namespace}`)
      : new CspCodecError(400, `not a CSP namespace: "${namespace}"`);
  }
  try {
    return decodeSession(root, version);
  } catch (e) {
    if (e instanceof CspCodecError) e.version ??= version;
    throw e;
  }
}

function decodeSession(root: XmlElement, version: CspVersion): CspMessage {
  const session = required(root, "Session");
  const descriptor = required(session, "SessionDescriptor");
  const sessionType = text(required(descriptor, "SessionType"));
  if (sessionType !== "Outband" && sessionType !== "Inband") {
    throw new CspCodecError(400, `invalid SessionType "${sessionType}"`);
  }
  const message: CspMessage = { version, sessionType, transactions: [] };
  const sessionId = optional(descriptor, "SessionID");
  try {
    if (sessionId) message.sessionId = bounded("SessionID", text(sessionId));
  } catch (e) {
    if (e instanceof ValueOutOfBounds) throw outOfBounds(e, firstTransactionId(session));
    throw e;
  }
  for (const child of session.children) {
    if (child.name === "Transaction") message.transactions.push(decodeTransaction(child));
    else if (child.name === "Poll") message.poll = flag(child);
    else if (child.name === "CIR") message.cir = flag(child);
  }
  if (message.transactions.length === 0) throw new CspCodecError(400, "no Transaction");
  return message;
}

function decodeTransaction(el: XmlElement): CspTransaction {
  const descriptor = required(el, "TransactionDescriptor");
  const mode = text(required(descriptor, "TransactionMode"));
  if (mode !== "Request" && mode !== "Response") {
    throw new CspCodecError(400, `invalid TransactionMode "${mode}"`);
  }
  const id = optional(descriptor, "TransactionID");
  const content = required(el, "TransactionContent");
  if (content.children.length !== 1) {
    throw new CspCodecError(400, "TransactionContent must hold exactly one primitive");
  }
  const primitiveEl = content.children[0];
  let transactionId: string | undefined;
  try {
    transactionId = id ? bounded("TransactionID", text(id)) : undefined;
  } catch (e) {
    if (e instanceof ValueOutOfBounds) throw outOfBounds(e, "");
    throw e;
  }
  let body;
  try {
    body = decodeObject(primitiveEl);
  } catch (e) {
    // A value out of bounds refuses this transaction: the answer names it.
    if (e instanceof ValueOutOfBounds) throw outOfBounds(e, transactionId);
    throw e;
  }
  const transaction: CspTransaction = { mode, primitive: { name: primitiveEl.name, body } };
  if (transactionId !== undefined) transaction.transactionId = transactionId;
  else if (!WITHOUT_TRANSACTION_ID.has(primitiveEl.name)) {
    throw new CspCodecError(400, "missing TransactionID");
  }
  const segmentInfo = optional(descriptor, "SegmentInfo");
  if (segmentInfo) transaction.segmentInfo = decodeObject(segmentInfo);
  const poll = optional(descriptor, "Poll");
  if (poll) transaction.poll = flag(poll);
  if (Object.keys(content.attrs).length > 0) transaction.contentAttrs = { ...content.attrs };
  const extBlocks = el.children.filter((child) => child.name === "ExtBlock");
  if (extBlocks.length > 0) transaction.extBlocks = extBlocks.map((b) => decodeElement(b));
  return transaction;
}

/** Serialises a message as XML (see writeCsp). */
export function encodeCsp(message: CspMessage): string {
  const w = new XmlWriter().declaration();
  writeCsp(w, message);
  return w.toString();
}

/**
 * Writes a message with the namespaces of its version, in any encoding. `message.poll` goes
 * where the version wants it: last in Session (1.2, 1.3) or in each TransactionDescriptor that
 * has none (1.1).
 */
export function writeCsp(w: ElementWriter, message: CspMessage): void {
  const namespaces = NAMESPACES[message.version];
  const options: EncodeOptions = { version: message.version, presenceNamespace: namespaces.pa };
  w.open("WV-CSP-Message", { xmlns: namespaces.csp }).open("Session");
  w.open("SessionDescriptor").leaf("SessionType", message.sessionType);
  if (message.sessionId !== undefined) w.leaf("SessionID", message.sessionId);
  w.close("SessionDescriptor");
  const pollInDescriptor = message.version === "1.1" ? message.poll : undefined;
  for (const transaction of message.transactions) {
    writeTransaction(w, transaction, message.version, pollInDescriptor, options);
  }
  if (message.version !== "1.1" && message.poll !== undefined) w.leaf("Poll", tf(message.poll));
  if (message.cir !== undefined) w.leaf("CIR", tf(message.cir));
  w.close("Session").close("WV-CSP-Message");
}

function writeTransaction(
  w: ElementWriter,
  transaction: CspTransaction,
  version: CspVersion,
  defaultPoll: boolean | undefined,
  options: EncodeOptions,
): void {
  w.open("Transaction").open("TransactionDescriptor").leaf("TransactionMode", transaction.mode);
  if (transaction.transactionId !== undefined) w.leaf("TransactionID", transaction.transactionId);
  if (transaction.segmentInfo) {
    writeElement(w, "SegmentInfo", transaction.segmentInfo, elementModel("SegmentInfo"), options);
  }
  const poll = transaction.poll ?? defaultPoll;
  if (poll !== undefined) w.leaf("Poll", tf(poll));
  w.close("TransactionDescriptor");
  w.open("TransactionContent", { ...transaction.contentAttrs, xmlns: NAMESPACES[version].trc });
  const { name, body } = transaction.primitive;
  writeElement(w, name, body, elementModel(name), options);
  w.close("TransactionContent");
  for (const block of transaction.extBlocks ?? []) {
    writeElement(w, "ExtBlock", block, elementModel("ExtBlock"), options);
  }
  w.close("Transaction");
}

function required(parent: XmlElement, name: string): XmlElement {
  const child = optional(parent, name);
  if (!child) throw new CspCodecError(400, `missing ${name} in ${parent.name}`);
  return child;
}

function optional(parent: XmlElement, name: string): XmlElement | undefined {
  return parent.children.find((child) => child.name === name);
}

const text = (el: XmlElement) => el.text.trim();

function outOfBounds(e: ValueOutOfBounds, transactionId: string | undefined): CspCodecError {
  const error = new CspCodecError(e.status, e.message);
  error.transactionId = transactionId;
  return error;
}

/** The first transaction's id, when within its bound: what an answer to the message names. */
function firstTransactionId(session: XmlElement): string | undefined {
  const id = optional(session, "Transaction")?.children.find((c) =>
    c.name === "TransactionDescriptor"
  )
    ?.children.find((c) => c.name === "TransactionID");
  const value = id ? text(id) : undefined;
  return value !== undefined && value.length <= 128 ? value : undefined;
}
const tf = (value: boolean) => (value ? "T" : "F");

function flag(el: XmlElement): boolean {
  const value = text(el);
  if (value !== "T" && value !== "F") throw new CspCodecError(400, `invalid ${el.name} "${value}"`);
  return value === "T";
}
