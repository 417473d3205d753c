/** Conversations about publishing and watching presence: subscribe, update, poll, log out. */
import assert from "node:assert/strict";
import { startServer, VERSIONS } from "../support/harness.ts";
import {
  attrs,
  authorise,
  bobWatchingAlice,
  getPresence,
  id,
  loggedIn,
  names,
  notified,
  pollAll,
  subList,
  subscribeUsers,
  update,
  value,
} from "./support.ts";
import { at, element, nodes } from "../support/body_reader.ts";

for (const version of VERSIONS) {
  Deno.test(`${version}: bob watches alice and sees exactly what she authorised and he asked for`, async () => {
    await using h = await startServer();
    const [alice, bob] = await loggedIn(h, version, "alice", "bob");

    const granted = await alice.send(
      authorise(version, [id("bob")], "OnlineStatus", "UserAvailability", "StatusText"),
    );
    assert.equal(granted.code, 200);
    await alice.send(update({ StatusText: "Out for lunch", Alias: "Alice A" }));

    const subscribed = await bob.send(
      subscribeUsers(version, [id("alice")], attrs("OnlineStatus", "StatusText", "Alias")),
    );
    assert.equal(subscribed.code, 200);
    assert.equal(subscribed.poll, true, "the current presence is queued at once");

    const first = notified(await pollAll(bob));
    const seen = first.get(id("alice"));
    assert.deepEqual(names(seen), ["OnlineStatus", "StatusText"], "Alias was not authorised");
    assert.equal(value(seen, "OnlineStatus"), "T", "she is online: network presence");
    assert.equal(value(seen, "StatusText"), "Out for lunch");

    const updated = await alice.send(
      update({ StatusText: "Back at my desk", UserAvailability: "DISCREET" }),
    );
    assert.equal(updated.code, 200);
    const second = notified(await pollAll(bob)).get(id("alice"));
    assert.deepEqual(names(second), ["OnlineStatus", "StatusText"]);
    assert.equal(value(second, "StatusText"), "Back at my desk");

    await alice.send(update({ Alias: "A." }));
    assert.deepEqual(await pollAll(bob), [], "a change bob cannot see sends nothing");

    const got = await bob.send(getPresence(version, [id("alice")]));
    assert.equal(got.primitive.name, "GetPresence-Response");
    assert.equal(got.code, 200);
    const presence = nodes(got.body, "Presence");
    assert.equal(presence[0].UserID, id("alice"));
    assert.deepEqual(
      names(subList(presence[0])),
      ["OnlineStatus", "StatusText", "UserAvailability"],
      "GetPresence shows everything authorised",
    );
  });

  Deno.test(`${version}: notifications coalesce while unpolled; the latest state wins`, async () => {
    await using h = await startServer();
    const [alice, bob] = await loggedIn(h, version, "alice", "bob");
    await alice.send(authorise(version, [id("bob")], "StatusText"));
    await bob.send(subscribeUsers(version, [id("alice")]));
    for (const text of ["one", "two", "three"]) await alice.send(update({ StatusText: text }));

    const polled = await pollAll(bob);
    assert.equal(polled.length, 1, "one notification for alice, not four");
    assert.equal(value(notified(polled).get(id("alice")), "StatusText"), "three");
  });

  Deno.test(`${version}: alice logs out and her watchers see her offline`, async () => {
    await using h = await startServer();
    const [alice, bob] = await bobWatchingAlice(h, version, "OnlineStatus", "UserAvailability");

    await alice.send("<Logout-Request/>");
    const seen = notified(await pollAll(bob)).get(id("alice"));
    assert.equal(value(seen, "OnlineStatus"), "F");
    assert.equal(value(seen, "UserAvailability"), "NOT_AVAILABLE");

    await alice.login("pw");
    assert.equal(value(notified(await pollAll(bob)).get(id("alice")), "OnlineStatus"), "T");
  });

  Deno.test(`${version}: attributes the server does not know are kept and returned`, async () => {
    await using h = await startServer();
    const [alice] = await loggedIn(h, version, "alice");
    const custom = "<Hobby><Qualifier>T</Qualifier><Value>sailing</Value></Hobby>";
    assert.equal((await alice.send(update({ StatusMood: "HAPPY" }, custom))).code, 200);
    const own = await alice.send(getPresence(version, [id("alice")]));
    const list = subList(at(own.body, "Presence", 0));
    assert.deepEqual(list.Hobby, { Qualifier: true, Value: "sailing" });
    assert.equal(value(list, "StatusMood"), "HAPPY");
  });
}

