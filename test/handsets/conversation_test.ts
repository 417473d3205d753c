/**
 * Real handset engines talking to each other through the server, over HTTP, each sending what
 * its engine sends (profiles.ts): login, the service tree read the engine's way, a contact
 * list, presence and messages with another engine, a group, logout. These conversations are the
 * statement of which clients the server supports (README, "Supported clients").
 */
import assert from "node:assert/strict";
import type { CspTransaction, ElementObject } from "../../src/codec/csp/message.ts";
import { loggedIn, startServer } from "../support/harness.ts";
import type { Handset } from "./handset.ts";
import { ANDROID, FEATURE_PHONE, type HandsetProfile, NOKIA_11, NOKIA_12 } from "./profiles.ts";
import { at, nodes } from "../support/body_reader.ts";

const LOBBY = "wv:host/lobby@example.com";

const presenceOf = (tx: CspTransaction, user: string) =>
  nodes(tx.primitive.body, "Presence").find((p) => p.UserID === user);
const valueIn = (presence: ElementObject | undefined, attribute: string) =>
  at(presence, "PresenceSubList", 0, attribute, 0, "PresenceValue");

async function conversation(first: HandsetProfile, second: HandsetProfile) {
  await using h = await startServer({ overHttp: true });
  const [host] = await loggedIn(h, "1.2", "host");
  const created = await host.send(
    `<CreateGroup-Request><GroupID>${LOBBY}</GroupID><GroupProperties><Property><Name>Name` +
      `</Name><Value>Lobby</Value></Property><Property><Name>Accesstype</Name><Value>Open</Value>` +
      `</Property></GroupProperties></CreateGroup-Request>`,
  );
  assert.equal(created.code, 200, created.text);

  await h.addUser("anna", "pw");
  await h.addUser("bert", "pw");
  const a = first.make("anna", h.transport, h.config.domain);
  const b = second.make("bert", h.transport, h.config.domain);

  // Log in and negotiate, each the engine's way.
  for (const phone of [a, b]) {
    await phone.login("pw");
    await phone.negotiate();
    for (const feature of ["IMFeat", "PresenceFeat"]) {
      assert.ok(phone.enabled!.has(feature), `${phone.profile.id} enables ${feature}`);
    }
    assert.ok(phone.enabled!.get("IMFeat")!.capabilities.has("NEWM"), "messages are pushed");
    assert.equal(phone.waiting!.kind, "poll");
    await phone.publishOnline();
  }

  // Contact lists, and each lets the other watch (reactive engines answer when asked).
  await a.addContact(b, "Bert");
  await b.allowToWatch(a);
  await b.poll();
  await b.addContact(a, "Anna");
  await a.allowToWatch(b);
  await a.poll();

  // Presence both ways.
  await b.setStatus("at lunch");
  const seenByA = await a.pollFor(
    "PresenceNotification-Request",
    (tx) => valueIn(presenceOf(tx, b.userId), "StatusText") === "at lunch",
  );
  assert.equal(valueIn(presenceOf(seenByA, b.userId), "OnlineStatus"), "T");
  await a.setStatus("driving");
  await b.pollFor(
    "PresenceNotification-Request",
    (tx) => valueIn(presenceOf(tx, a.userId), "StatusText") === "driving",
  );

  // Messages both ways.
  await exchange(a, b, "Hello Bert");
  await exchange(b, a, "Hi Anna");

  // A group, where the engine asked for groups; otherwise the server agrees with it: 506.
  for (const phone of [a, b]) {
    const joined = await phone.joinGroup(LOBBY);
    if (phone.enabled!.has("GroupFeat")) {
      assert.equal(joined.primitive.name, "JoinGroup-Response", `${phone.profile.id} joins`);
      const users = JSON.stringify(joined.body);
      assert.ok(users.includes(phone.name), `${phone.profile.id} sees itself joined: ${users}`);
    } else {
      assert.equal(joined.code, 506, `${phone.profile.id} did not ask for groups`);
    }
  }

  // Keep-alive as each sends it: the server states the time it keeps (within its bounds).
  for (const phone of [a, b]) {
    const alive = await phone.keepAlive();
    assert.equal(alive.code, 200);
    assert.ok(Number(alive.body.KeepAliveTime) >= h.config.ttlMin);
  }

  // a logs out: b, watching, sees a offline.
  assert.equal((await a.logout()).http.status, 200);
  await b.pollFor(
    "PresenceNotification-Request",
    (tx) => valueIn(presenceOf(tx, a.userId), "OnlineStatus") === "F",
  );
  await b.logout();

  for (const phone of [a, b]) {
    if (phone.profile === ANDROID) {
      const wrap = phone.sentIds.indexOf("999");
      assert.ok(wrap >= 0 && phone.sentIds[wrap + 1] === "1", "Android's ids wrap after 999");
    }
  }
}

/** `from` sends `text` to `to`, who polls for it and confirms it the engine's way. */
async function exchange(from: Handset, to: Handset, text: string) {
  const sent = await from.sendText(to, text);
  assert.equal(sent.code, 200, `${from.profile.id} sends: ${sent.text}`);
  const message = await to.pollFor("NewMessage", (tx) => tx.primitive.body.ContentData === text);
  const sender = at(message.primitive.body, "MessageInfo", "Sender", "User", "UserID");
  assert.equal(sender, from.userId, "the sender as the server knows it");
  assert.equal(message.transactionId, sent.body.MessageID, "NewMessage goes out under its id");
}

for (
  const [first, second] of [[ANDROID, NOKIA_12], [NOKIA_11, FEATURE_PHONE], [
    FEATURE_PHONE,
    ANDROID,
  ]]
) {
  Deno.test(`handsets: ${first.id} and ${second.id} log in, list, watch, talk, join and leave`, async () => {
    await conversation(first, second);
  });
}
