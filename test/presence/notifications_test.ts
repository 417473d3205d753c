/**
 * CSP 1.3 notifications about presence and contact lists (Notification-Request ANC, AC, ATCL,
 * CLCR, CLC, CLD) and the choice a session makes with SubscribeNotification, and the watcher
 * history of GetWatcherList (former subscribers, presence readers).
 */
import assert from "node:assert/strict";
import type { CspTransaction, ElementObject } from "../../src/codec/csp/message.ts";
import { startServer } from "../support/harness.ts";
import { getPresence, id, listId, loggedIn, pollAll, subscribeUsers, update } from "./support.ts";
import { at, element, nodes, type Value } from "../support/body_reader.ts";

const subscribeTo = (...types: string[]) =>
  `<SubscribeNotification-Request><NotificationTypeList>${
    types.map((t) => `<NotificationType>${t}</NotificationType>`).join("")
  }</NotificationTypeList></SubscribeNotification-Request>`;

const createList = (list: string, users: string[] = []) =>
  `<CreateList-Request><ContactList>${list}</ContactList><NickList>${
    users.map((u) => `<UserID>${u}</UserID>`).join("")
  }</NickList></CreateList-Request>`;

const addContacts = (list: string, users: string[]) =>
  `<ListManage-Request><ContactList>${list}</ContactList><AddNickList>${
    users.map((u) => `<UserID>${u}</UserID>`).join("")
  }</AddNickList><ReceiveList>F</ReceiveList></ListManage-Request>`;

/** The Notification-Requests among polled transactions, as type → body. */
function notifications(transactions: CspTransaction[]): Map<string, ElementObject> {
  const out = new Map<string, ElementObject>();
  for (const tx of transactions) {
    if (tx.primitive.name === "Notification-Request") {
      out.set(String(tx.primitive.body.NotificationType), tx.primitive.body);
    }
  }
  return out;
}

const userIds = (body: Value) => at(body, "UserIDList", "UserID");
const listIds = (body: Value) => at(body, "ContactListIDList", "ContactList");

Deno.test("1.3: bob subscribed to ATCL hears that alice added him; carol, who did not, does not", async () => {
  await using h = await startServer();
  const [alice, bob, carol] = await loggedIn(h, "1.3", "alice", "bob", "carol");
  assert.equal((await bob.send(subscribeTo("ATCL"))).code, 200);

  const friends = listId("alice", "friends");
  await alice.send(createList(friends, [id("bob")]));
  const told = notifications(await pollAll(bob)).get("ATCL");
  assert.deepEqual(userIds(told), [id("alice")]);

  await alice.send(addContacts(friends, [id("carol")]));
  assert.deepEqual(await pollAll(carol), [], "carol never asked for ATCL");

  await bob.send(
    "<UnsubscribeNotification-Request><NotificationTypeList><NotificationType>ATCL" +
      "</NotificationType></NotificationTypeList></UnsubscribeNotification-Request>",
  );
  await alice.send(createList(listId("alice", "work"), [id("bob")]));
  assert.deepEqual(await pollAll(bob), [], "no more after UnsubscribeNotification");
});

Deno.test("1.3: alice's other session hears CLCR, CLC and CLD about her lists; the acting one does not", async () => {
  await using h = await startServer();
  const [alice, bob] = await loggedIn(h, "1.3", "alice", "bob");
  const phone = h.client("alice", "1.3");
  assert.equal((await phone.login("pw")).code, 200);
  await phone.send(subscribeTo("CLCR", "CLC", "CLD"));
  await alice.send(subscribeTo("CLCR", "CLC", "CLD"));

  const friends = listId("alice", "friends");
  await alice.send(createList(friends));
  await alice.send(addContacts(friends, [id("bob")]));
  await alice.send(
    `<DeleteList-Request><ContactList>${friends}</ContactList></DeleteList-Request>`,
  );
  const told = (await pollAll(phone)).filter((tx) => tx.primitive.name === "Notification-Request");
  assert.deepEqual(told.map((tx) => tx.primitive.body.NotificationType), ["CLCR", "CLC", "CLD"]);
  for (const tx of told) assert.deepEqual(listIds(tx.primitive.body), [friends]);
  assert.deepEqual(
    (await pollAll(alice)).filter((tx) => tx.primitive.name === "Notification-Request"),
    [],
  );
  void bob;
});