Deno.test("1.2: bob stops watching and alice's updates no longer reach him", async () => {
  await using h = await startServer();
  const [alice, bob] = await bobWatchingAlice(h, "1.2", "StatusText");

  const watchers = await alice.send("<GetWatcherList-Request/>");
  assert.equal(watchers.primitive.name, "GetWatcherList-Response");
  assert.deepEqual(watchers.body.Watcher, [{
    User: { UserID: id("bob") },
    WatcherStatus: "CURRENT_SUBSCRIBER",
  }]);

  const gone = await bob.send(
    `<UnsubscribePresence-Request><User><UserID>${
      id("alice")
    }</UserID></User></UnsubscribePresence-Request>`,
  );
  assert.equal(gone.code, 200);
  await alice.send(update({ StatusText: "anyone?" }));
  assert.deepEqual(await pollAll(bob), []);
  assert.equal((await alice.send("<GetWatcherList-Request/>")).body.Watcher, undefined);
});

Deno.test("1.1: GetWatcherList lists User elements", async () => {
  await using h = await startServer();
  const [alice, bob] = await loggedIn(h, "1.1", "alice", "bob");
  await bob.send(subscribeUsers("1.1", [id("alice")]));
  const watchers = await alice.send("<GetWatcherList-Request/>");
  assert.deepEqual(watchers.body.User, [{ UserID: id("bob") }]);
});

Deno.test("the Functions tree lists the presence leaves of each version", async () => {
  await using h = await startServer();
  const leaves = (version: "1.1" | "1.2" | "1.3") =>
    [...h.server.context.registry.implemented(version)].filter((k) => k.startsWith("PresenceFeat/"))
      .sort();
  const common = [
    "PresenceFeat/AttListFunc/CALI",
    "PresenceFeat/AttListFunc/DALI",
    "PresenceFeat/AttListFunc/GALS",
    "PresenceFeat/ContListFunc/CCLI",
    "PresenceFeat/ContListFunc/DCLI",
    "PresenceFeat/ContListFunc/GCLI",
    "PresenceFeat/ContListFunc/MCLS",
    "PresenceFeat/PresenceAuthFunc/GETWL",
    "PresenceFeat/PresenceDeliverFunc/GETPR",
    "PresenceFeat/PresenceDeliverFunc/UPDPR",
  ];
  const reactive = ["PresenceFeat/PresenceAuthFunc/CAAUT", "PresenceFeat/PresenceAuthFunc/REACT"];
  assert.deepEqual(leaves("1.3"), common);
  assert.deepEqual(leaves("1.1"), [...common, ...reactive].sort());
  assert.deepEqual(
    leaves("1.2"),
    [...common, ...reactive, "PresenceFeat/PresenceAuthFunc/GETAUT"].sort(),
  );

  const [alice] = await loggedIn(h, "1.2", "alice");
  const service = await alice.send(
    "<Service-Request><Functions><WVCSPFeat><PresenceFeat/></WVCSPFeat></Functions>" +
      "<AllFunctionsRequest>T</AllFunctionsRequest></Service-Request>",
  );
  assert.equal(service.body.Functions, undefined, "nothing asked for is denied");
  const deliver = element(
    service.body,
    "AllFunctions",
    "WVCSPFeat",
    "PresenceFeat",
    "PresenceDeliverFunc",
  );
  assert.deepEqual(Object.keys(deliver).sort(), [
    "GETPR",
    "UPDPR",
  ]);
});

Deno.test("1.2: per-client attributes: each of alice's clients keeps its own ClientInfo", async () => {
  await using h = await startServer();
  const [alice] = await loggedIn(h, "1.2", "alice");
  const clientInfo = (url: string, type: string) =>
    `<ClientInfo><Qualifier>T</Qualifier><ClientType>${type}</ClientType>` +
    `<ClientID><URL>${url}</URL></ClientID></ClientInfo>`;
  const publish = (xml: string) =>
    alice.send(
      `<UpdatePresence-Request><PresenceSubList xmlns="http://www.openmobilealliance.org/DTD/WV-PA1.2">${xml}</PresenceSubList></UpdatePresence-Request>`,
    );
  assert.equal((await publish(clientInfo("http://phone", "MOBILE_PHONE"))).code, 200);
  assert.equal((await publish(clientInfo("http://desk", "COMPUTER"))).code, 200);
  assert.equal((await publish(clientInfo("http://phone", "PDA"))).code, 200);

  const own = await alice.send(getPresence("1.2", [id("alice")]));
  const infos = nodes(subList(at(own.body, "Presence", 0)), "ClientInfo");
  const byClient = infos.map((i) => [at(i, "ClientID", "URL"), i.ClientType]);
  assert.deepEqual(byClient.sort(), [["http://desk", "COMPUTER"], ["http://phone", "PDA"]]);
});
