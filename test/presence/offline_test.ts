/**
 * A user whose last session ends is offline to the watchers, whatever the user published while
 * online: bob says himself that he is online and available (as phones do right after login),
 * alice watches; when bob's last session ends (logout, expiry, Disconnect, a crash of the server),
 * alice is told OnlineStatus F and UserAvailability NOT_AVAILABLE, and what bob's client said
 * about itself is gone.
 */
import assert from "node:assert/strict";
import type { CspVersion, ElementObject } from "../../src/codec/csp/message.ts";
import { type CspClient, type Harness, startServer, VERSIONS } from "../support/harness.ts";
import { pollUntil, startDomains } from "../ssp/ssp_support.ts";
import {
  authorise,
  getPresence,
  id,
  loggedIn,
  notified,
  pollAll,
  subList,
  subscribeUsers,
  value,
} from "./support.ts";
import { at, nodes } from "../support/body_reader.ts";

const PA = `xmlns="http://www.openmobilealliance.org/DTD/WV-PA1.2"`;

/** What a phone publishes right after login: online, available, its ClientInfo, a status. */
const online = (clientUrl?: string) => {
  const client = clientUrl ? `<ClientID><URL>${clientUrl}</URL></ClientID>` : "";
  return `<UpdatePresence-Request><PresenceSubList ${PA}>` +
    `<OnlineStatus><Qualifier>T</Qualifier><PresenceValue>T</PresenceValue>${client}</OnlineStatus>` +
    `<UserAvailability><Qualifier>T</Qualifier><PresenceValue>AVAILABLE</PresenceValue>` +
    `</UserAvailability>` +
    `<ClientInfo><Qualifier>T</Qualifier><ClientType>MOBILE_PHONE</ClientType>` +
    `<ClientProducer>Maker</ClientProducer>${client}</ClientInfo>` +
    `<StatusText><Qualifier>T</Qualifier><PresenceValue>hello</PresenceValue></StatusText>` +
    `</PresenceSubList></UpdatePresence-Request>`;
};

const ALL = ["OnlineStatus", "UserAvailability", "ClientInfo", "StatusText"];

/** bob logged in and published himself online; alice logged in, authorised and watching. */
async function aliceWatchingBob(h: Harness, version: CspVersion, tagged: boolean) {
  const [alice, bob] = await loggedIn(h, version, "alice", "bob");
  assert.equal((await bob.send(online(tagged ? "http://client.test/bob" : undefined))).code, 200);
  await bob.send(authorise(version, [id("alice")], ...ALL));
  await alice.send(subscribeUsers(version, [id("bob")]));
  const first = notified(await pollAll(alice)).get(id("bob"));
  assert.equal(value(first, "OnlineStatus"), "T");
  assert.equal(value(first, "UserAvailability"), "AVAILABLE");
  return [alice, bob];
}

/** Checks that `list` shows bob offline with his client's ClientInfo gone, StatusText kept. */
function assertOffline(list: ElementObject | undefined, what: string) {
  assert.ok(list, `${what}: a presence of bob`);
  // Both may repeat (one instance per client): one instance is left.
  assert.deepEqual([list.OnlineStatus].flat(), [{ Qualifier: true, PresenceValue: "F" }], what);
  assert.equal(value(list, "UserAvailability"), "NOT_AVAILABLE", what);
  assert.deepEqual([list.ClientInfo].flat(), [{ Qualifier: false }], `${what}: no client left`);
  assert.equal(value(list, "StatusText"), "hello", `${what}: what is not per client stays`);
}

async function presenceOf(watcher: CspClient, version: CspVersion, user: string) {
  const reply = await watcher.send(getPresence(version, [id(user)]));
  return subList(at(reply.body, "Presence", 0));
}

for (const version of VERSIONS) {
  for (const tagged of [false, true]) {
    const how = tagged ? "with his ClientID" : "without a ClientID";
    Deno.test(`${version}: bob publishes himself online ${how} and logs out: alice sees him offline`, async () => {
      await using h = await startServer();
      const [alice, bob] = await aliceWatchingBob(h, version, tagged);

      await bob.send("<Logout-Request/>");

      assertOffline(notified(await pollAll(alice)).get(id("bob")), "notified");
      assertOffline(await presenceOf(alice, version, "bob"), "GetPresence");
    });
  }
}

Deno.test("bob's session expires: alice is told he is offline", async () => {
  await using h = await startServer();
  const [alice] = await aliceWatchingBob(h, "1.2", true);
  await alice.send("<KeepAlive-Request><TimeToLive>3600</TimeToLive></KeepAlive-Request>");

  const ended = await h.server.context.sessions.sweep(Date.now() + 601_000);

  assert.ok(ended >= 1);
  assertOffline(notified(await pollAll(alice)).get(id("bob")), "after expiry");
});

