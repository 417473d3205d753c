/** Invitation-shaped XML for the conversations, written by hand as a client would send it. */
import assert from "node:assert/strict";
import type { CspTransaction, ElementObject } from "../../src/codec/csp/message.ts";
import type { CspClient } from "../support/harness.ts";
import { poll } from "../im/im_support.ts";
import { at, nodes, type Value } from "../support/body_reader.ts";

export interface InviteOptions {
  type?: string;
  note?: string;
  validity?: number;
  groupId?: string;
  urls?: string[];
  /** Raw extra children (PresenceSubList, ScreenName, Sender, …). */
  extra?: string;
}

const users = (ids: string[]) => ids.map((u) => `<User><UserID>${u}</UserID></User>`).join("");

export function inviteXml(inviteId: string, to: string[], options: InviteOptions = {}): string {
  return `<Invite-Request><InviteID>${inviteId}</InviteID>` +
    `<InviteType>${options.type ?? "PR"}</InviteType>` +
    `<Recipient>${users(to)}</Recipient>` +
    (options.groupId ? `<GroupID>${options.groupId}</GroupID>` : "") +
    (options.urls
      ? `<URLList>${options.urls.map((u) => `<URL>${u}</URL>`).join("")}</URLList>`
      : "") +
    (options.extra ?? "") +
    (options.note ? `<InviteNote>${options.note}</InviteNote>` : "") +
    (options.validity !== undefined ? `<Validity>${options.validity}</Validity>` : "") +
    `</Invite-Request>`;
}

export function answerXml(
  inviteId: string,
  accept: boolean,
  options: { note?: string; inviter?: string; sender?: string } = {},
): string {
  return `<InviteUser-Response><InviteID>${inviteId}</InviteID>` +
    `<Acceptance>${accept ? "T" : "F"}</Acceptance>` +
    (options.sender ? `<Sender>${users([options.sender])}</Sender>` : "") +
    (options.inviter ? `<Recipient>${users([options.inviter])}</Recipient>` : "") +
    (options.note ? `<ResponseNote>${options.note}</ResponseNote>` : "") +
    `</InviteUser-Response>`;
}

export function cancelXml(inviteId: string, to?: string[], note?: string): string {
  return `<CancelInvite-Request><InviteID>${inviteId}</InviteID>` +
    (to ? `<Recipient>${users(to)}</Recipient>` : "") +
    (note ? `<InviteNote>${note}</InviteNote>` : "") +
    `</CancelInvite-Request>`;
}

export async function inviteOk(
  from: CspClient,
  inviteId: string,
  to: string[],
  options: InviteOptions = {},
): Promise<void> {
  const reply = await from.send(inviteXml(inviteId, to, options));
  assert.equal(reply.primitive.name, "Status");
  assert.equal(reply.code, 200, reply.text);
}

/** Polls until nothing is left; acknowledges every transaction with Status 200. */
export async function drain(client: CspClient): Promise<CspTransaction[]> {
  const seen: CspTransaction[] = [];
  for (let i = 0; i < 20; i++) {
    const txs = await poll(client);
    if (txs.length === 0) return seen;
    for (const tx of txs) {
      seen.push(tx);
      await client.send("<Status><Result><Code>200</Code></Result></Status>", {
        mode: "Response",
        transactionId: tx.transactionId,
      });
    }
  }
  throw new Error("the server kept sending");
}

/** The primitives of a given name among what a client received. */
export const named = (txs: CspTransaction[], name: string) =>
  txs.filter((t) => t.primitive.name === name).map((t) => t.primitive.body);

/** The UserID of a Sender or Recipient (whose User repeats, so decodes as an array). */
export const userOf = (element: Value) => at(element, "User", 0, "UserID");

export const detailCodes = (body: ElementObject) =>
  nodes(body, "Result", "DetailedResult").map((d) => [
    Number(d.Code),
    d.UserID ?? d.GroupID ?? d.ContactList,
  ]);
