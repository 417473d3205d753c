/** Presence conversations: users that log in, hand-written presence primitives, and polling. */
import assert from "node:assert/strict";
import type { CspTransaction, CspVersion, ElementObject } from "../../src/codec/csp/message.ts";
import { type CspClient, type Harness, loggedIn } from "../support/harness.ts";
import { at, node, nodes, type Value } from "../support/body_reader.ts";

export const DOMAIN = "example.com";
export const id = (name: string) => `wv:${name}@${DOMAIN}`;
export const listId = (owner: string, name: string) => `wv:${owner}/${name}@${DOMAIN}`;

export { loggedIn } from "../support/harness.ts";

/** Polls once; returns the server-originated transactions handed out (acknowledging each). */
export async function pollAll(client: CspClient): Promise<CspTransaction[]> {
  const out: CspTransaction[] = [];
  for (;;) {
    const reply = await client.send("<Polling-Request/>", { transactionId: "" });
    if (reply.empty) return out;
    for (const tx of reply.message!.transactions) {
      assert.equal(tx.mode, "Request");
      out.push(tx);
      const ack = await client.send("<Status><Result><Code>200</Code></Result></Status>", {
        mode: "Response",
        transactionId: tx.transactionId,
      });
      assert.equal(ack.empty, true);
    }
  }
}

/** The presence notifications among polled transactions, as user → PresenceSubList. */
export function notified(transactions: CspTransaction[]): Map<string, ElementObject> {
  const out = new Map<string, ElementObject>();
  for (const tx of transactions) {
    if (tx.primitive.name !== "PresenceNotification-Request") continue;
    for (const p of nodes(tx.primitive.body, "Presence")) out.set(String(p.UserID), subList(p));
  }
  return out;
}

/** The PresenceSubList of a Presence element (the schema lets it repeat). */
export const subList = (presence: Value): ElementObject =>
  node(presence, "PresenceSubList", 0) ?? {};

/** Attribute names of a PresenceSubList (without its xmlns). */
export const names = (list: Value) =>
  Object.keys(node(list) ?? {}).filter((k) => !k.startsWith("@")).sort();

/** An attribute's PresenceValue (the first instance of a per-client attribute). */
export const value = (list: Value, attribute: string) => at(list, attribute, 0, "PresenceValue");

const PA = `xmlns="http://www.openmobilealliance.org/DTD/WV-PA1.2"`;

/** A request PresenceSubList naming attributes. */
export const attrs = (...attributes: string[]) =>
  `<PresenceSubList ${PA}>${attributes.map((a) => `<${a}/>`).join("")}</PresenceSubList>`;

const qualified = (name: string, v: string) =>
  `<${name}><Qualifier>T</Qualifier><PresenceValue>${v}</PresenceValue></${name}>`;

export const update = (values: Record<string, string>, extra = "") =>
  `<UpdatePresence-Request><PresenceSubList ${PA}>${
    Object.entries(values).map(([k, v]) => qualified(k, v)).join("")
  }${extra}</PresenceSubList></UpdatePresence-Request>`;

/** SubscribePresence in the version's form (1.3: UserIDList). */
export function subscribeUsers(version: CspVersion, users: string[], sub = "", extra = "") {
  const targets = version === "1.3"
    ? `<UserIDList>${users.map((u) => `<UserID>${u}</UserID>`).join("")}</UserIDList>`
    : users.map((u) => `<User><UserID>${u}</UserID></User>`).join("");
  return `<SubscribePresence-Request>${targets}${sub}${extra}</SubscribePresence-Request>`;
}

export function getPresence(version: CspVersion, users: string[], sub = "") {
  const targets = version === "1.3"
    ? `<UserIDList>${users.map((u) => `<UserID>${u}</UserID>`).join("")}</UserIDList>`
    : users.map((u) => `<User><UserID>${u}</UserID></User>`).join("");
  return `<GetPresence-Request>${targets}${sub}</GetPresence-Request>`;
}

/** CreateAttributeList for users (≤1.2 `UserID*`, 1.3 `UserIDList`). */
export function authorise(version: CspVersion, users: string[], ...attributes: string[]) {
  const targets = version === "1.3"
    ? `<UserIDList>${users.map((u) => `<UserID>${u}</UserID>`).join("")}</UserIDList>`
    : users.map((u) => `<UserID>${u}</UserID>`).join("");
  return `<CreateAttributeList-Request>${
    attrs(...attributes)
  }${targets}<DefaultList>F</DefaultList></CreateAttributeList-Request>`;
}

/**
 * Alice and bob logged in, alice letting bob see the given attributes and bob subscribed to her,
 * his first notification already polled: the start of every "bob watches alice" conversation.
 */
export async function bobWatchingAlice(
  h: Harness,
  version: CspVersion,
  ...attributes: string[]
): Promise<CspClient[]> {
  const [alice, bob] = await loggedIn(h, version, "alice", "bob");
  await alice.send(authorise(version, [id("bob")], ...attributes));
  await bob.send(subscribeUsers(version, [id("alice")]));
  await pollAll(bob);
  return [alice, bob];
}

/** The DetailedResult codes of a Result, for checking partial answers. */
export { detailedCodes as detailCodes } from "../support/body_reader.ts";
