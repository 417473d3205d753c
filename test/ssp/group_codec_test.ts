/**
 * The SSP group transactions: Baraza's captured JoinGroupRequest, JoinGroupResponse and
 * GroupChangeNotice (ssp-16..18) read by our codec, and our own shapes written and read back
 * through the SSP envelope.
 */
import assert from "node:assert/strict";
import {
  decodeSsp,
  encodeSsp,
  getJoinedUsersResponse,
  groupChangeNotice,
  groupMessageRequest,
  groupRequest,
  isGroupMessage,
  joinGroupResponse,
  leaveGroupIndication,
  readGetJoinedUsersResponse,
  readGroupChangeNotice,
  readGroupMessageRequest,
  readGroupRequestFields,
  readGroupRequestHead,
  readJoinGroupResponse,
  readLeaveGroupIndication,
  sendMessageRequest,
  type SspMessage,
  statusCode,
} from "../../src/codec/ssp/mod.ts";
import type { XmlElement } from "../../src/codec/xml/tree.ts";
import { DEFAULT_XML_LIMITS } from "../../src/codec/xml/tree.ts";
import { loadCore } from "../../src/core/mod.ts";
import { haveBarazaFixtures } from "../support/baraza.ts";
import { capturedSsp } from "./wire_support.ts";

const present = await haveBarazaFixtures(
  "Baraza SSP group fixtures",
  "ssp-16-b2a-JoinGroupRequest-request.http",
);
const core = await loadCore("wasm");

/** The primitive of a captured session transaction. */
async function captured(name: string): Promise<XmlElement> {
  const message = await capturedSsp(name) as SspMessage & { kind: "session" };
  return message.transactions[0].primitive;
}

/** Through the envelope and back, as a peer would read it. */
function wire(primitive: XmlElement): XmlElement {
  const text = encodeSsp({
    kind: "session",
    sessionId: "s1",
    transactions: [{ mode: "Request", transactionId: "t1", primitive }],
  });
  const message = decodeSsp(new TextEncoder().encode(text), core.parseXml, DEFAULT_XML_LIMITS);
  assert.equal(message.kind, "session");
  return message.kind === "session" ? message.transactions[0].primitive : primitive;
}

Deno.test({
  name: "Baraza's cross-domain join: request, response and the notice that follows",
  ignore: !present,
  async fn() {
    const request = await captured("ssp-16-b2a-JoinGroupRequest-request.http");
    assert.deepEqual(readGroupRequestHead(request), {
      groupId: "wv:alice/xchat@a.test",
      user: "wv:bob@b.test",
    });
    const fields = readGroupRequestFields(request);
    assert.deepEqual(
      [fields.screenName, fields.joinedList, fields.subscribe],
      ["BobB", true, true],
    );

    const response = await captured("ssp-17-a2b-JoinGroupResponse-response.http");
    assert.equal(statusCode(response), 200);
    // Baraza's empty WelcomeNote is no note at all.
    assert.deepEqual(readJoinGroupResponse(response), {
      joined: [{ name: "Alice" }, { name: "BobB" }],
      screenName: undefined,
      welcomeNote: undefined,
    });

    const notice = readGroupChangeNotice(
      await captured("ssp-18-a2b-GroupChangeNotice-request.http"),
    )!;
    assert.equal(notice.groupId, "wv:alice/xchat@a.test");
    assert.deepEqual(notice.recipients, ["bob@b.test"]);
    assert.deepEqual(notice.data, { joined: [{ name: "BobB" }], left: [], properties: [] });
  },
});

