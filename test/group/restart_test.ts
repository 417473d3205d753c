/** Groups outlive the server process: properties, members, roles, bans and joins are in KV. */
import assert from "node:assert/strict";
import { PASSWORD, startServer } from "../support/harness.ts";
import { pollOne } from "../im/im_support.ts";
import { ask, createGroup, GROUP, joinOk, sendToGroup, users } from "./support.ts";
import { nodes } from "../support/body_reader.ts";

Deno.test("after a restart the group, its members, roles, ban list and joined users are there", async () => {
  const dir = await Deno.makeTempDir();
  const env = { IMPS_DATA: `${dir}/imps.kv` };
  try {
    const sessions: Record<string, string> = {};
    {
      await using h = await startServer({ env });
      for (const name of ["alice", "bob", "mallory"]) await h.addUser(name, PASSWORD);
      const [alice, bob, mallory] = ["alice", "bob", "mallory"].map((n) => h.client(n, "1.2"));
      for (const c of [alice, bob, mallory]) await c.login(PASSWORD);
      await createGroup(alice, GROUP, {
        properties: { Name: "Kept", Topic: "persistence" },
        welcome: "still here",
        join: true,
        screenName: "Al",
      });
      await ask(alice, "MemberAccess-Request", GROUP, `<Mod>${users(bob.userId)}</Mod>`);
      await ask(alice, "RejectList-Request", GROUP, `<AddList>${users(mallory.userId)}</AddList>`);
      await joinOk(bob, GROUP, "Bob");
      sessions.alice = alice.sessionId!;
      sessions.bob = bob.sessionId!;
    }
    await using h = await startServer({ env });
    const alice = h.client("alice", "1.2");
    const bob = h.client("bob", "1.2");
    alice.sessionId = sessions.alice;
    bob.sessionId = sessions.bob;

    const props = await ask(bob, "GetGroupProps-Request", GROUP);
    const named = nodes(props.body, "GroupProperties", "Property").find((p) => p.Name === "Topic");
    assert.equal(named?.Value, "persistence");
    const members = await ask(bob, "GetGroupMembers-Request", GROUP);
    assert.deepEqual(
      nodes(members.body, "Mod", "UserList", "User").map((u) => u.UserID),
      [bob.userId],
    );
    const banned = await ask(alice, "RejectList-Request", GROUP);
    assert.deepEqual(
      nodes(banned.body, "UserList", "User").map((u) => u.UserID),
      ["wv:mallory@example.com"],
    );
    // Both sessions survived the restart, and so did their joins: they still talk.
    assert.equal((await sendToGroup(alice, GROUP, "welcome back")).code, 200);
    const tx = await pollOne(bob, "NewMessage");
    assert.equal(tx.primitive.body.ContentData, "welcome back");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
