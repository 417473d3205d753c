/**
 * Running a group of another domain: alice@a.test creates a group on b.test, manages its
 * members, roles and reject list, and deletes it, with the same roles and checks as b.test's own
 * users; AutoJoin brings her back into a group of b.test at her next login.
 */
import assert from "node:assert/strict";
import { all, obj, str } from "../../src/session/values.ts";
import { ask, createGroup, join, joinOk, property, sendToGroup, users } from "../group/support.ts";
import { PEER_WIRES, pollUntil, startDomains } from "./ssp_support.ts";

const CLUB = "wv:alice/club@b.test";

for (const wire of PEER_WIRES) {
  Deno.test(`alice@a.test creates, runs and deletes a group on b.test (${wire} peer)`, async () => {
    const [a, b] = await startDomains(["a.test", "b.test"], {}, wire);
    try {
      const [alice, dave] = await a.login("alice", "dave");
      const [bob, carol, eve] = await b.login("bob", "carol", "eve");

      // Named after its creator's user part, as a local group: not after someone else's.
      assert.equal((await createGroup(alice, "wv:zed/club@b.test")).code, 806);
      // Nor after a user of b.test: wv:dave/…@b.test is b.test's dave's to name.
      await b.login("dave");
      assert.equal((await createGroup(dave, "wv:dave/den@b.test")).code, 806);
      const created = await createGroup(alice, CLUB, {
        properties: { Name: "Club", Accesstype: "Restricted" },
        join: true,
        screenName: "Alice",
      });
      assert.equal(created.code, 200, created.text);

      // Restricted: only members join (816). alice (owner, of another domain) adds bob and dave.
      assert.equal((await join(bob, CLUB, "Bob")).code, 816);
      const added = await ask(
        alice,
        "AddGroupMembers-Request",
        CLUB,
        users("wv:bob@b.test", "wv:dave@a.test"),
      );
      assert.equal(added.code, 200, added.text);
      await joinOk(bob, CLUB, "Bob");
      await joinOk(dave, CLUB, "Dave");

      // dave is an ordinary member: he may not add anyone (816), as on b.test itself.
      const refused = await ask(dave, "AddGroupMembers-Request", CLUB, users("wv:carol@b.test"));
      assert.equal(refused.code, 816, refused.text);

      // One unknown user among those added: 201 naming him.
      const partly = await ask(
        alice,
        "AddGroupMembers-Request",
        CLUB,
        users("wv:carol@b.test", "wv:nobody@b.test"),
      );
      assert.equal(partly.code, 201, partly.text);
      assert.match(partly.text, /wv:nobody@b\.test/);

      // Roles: dave becomes a moderator and may now add; the member list shows it.
      const access = await ask(
        alice,
        "MemberAccess-Request",
        CLUB,
        `<Mod>${users("wv:dave@a.test")}</Mod>`,
      );
      assert.equal(access.code, 200, access.text);
      assert.equal(
        (await ask(dave, "AddGroupMembers-Request", CLUB, users("wv:eve@b.test"))).code,
        200,
      );
      const members = await ask(alice, "GetGroupMembers-Request", CLUB);
      const mods = all(obj(obj(members.primitive.body.Mod)?.UserList)?.User).map((u) =>
        str(obj(u)?.UserID)
      );
      assert.deepEqual(mods, ["wv:dave@a.test"]);

      // The reject list: eve is put on it (and so out), the answer lists it.
      const rejected = await ask(
        alice,
        "RejectList-Request",
        CLUB,
        `<AddList>${users("wv:eve@b.test")}</AddList>`,
      );
      assert.equal(rejected.primitive.name, "RejectList-Response", rejected.text);
      assert.match(rejected.text, /wv:eve@b\.test/);
      assert.equal((await join(eve, CLUB, "Eve")).code, 809);

      // carol is removed again.
      assert.equal(
        (await ask(alice, "RemoveGroupMembers-Request", CLUB, users("wv:carol@b.test"))).code,
        200,
      );
      assert.equal((await join(carol, CLUB, "Carol")).code, 816);

      // Only the owner deletes it: not dave, then alice; bob hears the group is gone.
      assert.equal((await ask(dave, "DeleteGroup-Request", CLUB)).code, 816);
      assert.equal((await ask(alice, "DeleteGroup-Request", CLUB)).code, 200);
      await pollUntil(bob, "LeaveGroup-Response");
      assert.equal((await ask(bob, "GetGroupProps-Request", CLUB)).code, 800);
    } finally {
      await a.close();
      await b.close();
    }
  });
}

for (const wire of PEER_WIRES) {
  Deno.test(`AutoJoin: alice rejoins b.test's group at her next login (${wire} peer)`, async () => {
    const [a, b] = await startDomains(["a.test", "b.test"], {}, wire);
    try {
      const [bob] = await b.login("bob");
      const group = "wv:bob/lounge@b.test";
      assert.equal(
        (await createGroup(bob, group, { properties: { Accesstype: "Open" }, join: true })).code,
        200,
      );
      let [alice] = await a.login("alice");
      await joinOk(alice, group, "Ali", { own: property("AutoJoin", "T") });
      await alice.send("<Logout-Request/>");

      // Her last session ended: she left. Her next login takes her back in, as "Ali".
      [alice] = await a.login("alice");
      for (let i = 0;; i++) {
        if ((await sendToGroup(alice, group, "back again")).code === 200) break;
        assert.ok(i < 100, "alice was not joined again");
        await new Promise((r) => setTimeout(r, 50));
      }
      const got = await pollUntil(bob, "NewMessage", (m) => str(m.ContentData) === "back again");
      const sender = obj(obj(obj(got.primitive.body.MessageInfo)?.Sender)?.Group)?.ScreenName;
      assert.equal(str(obj(sender)?.SName), "Ali");
    } finally {
      await a.close();
      await b.close();
    }
  });
}
