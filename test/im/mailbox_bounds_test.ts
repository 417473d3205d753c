/**
 * What one user's mailbox may hold: a sender's share of its messages and of its bytes, the bytes
 * in all, and the group copies only queued to a user's sessions, bounded as a mailbox is.
 */
import assert from "node:assert/strict";
import { loggedIn, startServer } from "../support/harness.ts";
import { createGroup, GROUP, joinOk, sendToGroup } from "../group/support.ts";
import { send, sendOk } from "./im_support.ts";

Deno.test("mallory fills her share of bob's mailbox and gets 507; alice still reaches bob", async () => {
  await using h = await startServer({
    env: { IMPS_MAILBOX_SIZE: "20", IMPS_MAILBOX_SENDER_SHARE: "25" },
  });
  const [mallory, alice, bob] = await loggedIn(h, "1.2", "mallory", "alice", "bob");
  await bob.send("<Logout-Request/>");
  for (let i = 0; i < 5; i++) await sendOk(mallory, [bob.userId], `spam ${i}`);
  assert.equal((await send(mallory, [bob.userId], "spam 5")).code, 507, "25% of 20 is 5");
  await sendOk(alice, [bob.userId], "hello bob");
});

Deno.test("a sender's share of the mailbox's bytes: big messages hit it before the count", async () => {
  await using h = await startServer({
    env: {
      IMPS_MAILBOX_SIZE: "100",
      IMPS_MAILBOX_BYTES: "40000",
      IMPS_MAILBOX_SENDER_SHARE: "50",
    },
  });
  const [mallory, alice, carol, bob] = await loggedIn(h, "1.2", "mallory", "alice", "carol", "bob");
  await bob.send("<Logout-Request/>");
  const big = "x".repeat(9_000);
  for (let i = 0; i < 2; i++) await sendOk(mallory, [bob.userId], big);
  assert.equal((await send(mallory, [bob.userId], big)).code, 507, "27,000 bytes > 20,000");
  await sendOk(alice, [bob.userId], big);
  await sendOk(carol, [bob.userId], "x".repeat(5_000));
  assert.equal((await send(carol, [bob.userId], big)).code, 507, "the mailbox's 40,000 bytes");
  await sendOk(carol, [bob.userId], "short");
});

Deno.test("group copies queued to bob's push sessions stop at IMPS_MAILBOX_SIZE", async () => {
  await using h = await startServer({ env: { IMPS_MAILBOX_SIZE: "5" } });
  const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
  assert.equal((await createGroup(alice, GROUP, { join: true, screenName: "Al" })).code, 200);
  await joinOk(bob, GROUP);
  for (let i = 0; i < 8; i++) assert.equal((await sendToGroup(alice, GROUP, `m${i}`)).code, 200);
  const queued = await h.server.context.outbox.all(bob.sessionId!);
  assert.equal(queued.length, 5, "bob's session holds five copies, not eight");
});
