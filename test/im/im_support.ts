/** Message-shaped XML for the IM conversations, written by hand as a client would send it. */
import assert from "node:assert/strict";
import type { CspTransaction, ElementObject } from "../../src/codec/csp/message.ts";
import type { CspClient, Reply } from "../support/harness.ts";
import { at, element } from "../support/body_reader.ts";

export interface SendOptions {
  report?: boolean;
  encoding?: string;
  contentType?: string;
  validity?: number;
  /** Extra Recipient children, raw. */
  recipients?: string;
  sender?: string;
}

const escapeXml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function sendMessageXml(to: string[], text: string, options: SendOptions = {}): string {
  const users = to.map((u) => `<User><UserID>${u}</UserID></User>`).join("");
  const sender = options.sender
    ? `<Sender><User><UserID>${options.sender}</UserID></User></Sender>`
    : "";
  return `<SendMessage-Request><DeliveryReport>${options.report ? "T" : "F"}</DeliveryReport>` +
    `<MessageInfo><ContentType>${options.contentType ?? "text/plain"}</ContentType>` +
    (options.encoding ? `<ContentEncoding>${options.encoding}</ContentEncoding>` : "") +
    `<Recipient>${users}${options.recipients ?? ""}</Recipient>${sender}` +
    (options.validity !== undefined ? `<Validity>${options.validity}</Validity>` : "") +
    `</MessageInfo><ContentData>${escapeXml(text)}</ContentData></SendMessage-Request>`;
}

export async function send(
  from: CspClient,
  to: string[],
  text: string,
  options: SendOptions = {},
): Promise<Reply> {
  return await from.send(sendMessageXml(to, text, options));
}

/** Sends and insists on 200; returns the MessageID. */
export async function sendOk(
  from: CspClient,
  to: string[],
  text: string,
  options: SendOptions = {},
): Promise<string> {
  const reply = await send(from, to, text, options);
  assert.equal(reply.primitive.name, "SendMessage-Response", reply.text);
  assert.equal(reply.code, 200, reply.text);
  return String(reply.body.MessageID);
}

/** One Polling-Request; the server-originated transactions it hands out. */
export async function poll(client: CspClient): Promise<CspTransaction[]> {
  const reply = await client.send("<Polling-Request/>", { transactionId: "" });
  return reply.empty ? [] : reply.message!.transactions;
}

/** Polls once and expects exactly one transaction of the given primitive. */
export async function pollOne(client: CspClient, primitive: string): Promise<CspTransaction> {
  const txs = await poll(client);
  assert.equal(txs.length, 1, `expected one ${primitive}, got ${txs.map((t) => t.primitive.name)}`);
  assert.equal(txs[0].primitive.name, primitive);
  assert.equal(txs[0].mode, "Request");
  return txs[0];
}

/** Answers a NewMessage with MessageDelivered, as the spec's Response transaction. */
export async function ackDelivered(client: CspClient, tx: CspTransaction): Promise<Reply> {
  return await client.send(
    `<MessageDelivered><MessageID>${infoOf(tx).MessageID}</MessageID></MessageDelivered>`,
    { mode: "Response", transactionId: tx.transactionId },
  );
}

/** Acknowledges a server-originated request with Status 200. */
export async function ackStatus(client: CspClient, tx: CspTransaction): Promise<Reply> {
  return await client.send("<Status><Result><Code>200</Code></Result></Status>", {
    mode: "Response",
    transactionId: tx.transactionId,
  });
}

export function infoOf(tx: CspTransaction): ElementObject {
  return element(tx.primitive.body, "MessageInfo");
}

export const senderOf = (info: ElementObject) => at(info, "Sender", "User", "UserID");

export { resultCode } from "../support/body_reader.ts";
