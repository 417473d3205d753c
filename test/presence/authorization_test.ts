/**
 * Conversations about who may watch whom: reactive authorisation (1.1/1.2 PresenceAuth, 1.3
 * Notification ANU), denial, cancellation, default and contact-list attribute lists, and the
 * auto-grant setting. A hidden user and an unknown one look the same.
 */
import assert from "node:assert/strict";
import type { CspVersion } from "../../src/codec/csp/message.ts";
import { startServer } from "../support/harness.ts";
import {
  attrs,
  getPresence,
  id,
  listId,
  loggedIn,
  names,
  notified,
  pollAll,
  subList,
  subscribeUsers,
  update,
  value,
} from "./support.ts";
import { at, nodes } from "../support/body_reader.ts";

const presenceAuthUser = (user: string, accept: boolean, sub = "") =>
  `<PresenceAuth-User><UserID>${user}</UserID><Acceptance>${
    accept ? "T" : "F"
  }</Acceptance>${sub}</PresenceAuth-User>`;

for (const version of ["1.1", "1.2"] as CspVersion[]) {
  Deno.test(`${version}: carol is asked about bob, grants him, and bob sees her`, async () => {
    await using h = await startServer();
    const [bob, carol] = await loggedIn(h, version, "bob", "carol");
    await carol.send(update({ StatusText: "hello" }));

    const subscribed = await bob.send(
      subscribeUsers(version, [id("carol")], attrs("OnlineStatus", "StatusText")),
    );
    assert.equal(subscribed.code, 200);
    assert.deepEqual(await pollAll(bob), [], "nothing shown before carol decides");

    const asked = await pollAll(carol);
    assert.equal(asked.length, 1);
    assert.equal(asked[0].primitive.name, "PresenceAuth-Request");
    assert.equal(asked[0].primitive.body.UserID, id("bob"));
    assert.deepEqual(names(asked[0].primitive.body.PresenceSubList), [
      "OnlineStatus",
      "StatusText",
    ]);

    assert.equal((await carol.send(presenceAuthUser(id("bob"), true))).code, 200);
    const seen = notified(await pollAll(bob)).get(id("carol"));
    assert.deepEqual(names(seen), ["OnlineStatus", "StatusText"]);
    assert.equal(value(seen, "StatusText"), "hello");

    if (version === "1.2") {
      const statuses = await carol.send("<GetReactiveAuthStatus-Request/>");
      assert.equal(statuses.code, 200);
      const entry = at(statuses.body, "ReactiveAuthStatusList", "ReactiveAuthStatus", 0);
      assert.equal(at(entry, "UserID"), id("bob"));
      assert.equal(at(entry, "ReactiveAuthState"), "GRANTED");
    }
  });

  Deno.test(`${version}: carol denies bob; he sees what he would see of a stranger`, async () => {
    await using h = await startServer();
    const [bob, carol] = await loggedIn(h, version, "bob", "carol");
    await carol.send(update({ StatusText: "private" }));
    await bob.send(subscribeUsers(version, [id("carol")]));
    await pollAll(carol);
    assert.equal((await carol.send(presenceAuthUser(id("bob"), false))).code, 200);
    await carol.send(update({ StatusText: "still private" }));
    assert.deepEqual(await pollAll(bob), []);

    const hidden = await bob.send(getPresence(version, [id("carol")]));
    const unknown = await bob.send(getPresence(version, [id("nobody")]));
    assert.equal(hidden.code, unknown.code);
    const shown = (reply: typeof hidden) => subList(at(reply.body, "Presence", 0));
    assert.deepEqual(shown(hidden), shown(unknown));
    assert.deepEqual(names(shown(hidden)), []);
    const subscribeUnknown = await bob.send(subscribeUsers(version, [id("nobody")]));
    assert.equal(subscribeUnknown.code, 200, "subscribing to an unknown user looks the same");
  });

  Deno.test(`${version}: carol cancels bob's authorisation and updates stop`, async () => {
    await using h = await startServer();
    const [bob, carol] = await loggedIn(h, version, "bob", "carol");
    await bob.send(subscribeUsers(version, [id("carol")]));
    await pollAll(carol);
    await carol.send(presenceAuthUser(id("bob"), true));
    await pollAll(bob);

    const cancelled = await carol.send(
      `<CancelAuth-Request><UserID>${id("bob")}</UserID></CancelAuth-Request>`,
    );
    assert.equal(cancelled.code, 200);
    await carol.send(update({ StatusText: "gone quiet" }));
    assert.deepEqual(await pollAll(bob), []);
  });

  Deno.test(`${version}: a request waiting while carol is offline reaches her at login`, async () => {
    await using h = await startServer();
    await h.addUser("carol", "pw");
    const [bob] = await loggedIn(h, version, "bob");
    await bob.send(subscribeUsers(version, [id("carol")]));

    const carol = h.client("carol", version);
    await carol.login("pw");
    const asked = await pollAll(carol);
    assert.equal(asked[0].primitive.name, "PresenceAuth-Request");
    assert.equal(asked[0].primitive.body.UserID, id("bob"));
  });
}