Deno.test("our group requests and answers read back as written", () => {
  const join = wire(
    groupRequest("JoinGroupRequest", "a.test", "wv:alice@a.test", "wv:bob/g@b.test", {
      screenName: "Al & co",
      joinedList: true,
      subscribe: false,
      ownProperties: [{ name: "AutoJoin", value: "F" }],
    }),
  );
  assert.equal(join.attrs.joinedListRequest, "Yes");
  assert.equal(join.attrs.subscribeNotif, "No");
  assert.deepEqual(readGroupRequestHead(join), {
    groupId: "wv:bob/g@b.test",
    user: "wv:alice@a.test",
  });
  const fields = readGroupRequestFields(join);
  assert.equal(fields.screenName, "Al & co");
  assert.deepEqual(fields.ownProperties, [{ name: "AutoJoin", value: "F" }]);

  const set = readGroupRequestFields(wire(groupRequest(
    "SetGroupPropsRequest",
    "a.test",
    "wv:alice@a.test",
    "wv:bob/g@b.test",
    {
      groupProperties: [{ name: "Topic", value: "tea" }],
      welcomeNote: { contentType: "text/plain", encoding: "None", data: "Grüß euch" },
    },
  )));
  assert.deepEqual(set.groupProperties, [{ name: "Topic", value: "tea" }]);
  assert.deepEqual(set.welcomeNote, {
    contentType: "text/plain",
    encoding: "None",
    data: "Grüß euch",
  });

  const answer = readJoinGroupResponse(wire(joinGroupResponse("wv:bob/g@b.test", {
    joined: [{ name: "BobB", userId: "wv:bob@b.test" }, { name: "Al" }],
    screenName: "Al",
    welcomeNote: { contentType: "application/octet-stream", encoding: "BASE64", data: "/w==" },
  })));
  assert.deepEqual(answer, {
    joined: [{ name: "BobB", userId: "wv:bob@b.test" }, { name: "Al" }],
    screenName: "Al",
    welcomeNote: { contentType: "application/octet-stream", encoding: "BASE64", data: "/w==" },
  });

  const lists = readGetJoinedUsersResponse(wire(getJoinedUsersResponse({
    admins: [{ name: "BobB", userId: "wv:bob@b.test" }],
    moderators: [],
    users: [{ name: "Al", userId: "wv:alice@a.test" }],
  })));
  assert.deepEqual(lists.admins, [{ name: "BobB", userId: "wv:bob@b.test" }]);
  assert.deepEqual(lists.moderators, []);
  assert.deepEqual(lists.users, [{ name: "Al", userId: "wv:alice@a.test" }]);
});

Deno.test("our notices, removals and group messages read back as written", () => {
  const notice = readGroupChangeNotice(wire(groupChangeNotice(
    "b.test",
    "wv:bob/g@b.test",
    ["wv:alice@a.test"],
    { joined: [{ name: "Carol" }], left: ["Dan"], properties: [{ name: "Topic", value: "x" }] },
  )))!;
  assert.deepEqual(notice.recipients, ["wv:alice@a.test"]);
  assert.deepEqual(notice.data, {
    joined: [{ name: "Carol" }],
    left: ["Dan"],
    properties: [{ name: "Topic", value: "x" }],
  });

  const removal = readLeaveGroupIndication(wire(leaveGroupIndication(
    "b.test",
    "wv:bob/g@b.test",
    ["wv:alice@a.test"],
    809,
    "Rejected",
  )))!;
  assert.deepEqual(removal.data, { code: 809, reason: "Rejected" });

  // Member to group: the member's UserID; group to member: the receivers and a screen name.
  const base = {
    messageId: "m1",
    groupId: "wv:bob/g@b.test",
    contentType: "text/plain",
    contentEncoding: "None" as const,
    sentAt: Date.parse("2026-11-21T10:00:00Z"),
    content: "héllo <all>",
  };
  const up = wire(groupMessageRequest("a.test", { ...base, sender: "wv:alice@a.test" }));
  assert.ok(isGroupMessage(up));
  const read = readGroupMessageRequest(up);
  assert.ok(!("code" in read));
  assert.equal(read.sender, "wv:alice@a.test");
  assert.equal(read.content, "héllo <all>");
  assert.deepEqual(read.receivers, []);

  const down = readGroupMessageRequest(wire(groupMessageRequest("b.test", {
    ...base,
    senderName: "BobB",
    receivers: ["wv:alice@a.test"],
    recipientName: "Al",
  })));
  assert.ok(!("code" in down));
  assert.deepEqual(
    [down.sender, down.senderName, down.receivers, down.recipientName],
    [undefined, "BobB", ["wv:alice@a.test"], "Al"],
  );

  // A message between users is not a group message; one naming no group is refused.
  const direct = sendMessageRequest("a.test", {
    ...base,
    sender: "wv:alice@a.test",
    recipients: ["wv:bob@b.test"],
    deliveryReport: false,
  });
  assert.equal(isGroupMessage(direct), false);
  const refused = readGroupMessageRequest(direct);
  assert.ok("code" in refused && refused.code === 400);
});