Deno.test("1.3: bob, in alice's list without an attribute list, subscribes: alice is asked with ANC", async () => {
  await using h = await startServer();
  const [alice, bob] = await loggedIn(h, "1.3", "alice", "bob");
  const friends = listId("alice", "friends");
  await alice.send(createList(friends, [id("bob")]));
  await bob.send(subscribeUsers("1.3", [id("alice")]));

  const asked = notifications(await pollAll(alice)).get("ANC");
  assert.ok(asked, "asked about the list, not the user alone");
  assert.deepEqual(listIds(asked), [friends]);
  assert.deepEqual(userIds(asked), [id("bob")]);

  // One answer for the list: an attribute list for it.
  await alice.send(
    `<CreateAttributeList-Request><PresenceSubList xmlns="http://www.openmobilealliance.org/DTD/WV-PA1.3"><StatusText/></PresenceSubList><ContactListIDList><ContactList>${friends}</ContactList></ContactListIDList><DefaultList>F</DefaultList></CreateAttributeList-Request>`,
  );
  await alice.send(update({ StatusText: "hi" }));
  const seen = (await pollAll(bob)).filter((tx) =>
    tx.primitive.name === "PresenceNotification-Request"
  );
  assert.ok(seen.length > 0, "bob now sees her");
});

Deno.test("1.3: alice grants bob with UserNotify T and bob is told by AC; without it he is not", async () => {
  await using h = await startServer();
  const [alice, bob, carol] = await loggedIn(h, "1.3", "alice", "bob", "carol");
  const grant = (user: string, notify: boolean) =>
    `<CreateAttributeList-Request><PresenceSubList xmlns="http://www.openmobilealliance.org/DTD/WV-PA1.3"><StatusText/><Alias/></PresenceSubList><UserIDList><UserID>${user}</UserID></UserIDList><DefaultList>F</DefaultList><UserNotify>${
      notify ? "T" : "F"
    }</UserNotify></CreateAttributeList-Request>`;
  assert.equal((await alice.send(grant(id("bob"), true))).code, 200);
  const told = notifications(await pollAll(bob)).get("AC");
  assert.deepEqual(userIds(told), [id("alice")]);
  assert.deepEqual(
    Object.keys(element(told, "PresenceSubList")).filter((k) => !k.startsWith("@")).sort(),
    ["Alias", "StatusText"],
  );

  await alice.send(grant(id("carol"), false));
  assert.deepEqual(await pollAll(carol), []);
});

Deno.test("1.3: an unknown NotificationType is 402, a missing list 400; 1.2 has no such primitive", async () => {
  await using h = await startServer();
  const [alice] = await loggedIn(h, "1.3", "alice");
  assert.equal((await alice.send(subscribeTo("ATCL", "NOPE"))).code, 402);
  assert.equal((await alice.send("<SubscribeNotification-Request/>")).code, 400);
  const [old] = await loggedIn(h, "1.2", "olga");
  assert.notEqual((await old.send(subscribeTo("ATCL"))).code, 200);
});

Deno.test("GetWatcherList with a HistoryPeriod lists former subscribers and readers too", async () => {
  await using h = await startServer({ env: { IMPS_PRESENCE_AUTOGRANT: "true" } });
  const [alice, bob, carol, dave] = await loggedIn(h, "1.2", "alice", "bob", "carol", "dave");
  await bob.send(subscribeUsers("1.2", [id("alice")]));
  await dave.send(subscribeUsers("1.2", [id("alice")]));
  await bob.send(
    `<UnsubscribePresence-Request><User><UserID>${
      id("alice")
    }</UserID></User></UnsubscribePresence-Request>`,
  );
  await carol.send(getPresence("1.2", [id("alice")]));

  const now = await alice.send("<GetWatcherList-Request/>");
  assert.equal(now.body.WatcherCount, 1);
  assert.equal(now.body.HistoryPeriod, undefined);

  const history = await alice.send(
    "<GetWatcherList-Request><HistoryPeriod>3600</HistoryPeriod></GetWatcherList-Request>",
  );
  assert.equal(history.body.HistoryPeriod, 3600);
  assert.equal(history.body.WatcherCount, 3);
  const statuses = nodes(history.body, "Watcher").map((w) => [
    at(w, "User", "UserID"),
    w.WatcherStatus,
  ]);
  assert.deepEqual(statuses, [
    [id("dave"), "CURRENT_SUBSCRIBER"],
    [id("bob"), "FORMER_SUBSCRIBER"],
    [id("carol"), "PRESENCE_ACCESS"],
  ]);

  const cut = await alice.send(
    "<GetWatcherList-Request><HistoryPeriod>3600</HistoryPeriod><MaxWatcherList>1</MaxWatcherList></GetWatcherList-Request>",
  );
  assert.equal(cut.body.WatcherCount, 3);
  assert.equal(nodes(cut.body, "Watcher").length, 1);
  assert.equal(
    (await alice.send(
      "<GetWatcherList-Request><HistoryPeriod>-1</HistoryPeriod></GetWatcherList-Request>",
    )).code,
    402,
  );
});
