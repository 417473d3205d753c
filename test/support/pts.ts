/**
 * A PTS client for tests, writing what it sends by hand as the Android engine's serializer does
 * (`WV12LR1 CI=… PW=… UI=…`) and reading the server's answers. The bearer is a function: the
 * exchange in-process, an HTTP POST, or SMS through Kannel.
 */
import assert from "node:assert/strict";
import { decodeCsp } from "../../src/codec/csp/envelope.ts";
import type { CspTransaction, ElementObject } from "../../src/codec/csp/message.ts";
import { decodePts, quote } from "../../src/codec/sms/mod.ts";
import { loginDigest, toBase64 } from "../../src/util/crypto.ts";
import { at, text } from "./body_reader.ts";

/** Sends one PTS message; resolves with the PTS messages that answer it (none for an ack). */
export type PtsBearer = (text: string) => Promise<string[]>;

/** One answer, read. */
export interface PtsAnswer {
  text: string;
  tx: CspTransaction;
  body: ElementObject;
  code?: number;
}

export function readAnswer(text: string): PtsAnswer {
  const message = decodeCsp(decodePts(text));
  const tx = message.transactions[0];
  const code = at(tx.primitive.body, "Result", "Code");
  return {
    text,
    tx,
    body: tx.primitive.body,
    code: code === undefined ? undefined : Number(code),
  };
}

export class PtsClient {
  sessionId?: string;
  #tid = 0;

  constructor(
    readonly userId: string,
    private readonly bearer: PtsBearer,
    readonly version: "11" | "12" | "13" = "12",
  ) {}

  nextTid(): string {
    this.#tid = this.#tid >= 999 ? 1 : this.#tid + 1;
    return String(this.#tid);
  }

  /** Sends `WV<vv><code><tid> SI=… <params>`; returns the answers read. */
  async send(code: string, params = "", tid = this.nextTid()): Promise<PtsAnswer[]> {
    const si = this.sessionId ? ` SI=${this.sessionId}` : "";
    const text = `WV${this.version}${code}${tid}${si}${params ? ` ${params}` : ""}`;
    return (await this.bearer(text)).map(readAnswer);
  }

  /** The one answer to a request. */
  async request(code: string, params = ""): Promise<PtsAnswer> {
    const answers = await this.send(code, params);
    assert.equal(answers.length, 1, answers.map((a) => a.text).join("\n"));
    return answers[0];
  }

  /** 2-way login, as AOSP writes it. */
  async login(password: string): Promise<PtsAnswer> {
    const answer = await this.request(
      "LR",
      `CI=JiMMY TL=600 SC=cookie PW=${quote(password)} UI=${this.userId}`,
    );
    if (answer.code === 200) this.sessionId = text(answer.body, "SessionID");
    return answer;
  }

  /** 4-way login: SHA offered, the nonce answered with its digest. */
  async loginDigest(password: string): Promise<PtsAnswer> {
    const head = `CI=JiMMY TL=600 SC=cookie`;
    const offer = await this.request("LR", `${head} SH=SHA SH=MD5 UI=${this.userId}`);
    assert.equal(offer.code, 200, offer.text);
    const nonce = text(offer.body, "Nonce") ?? "";
    const schema = offer.body.DigestSchema as "SHA" | "MD5";
    const digest = toBase64(loginDigest(schema, nonce, password));
    const answer = await this.request("LR", `${head} DB=${quote(digest)} UI=${this.userId}`);
    if (answer.code === 200) this.sessionId = text(answer.body, "SessionID");
    return answer;
  }

  /** Polls; acknowledges each server transaction with `ST=200` as AOSP does. */
  async poll(): Promise<PtsAnswer[]> {
    const handed = await this.send("PO", "", "0");
    for (const answer of handed) {
      assert.equal(answer.tx.mode, "Request", answer.text);
      assert.match(answer.tx.transactionId ?? "", /^[0-9]{1,3}$/);
      await this.ack(answer);
    }
    return handed;
  }

  async ack(answer: PtsAnswer): Promise<void> {
    assert.deepEqual(await this.send("ST", "ST=200", answer.tx.transactionId), []);
  }
}
