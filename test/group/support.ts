/** Group-shaped XML for the group conversations, written by hand as a client would send it. */
import assert from "node:assert/strict";
import type { CspTransaction } from "../../src/codec/csp/message.ts";
import type { CspClient, Reply } from "../support/harness.ts";
import { poll } from "../im/im_support.ts";
import { nodes, type Value } from "../support/body_reader.ts";

export const GROUP = "wv:alice/chat@example.com";

export const property = (name: string, value: string) =>
  `<Property><Name>${name}</Name><Value>${value}</Value></Property>`;

export interface CreateOptions {
  properties?: Record<string, string>;
  welcome?: string;
  join?: boolean;
  screenName?: string;
  subscribe?: boolean;
}

export function createGroupXml(groupId: string, options: CreateOptions = {}): string {
  const properties = Object.entries(options.properties ?? {})
    .map(([name, value]) => property(name, value)).join("");
  const welcome = options.welcome === undefined ? "" : `<WelcomeNote><ContentType>text/plain` +
    `</ContentType><ContentData>${options.welcome}</ContentData></WelcomeNote>`;
  const screenName = options.screenName === undefined
    ? ""
    : `<ScreenName><SName>${options.screenName}</SName><GroupID>${groupId}</GroupID></ScreenName>`;
  return `<CreateGroup-Request><GroupID>${groupId}</GroupID>` +
    `<GroupProperties>${properties}${welcome}</GroupProperties>` +
    `<JoinGroup>${options.join ? "T" : "F"}</JoinGroup>${screenName}` +
    `<SubscribeNotification>${options.subscribe ? "T" : "F"}</SubscribeNotification>` +
    `</CreateGroup-Request>`;
}

export async function createGroup(
  client: CspClient,
  groupId: string,
  options: CreateOptions = {},
): Promise<Reply> {
  return await client.send(createGroupXml(groupId, options));
}

export async function join(
  client: CspClient,
  groupId: string,
  screenName?: string,
  options: { joined?: boolean; subscribe?: boolean; own?: string } = {},
): Promise<Reply> {
  const name = screenName === undefined
    ? ""
    : `<ScreenName><SName>${screenName}</SName><GroupID>${groupId}</GroupID></ScreenName>`;
  return await client.send(
    `<JoinGroup-Request><GroupID>${groupId}</GroupID>${name}` +
      `<JoinedRequest>${options.joined ? "T" : "F"}</JoinedRequest>` +
      `<SubscribeNotification>${options.subscribe ? "T" : "F"}</SubscribeNotification>` +
      (options.own ? `<OwnProperties>${options.own}</OwnProperties>` : "") +
      `</JoinGroup-Request>`,
  );
}

export async function joinOk(
  client: CspClient,
  groupId: string,
  screenName?: string,
  options: { joined?: boolean; subscribe?: boolean; own?: string } = {},
): Promise<Reply> {
  const reply = await join(client, groupId, screenName, options);
  assert.equal(reply.primitive.name, "JoinGroup-Response", reply.text);
  return reply;
}

export async function leave(client: CspClient, groupId: string): Promise<Reply> {
  return await client.send(
    `<LeaveGroup-Request><GroupID>${groupId}</GroupID></LeaveGroup-Request>`,
  );
}

/** A request whose only child is the GroupID. */
export async function ask(client: CspClient, primitive: string, groupId: string, extra = "") {
  return await client.send(`<${primitive}><GroupID>${groupId}</GroupID>${extra}</${primitive}>`);
}

export const users = (...ids: string[]) =>
  `<UserList>${ids.map((id) => `<User><UserID>${id}</UserID></User>`).join("")}</UserList>`;

export const userIds = (...ids: string[]) =>
  `<UserIDList>${ids.map((id) => `<UserID>${id}</UserID>`).join("")}</UserIDList>`;

export function groupMessageXml(groupId: string, text: string, screenName?: string): string {
  const group = screenName === undefined
    ? `<Group><GroupID>${groupId}</GroupID></Group>`
    : `<Group><ScreenName><SName>${screenName}</SName><GroupID>${groupId}</GroupID></ScreenName></Group>`;
  return `<SendMessage-Request><DeliveryReport>F</DeliveryReport><MessageInfo>` +
    `<ContentType>text/plain</ContentType><Recipient>${group}</Recipient></MessageInfo>` +
    `<ContentData>${text}</ContentData></SendMessage-Request>`;
}

export async function sendToGroup(
  client: CspClient,
  groupId: string,
  text: string,
  screenName?: string,
): Promise<Reply> {
  return await client.send(groupMessageXml(groupId, text, screenName));
}

/** Polls until nothing is left; every transaction handed out, acknowledged with Status 200. */
export async function drain(client: CspClient): Promise<CspTransaction[]> {
  const all: CspTransaction[] = [];
  for (;;) {
    const txs = await poll(client);
    if (txs.length === 0) return all;
    for (const tx of txs) {
      all.push(tx);
      await client.send("<Status><Result><Code>200</Code></Result></Status>", {
        mode: "Response",
        transactionId: tx.transactionId,
      });
    }
  }
}

export const primitivesOf = (txs: CspTransaction[]) => txs.map((t) => t.primitive.name);

/** The SNames of a Mapping list, wherever it sits. */
export const snames = (mapping: Value) => nodes(mapping, "Mapping").map((m) => m.SName);