Deno.test("bob's account is removed: his session gets Disconnect and alice sees him offline", async () => {
  await using h = await startServer();
  const [alice, bob] = await aliceWatchingBob(h, "1.2", false);

  await h.server.context.sessions.disconnectUser(id("bob"), 601, "Account removed");
  const told = await bob.send("<KeepAlive-Request/>");
  assert.equal(told.primitive.name, "Disconnect");

  assertOffline(notified(await pollAll(alice)).get(id("bob")), "after Disconnect");
});

Deno.test("bob on two clients: the one that logs out takes its ClientInfo; the last takes him offline", async () => {
  await using h = await startServer();
  const [alice, phone] = await aliceWatchingBob(h, "1.2", true);
  const desk = new (phone.constructor as typeof CspClient)(
    "bob",
    "1.2",
    h.transport,
    h.config.domain,
  );
  await desk.send(
    `<Login-Request><UserID>wv:bob@example.com</UserID><ClientID><URL>http://desk</URL></ClientID>` +
      `<Password>pw</Password></Login-Request>`,
    { outband: true },
  ).then((r) => desk.sessionId = String(r.body.SessionID));
  await desk.send(
    `<UpdatePresence-Request><PresenceSubList ${PA}><ClientInfo><Qualifier>T</Qualifier>` +
      `<ClientType>COMPUTER</ClientType><ClientID><URL>http://desk</URL></ClientID></ClientInfo>` +
      `</PresenceSubList></UpdatePresence-Request>`,
  );
  await pollAll(alice);

  await desk.send("<Logout-Request/>");
  const afterDesk = await presenceOf(alice, "1.2", "bob");
  assert.equal(value(afterDesk, "OnlineStatus"), "T", "bob is still online on his phone");
  assert.deepEqual(
    nodes(afterDesk, "ClientInfo").map((i) => i.ClientType),
    ["MOBILE_PHONE"],
  );

  await phone.send("<Logout-Request/>");
  assertOffline(notified(await pollAll(alice)).get(id("bob")), "after the last client");
});

Deno.test("the server crashed between ending bob's session and telling anyone: after a restart alice hears", async () => {
  const dir = await Deno.makeTempDir();
  const env = { IMPS_DATA: `${dir}/imps.kv` };
  try {
    let aliceSession: string;
    {
      await using h = await startServer({ env });
      const [alice, bob] = await aliceWatchingBob(h, "1.2", true);
      aliceSession = alice.sessionId!;
      // What ending the session commits, and nothing after it: the process dies here.
      const { sessions, store } = h.server.context;
      const record = (await sessions.repo.get(bob.sessionId!))!;
      await store.write(...sessions.repo.endMutations(record, "logout"));
    }

    await using h = await startServer({ env });
    const alice = h.client("alice", "1.2");
    alice.sessionId = aliceSession;
    await h.server.context.sessions.sweep(Date.now() + 120_000);

    assertOffline(notified(await pollAll(alice)).get(id("bob")), "after the restart");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the server is killed while bob is logged in and bob never comes back: his session expires after the restart", async () => {
  const dir = await Deno.makeTempDir();
  const env = { IMPS_DATA: `${dir}/imps.kv`, IMPS_TTL_MIN: "30" };
  try {
    let aliceSession: string;
    {
      await using h = await startServer({ env });
      const [alice] = await aliceWatchingBob(h, "1.2", false);
      aliceSession = alice.sessionId!;
    }

    await using h = await startServer({ env });
    const alice = h.client("alice", "1.2");
    alice.sessionId = aliceSession;
    // alice keeps her session alive; bob's (600 s) runs out.
    await alice.send("<KeepAlive-Request><TimeToLive>3600</TimeToLive></KeepAlive-Request>");
    await h.server.context.sessions.sweep(Date.now() + 601_000);

    assertOffline(notified(await pollAll(alice)).get(id("bob")), "after expiry");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("across domains: bob@b.test logs out and alice@a.test, watching him, sees him offline", async () => {
  const [a, b] = await startDomains(["a.test", "b.test"]);
  try {
    const [alice] = await a.login("alice");
    const [bob] = await b.login("bob");
    assert.equal((await bob.send(online("http://client.test/bob"))).code, 200);
    await bob.send(authorise("1.2", ["wv:alice@a.test"], ...ALL));
    await alice.send(subscribeUsers("1.2", ["wv:bob@b.test"]));
    const isBob = (body: ElementObject) => at(body, "Presence", 0, "UserID") === "wv:bob@b.test";
    const first = await pollUntil(alice, "PresenceNotification-Request", isBob);
    assert.equal(
      value(subList(at(first.primitive.body, "Presence", 0)), "OnlineStatus"),
      "T",
    );

    await bob.send("<Logout-Request/>");

    const offline = await pollUntil(alice, "PresenceNotification-Request", isBob);
    assertOffline(subList(at(offline.primitive.body, "Presence", 0)), "relayed");
  } finally {
    await a.close();
    await b.close();
  }
});
