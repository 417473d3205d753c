/**
 * Presence stays right under concurrency and crashes: two updates at once both land, a
 * notification handed out but not acknowledged is followed by the newer one, listeners left by a
 * session that ended without its end hook are cleared, and subscriptions are bounded.
 */
import assert from "node:assert/strict";
import { LIMITS } from "../../src/services/presence/limits.ts";
import { PresenceRepo } from "../../src/services/presence/repo.ts";
import { commitAll } from "../../src/services/presence/commit.ts";
import { type Mutation, set } from "../../src/store/kv.ts";
import { startServer } from "../support/harness.ts";
import {
  attrs,
  authorise,
  bobWatchingAlice,
  detailCodes,
  getPresence,
  id,
  loggedIn,
  notified,
  pollAll,
  subList,
  subscribeUsers,
  update,
  value,
} from "./support.ts";
import { at } from "../support/body_reader.ts";

Deno.test("two updates of alice at once both land: neither loses the other's attribute", async () => {
  await using h = await startServer();
  const [alice, bob] = await bobWatchingAlice(h, "1.2", "StatusText", "Alias", "StatusMood");

  const answers = await Promise.all([
    alice.send(update({ StatusText: "in a meeting" })),
    alice.send(update({ Alias: "Al" })),
    alice.send(update({ StatusMood: "HAPPY" })),
  ]);
  assert.deepEqual(answers.map((a) => a.code), [200, 200, 200]);

  const own = await alice.send(getPresence("1.2", [id("alice")]));
  const list = subList(at(own.body, "Presence", 0));
  assert.equal(value(list, "StatusText"), "in a meeting");
  assert.equal(value(list, "Alias"), "Al");
  assert.equal(value(list, "StatusMood"), "HAPPY");
  const seen = notified(await pollAll(bob)).get(id("alice"));
  assert.equal(value(seen, "Alias"), "Al", "bob's last notification shows all three");
  assert.equal(value(seen, "StatusMood"), "HAPPY");
});

Deno.test("another writer's change between read and commit is kept: the change is retried", async () => {
  await using h = await startServer();
  const store = h.server.context.store;
  const user = id("alice");
  const key = ["presence", "state", user];
  const repo = new PresenceRepo(store);
  let tries = 0;
  await repo.changePresence(user, (current) => {
    // The first time, another writer (another server instance) commits between our read and
    // our commit.
    if (tries++ === 0) {
      const attributes = { Alias: { Qualifier: true, PresenceValue: "elsewhere" } };
      void store.write(set(key, { attributes, updatedAt: Date.now() }));
    }
    return { ...current, StatusText: { Qualifier: true, PresenceValue: "mine" } };
  });
  assert.equal(tries, 2, "the refused commit made it read again");
  const stored = await new PresenceRepo(store).presence(user);
  assert.equal(value(stored, "Alias"), "elsewhere");
  assert.equal(value(stored, "StatusText"), "mine");
});

Deno.test("carol grants bob while his subscription is being written: he sees her, and what follows", async () => {
  await using h = await startServer();
  const [bob, carol] = await loggedIn(h, "1.2", "bob", "carol");
  await carol.send(update({ StatusText: "hello" }));

  // carol's grant lands after bob's subscription read her decision (none yet) and before it is
  // committed: the moment a remote watcher's subscription meets the owner's answer.
  const store = h.server.context.store;
  const write = store.write.bind(store);
  let grants = 0;
  store.write = async (...mutations: Mutation[]) => {
    const asksCarol = mutations.some((m) =>
      m.type === "set" && m.key[1] === "auth" && m.key[2] === id("carol") &&
      (m.value as { state: string }).state === "pending"
    );
    if (asksCarol && grants++ === 0) {
      const grant = `<PresenceAuth-User><UserID>${
        id("bob")
      }</UserID><Acceptance>T</Acceptance></PresenceAuth-User>`;
      assert.equal((await carol.send(grant)).code, 200);
    }
    return await write(...mutations);
  };
  const subscribed = await bob.send(subscribeUsers("1.2", [id("carol")], attrs("StatusText")));
  assert.equal(subscribed.code, 200);
  assert.equal(grants, 1, "the grant came in between");

  const seen = notified(await pollAll(bob)).get(id("carol"));
  assert.equal(value(seen, "StatusText"), "hello", "bob sees carol's presence at once");
  await carol.send(update({ StatusText: "later" }));
  const next = notified(await pollAll(bob)).get(id("carol"));
  assert.equal(value(next, "StatusText"), "later", "carol's grant stands: not turned to pending");
});

