/**
 * A handset: a CSP client that sends what one real engine sends, in its order, with its
 * transaction ids, its encoding and its way of answering what the server sends. The engines'
 * own steps (login, negotiation, contact lists, …) are in profiles.ts.
 */
import assert from "node:assert/strict";
import type { CspTransaction, CspVersion } from "../../src/codec/csp/message.ts";
import { decodeCsp } from "../../src/codec/csp/mod.ts";
import { parseXmlFxp } from "../support/xml_fxp.ts";
import { DEFAULT_XML_LIMITS } from "../../src/codec/xml/tree.ts";
import { NS, Reply, type Transport } from "../support/harness.ts";
import type { Waiting } from "./cir.ts";
import { type Encoding, encodingFor } from "./encoding.ts";
import type { HandsetProfile } from "./profiles.ts";
import type { Enabled } from "./service_tree.ts";

export interface SendOptions {
  mode?: "Request" | "Response";
  transactionId?: string;
}

export abstract class Handset {
  sessionId?: string;
  /** What the engine enabled after reading the Service-Response. */
  enabled?: Enabled;
  /** How it learns of server-originated transactions (from the CIR agreement). */
  waiting?: Waiting;
  readonly encoding: Encoding;
  /** Every Request transaction the server handed out, in order. */
  readonly received: CspTransaction[] = [];
  /** Transaction ids this handset used, in order. */
  readonly sentIds: string[] = [];

  constructor(
    readonly profile: HandsetProfile,
    readonly name: string,
    private readonly transport: Transport,
    readonly domain: string,
  ) {
    this.encoding = encodingFor(profile.nativeEncoding);
  }

  get version(): CspVersion {
    return this.profile.version;
  }

  /** The user's id as the server stores it. */
  get userId(): string {
    return `wv:${this.name}@${this.domain}`;
  }

  /** A user id as this engine writes it (own or another's). */
  abstract idOf(name: string, domain?: string): string;

  /** The engine's next transaction id. */
  protected abstract nextTransactionId(): string;

  /** The TransactionID of the engine's Polling-Request. */
  protected pollTransactionId(): string {
    return this.nextTransactionId();
  }

  /** Posts one transaction in this engine's envelope and encoding. */
  async send(primitiveXml: string, options: SendOptions = {}): Promise<Reply> {
    const transactionId = options.transactionId ?? this.nextTransactionId();
    if (options.mode !== "Response") this.sentIds.push(transactionId);
    const ns = NS[this.version];
    const descriptor = this.sessionId
      ? `<SessionType>Inband</SessionType><SessionID>${this.sessionId}</SessionID>`
      : "<SessionType>Outband</SessionType>";
    const xml = `<?xml version="1.0" encoding="UTF-8"?>` +
      `<WV-CSP-Message xmlns="${ns.csp}"><Session><SessionDescriptor>${descriptor}` +
      `</SessionDescriptor><Transaction><TransactionDescriptor><TransactionMode>` +
      `${options.mode ?? "Request"}</TransactionMode><TransactionID>${transactionId}` +
      `</TransactionID></TransactionDescriptor><TransactionContent xmlns="${ns.trc}">` +
      `${primitiveXml}</TransactionContent></Transaction></Session></WV-CSP-Message>`;
    const http = await this.transport(
      this.encoding.encode(xml, this.version),
      this.encoding.contentType(this.version),
    );
    // Android's engine: any status but 200 is a transport error.
    assert.equal(http.status, 200, `${this.profile.id}: HTTP ${http.status}`);
    const body = new Uint8Array(await http.arrayBuffer());
    const text = body.length === 0 ? "" : this.encoding.decode(body, this.version);
    if (text === "") {
      // An empty answer is only fit for a poll or an acknowledgement, with Content-Length 0.
      assert.ok(
        options.mode === "Response" || primitiveXml.startsWith("<Polling-Request"),
        `${this.profile.id}: empty answer to ${primitiveXml.slice(0, 40)}`,
      );
      // Android's engine takes an empty answer only with Content-Length 0 (not chunked).
      assert.equal(http.headers.get("content-length"), "0", `${this.profile.id}: empty answer`);
    }
    const message = text
      ? decodeCsp(parseXmlFxp(new TextEncoder().encode(text), DEFAULT_XML_LIMITS))
      : null;
    const reply = new Reply(http, text, message);
    if (message) {
      assert.equal(message.version, this.version, "answered in the client's version");
    }
    return reply;
  }

  /**
   * One round of polling as the engine does it: a Polling-Request, each transaction handed out
   * acknowledged the engine's way (and acted on, see `onServerRequest`), again while the server
   * says Poll T. Returns what was handed out.
   */
  async poll(): Promise<CspTransaction[]> {
    const out: CspTransaction[] = [];
    for (let round = 0; round < 20; round++) {
      const reply = await this.send("<Polling-Request/>", {
        transactionId: this.pollTransactionId(),
      });
      if (reply.empty) return out;
      for (const tx of reply.message!.transactions) {
        assert.equal(tx.mode, "Request");
        out.push(tx);
        this.received.push(tx);
        const ack = await this.send(this.acknowledgement(tx), {
          mode: "Response",
          transactionId: tx.transactionId,
        });
        assert.ok(ack.empty, `${this.profile.id}: acknowledgement answered ${ack.text}`);
        await this.onServerRequest(tx);
      }
      if (reply.poll !== true) return out;
    }
    throw new Error(`${this.profile.id}: the server kept saying Poll T`);
  }

  /** Polls until a transaction named `name` matching `wanted` has come; returns it. */
  async pollFor(
    name: string,
    wanted: (tx: CspTransaction) => boolean = () => true,
  ): Promise<CspTransaction> {
    for (let i = 0; i < 50; i++) {
      const found = (await this.poll()).find((tx) => tx.primitive.name === name && wanted(tx));
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`${this.profile.id} (${this.name}) got no ${name}`);
  }

  /** The engine's answer to a server-originated transaction. */
  protected acknowledgement(tx: CspTransaction): string {
    if (tx.primitive.name === "NewMessage") {
      return `<MessageDelivered><MessageID>${tx.primitive.body.MessageID}</MessageID></MessageDelivered>`;
    }
    return "<Status><Result><Code>200</Code></Result></Status>";
  }

  /** What the engine does after acknowledging a server request (answers PresenceAuth, …). */
  protected async onServerRequest(_tx: CspTransaction): Promise<void> {}

  async logout(): Promise<Reply> {
    const reply = await this.send("<Logout-Request/>");
    this.sessionId = undefined;
    return reply;
  }

  // The engine's own steps.
  abstract login(password: string): Promise<Reply>;
  abstract negotiate(): Promise<void>;
  abstract publishOnline(): Promise<void>;
  abstract addContact(other: Handset, nick: string): Promise<void>;
  abstract allowToWatch(other: Handset): Promise<void>;
  abstract setStatus(text: string): Promise<Reply>;
  abstract sendText(to: Handset, text: string): Promise<Reply>;
  abstract joinGroup(groupId: string): Promise<Reply>;
  abstract keepAlive(): Promise<Reply>;
}