Deno.test("1.3: carol hears of bob by Notification ANU and authorises with AuthorizeAndGrant", async () => {
  await using h = await startServer();
  const [bob, carol] = await loggedIn(h, "1.3", "bob", "carol");
  await bob.send(subscribeUsers("1.3", [id("carol")]));

  const asked = await pollAll(carol);
  assert.equal(asked[0].primitive.name, "Notification-Request");
  assert.equal(asked[0].primitive.body.NotificationType, "ANU");
  assert.deepEqual(at(asked[0].primitive.body, "UserIDList", "UserID"), [id("bob")]);

  await carol.send(
    `<CreateList-Request><ContactList>${
      listId("carol", "friends")
    }</ContactList></CreateList-Request>`,
  );
  const managed = await carol.send(
    `<ListManage-Request><ContactList>${listId("carol", "friends")}</ContactList>` +
      `<AddNickList><NickName><Name>Bob</Name><UserID>${
        id("bob")
      }</UserID></NickName></AddNickList>` +
      `<ReceiveList>F</ReceiveList><AuthorizeAndGrant>T</AuthorizeAndGrant></ListManage-Request>`,
  );
  assert.equal(managed.code, 200);
  assert.equal(value(notified(await pollAll(bob)).get(id("carol")), "OnlineStatus"), "T");
});

Deno.test("1.3 PresenceAuth-User is not a 1.3 primitive", async () => {
  await using h = await startServer();
  const [carol] = await loggedIn(h, "1.3", "carol");
  const reply = await carol.send(presenceAuthUser(id("bob"), true));
  assert.equal(reply.code, 405);
});

Deno.test("1.2: a default attribute list and a contact-list attribute list authorise watchers", async () => {
  await using h = await startServer();
  const [alice, bob, dave] = await loggedIn(h, "1.2", "alice", "bob", "dave");
  await alice.send(
    `<CreateList-Request><ContactList>${listId("alice", "work")}</ContactList>` +
      `<NickList><NickName><Name>Dave</Name><UserID>${id("dave")}</UserID></NickName></NickList>` +
      `</CreateList-Request>`,
  );
  const byList = await alice.send(
    `<CreateAttributeList-Request>${attrs("StatusText")}<ContactList>${
      listId("alice", "work")
    }</ContactList><DefaultList>F</DefaultList></CreateAttributeList-Request>`,
  );
  assert.equal(byList.code, 200);
  const byDefault = await alice.send(
    `<CreateAttributeList-Request>${
      attrs("OnlineStatus")
    }<DefaultList>T</DefaultList></CreateAttributeList-Request>`,
  );
  assert.equal(byDefault.code, 200);
  await alice.send(update({ StatusText: "busy" }));

  await bob.send(subscribeUsers("1.2", [id("alice")]));
  await dave.send(subscribeUsers("1.2", [id("alice")]));
  assert.deepEqual(names(notified(await pollAll(bob)).get(id("alice"))), ["OnlineStatus"]);
  assert.deepEqual(names(notified(await pollAll(dave)).get(id("alice"))), ["StatusText"]);

  const lists = await alice.send("<GetAttributeList-Request/>");
  assert.equal(lists.code, 200);
  assert.deepEqual(
    names(at(lists.body, "DefaultAttributeList", "PresenceSubList")),
    ["OnlineStatus"],
  );
  const perList = nodes(lists.body, "Presence");
  assert.equal(perList[0].ContactList, listId("alice", "work"));
  assert.deepEqual(names(subList(perList[0])), ["StatusText"]);

  const removed = await alice.send(
    "<DeleteAttributeList-Request><DefaultList>T</DefaultList></DeleteAttributeList-Request>",
  );
  assert.equal(removed.code, 200);
  await alice.send(update({ OnlineStatus: "T", StatusText: "done" }));
  assert.deepEqual(await pollAll(bob), [], "bob is no longer authorised");
  assert.equal(value(notified(await pollAll(dave)).get(id("alice")), "StatusText"), "done");
});

Deno.test("1.2: with auto-grant on, a new watcher sees everything without asking", async () => {
  await using h = await startServer({ env: { IMPS_PRESENCE_AUTOGRANT: "true" } });
  const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
  await alice.send(update({ StatusText: "open book" }));
  await bob.send(subscribeUsers("1.2", [id("alice")]));
  assert.equal(value(notified(await pollAll(bob)).get(id("alice")), "StatusText"), "open book");
  assert.deepEqual(await pollAll(alice), [], "alice is not asked");
});

Deno.test("1.2: alice blocks bob, and even with auto-grant he sees nothing of her", async () => {
  await using h = await startServer({ env: { IMPS_PRESENCE_AUTOGRANT: "true" } });
  const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
  await alice.send(update({ StatusText: "busy" }));
  const blocked = await alice.send(
    `<BlockEntity-Request><BlockList><InUse>T</InUse><AddList><UserID>${
      id("bob")
    }</UserID></AddList></BlockList></BlockEntity-Request>`,
  );
  assert.equal(blocked.code, 200);

  assert.equal((await bob.send(subscribeUsers("1.2", [id("alice")]))).code, 200);
  await alice.send(update({ StatusText: "still busy" }));
  assert.deepEqual(await pollAll(bob), [], "no notification reaches a blocked watcher");
  const seen = await bob.send(getPresence("1.2", [id("alice")]));
  assert.deepEqual(names(subList(at(seen.body, "Presence", 0))), []);
  assert.deepEqual(await pollAll(alice), [], "alice is not asked about a user she blocked");
});