Deno.test("bob polls without acknowledging; alice changes again; the newer state still reaches him", async () => {
  await using h = await startServer();
  const [alice, bob] = await bobWatchingAlice(h, "1.2", "StatusText");

  await alice.send(update({ StatusText: "one" }));
  const handedOut = await bob.send("<Polling-Request/>", { transactionId: "" });
  const first = handedOut.message!.transactions[0];
  assert.equal(value(notified([first]).get(id("alice")), "StatusText"), "one");

  await alice.send(update({ StatusText: "two" }));
  await bob.send("<Status><Result><Code>200</Code></Result></Status>", {
    mode: "Response",
    transactionId: first.transactionId,
  });
  const later = await pollAll(bob);
  assert.equal(later.length, 1);
  assert.equal(value(notified(later).get(id("alice")), "StatusText"), "two");
});

Deno.test("listeners of a session that ended without its end hook are found and cleared", async () => {
  await using h = await startServer();
  const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
  await alice.send(authorise("1.2", [id("bob")], "StatusText"));
  await bob.send(subscribeUsers("1.2", [id("alice")]));
  const context = h.server.context;
  const repo = new PresenceRepo(context.store);
  // A crash after the session record went and before the end hook ran leaves this behind.
  const crashed = "0123456789abcdef0123456789abcdef";
  await context.store.write(
    repo.setListener(id("alice"), {
      watcher: id("bob"),
      session: crashed,
      record: { attributes: "all" },
    }),
  );
  assert.equal((await repo.listeners(id("alice"))).length, 2);

  assert.ok(LIMITS.listenerChecks >= 2, "with two listeners both are checked");
  await alice.send(update({ StatusText: "hello" }));
  const left = await repo.listeners(id("alice"));
  assert.deepEqual(left.map((l) => l.session), [bob.sessionId]);
  assert.deepEqual(await context.outbox.all(crashed), [], "nothing is queued for it");
  assert.equal(value(notified(await pollAll(bob)).get(id("alice")), "StatusText"), "hello");
});

Deno.test(`a user watching ${LIMITS.subscriptions} others gets 754 for one more`, async () => {
  await using h = await startServer();
  const [alice, bob, carol] = await loggedIn(h, "1.2", "alice", "bob", "carol");
  const repo = new PresenceRepo(h.server.context.store);
  const since = Date.now();
  await commitAll(
    h.server.context.store,
    Array.from(
      { length: LIMITS.subscriptions - 1 },
      (_, i) =>
        repo.setWatch(`wv:someone${i}@example.com`, id("alice"), {
          attributes: "all",
          via: ["direct"],
          since,
        }),
    ).flat(),
  );
  const last = await alice.send(subscribeUsers("1.2", [id("bob")]));
  assert.equal(last.code, 200, "the last one within the bound");

  const over = await alice.send(subscribeUsers("1.2", [id("carol")]));
  assert.equal(over.code, 754);
  const again = await alice.send(subscribeUsers("1.2", [id("bob"), id("carol")]));
  assert.equal(again.code, 201, "bob is already watched, carol is one too many");
  assert.deepEqual(detailCodes(again.body), [754]);
  assert.equal(await repo.watch(id("carol"), id("alice")), undefined);
  assert.ok(await repo.watch(id("bob"), id("alice")));
  const asked = await pollAll(bob);
  assert.deepEqual(asked.map((tx) => tx.primitive.name), ["PresenceAuth-Request"]);
  assert.deepEqual(await pollAll(carol), [], "carol is not asked");
});
