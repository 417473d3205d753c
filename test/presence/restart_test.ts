/** Contact lists, authorisations, subscriptions and presence live in KV and survive a restart. */
import assert from "node:assert/strict";
import { startServer } from "../support/harness.ts";
import {
  authorise,
  id,
  listId,
  loggedIn,
  notified,
  pollAll,
  subscribeUsers,
  update,
  value,
} from "./support.ts";
import { at } from "../support/body_reader.ts";

Deno.test("after a restart bob still has his list and still watches alice", async () => {
  const dir = await Deno.makeTempDir();
  const env = { IMPS_DATA: `${dir}/imps.kv` };
  try {
    {
      await using h = await startServer({ env });
      const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
      await alice.send(authorise("1.2", [id("bob")], "StatusText", "OnlineStatus"));
      await alice.send(update({ StatusText: "before" }));
      await bob.send(
        `<CreateList-Request><ContactList>${listId("bob", "friends")}</ContactList><NickList>` +
          `<NickName><Name>Alice</Name><UserID>${id("alice")}</UserID></NickName></NickList>` +
          `</CreateList-Request>`,
      );
      await bob.send(subscribeUsers("1.2", [id("alice")]));
    }

    await using restarted = await startServer({ env });
    const alice = restarted.client("alice", "1.2");
    const bob = restarted.client("bob", "1.2");
    await bob.login("pw");
    await alice.login("pw");

    const managed = await bob.send(
      `<ListManage-Request><ContactList>${
        listId("bob", "friends")
      }</ContactList><ReceiveList>T</ReceiveList></ListManage-Request>`,
    );
    assert.deepEqual(at(managed.body, "NickList", "NickName"), [
      { Name: "Alice", UserID: id("alice") },
    ]);

    await alice.send(update({ StatusText: "after" }));
    const seen = notified(await pollAll(bob)).get(id("alice"));
    assert.equal(value(seen, "StatusText"), "after");
    assert.equal(value(seen, "OnlineStatus"), "T");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
