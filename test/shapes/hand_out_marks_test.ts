/**
 * In shared mode a hand-out is marked in KV, so that a poll on another instance does not hand
 * the message out again; a message delivered and acknowledged leaves no mark behind, or every
 * later poll of the session would read one per message it ever received.
 */
import assert from "node:assert/strict";
import { startServer } from "../support/harness.ts";
import { ackDelivered, pollOne, sendOk } from "../im/im_support.ts";

Deno.test("shared mode: bob's acknowledged messages leave no hand-out marks for his polls to read", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using h = await startServer({
      shape: "one",
      env: { IMPS_DATA: `${dir}/imps.kv`, IMPS_SHARED: "true" },
    });
    await h.addUser("alice", "secret");
    await h.addUser("bob", "secret");
    const alice = h.client("alice");
    const bob = h.client("bob");
    await alice.login("secret");
    await bob.login("secret");
    const marks = () => h.server.context.store.list(["outbox_handed", bob.sessionId!]);

    for (const text of ["one", "two", "three"]) {
      await sendOk(alice, [bob.userId], text);
      const tx = await pollOne(bob, "NewMessage");
      assert.equal((await marks()).length, 1, "the hand-out is marked until acknowledged");
      await ackDelivered(bob, tx);
    }
    assert.deepEqual(await marks(), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
