/**
 * Groups across domains over SSP: bob@b.test's group, joined from a.test by alice, who talks
 * in it, hears who comes and goes, reads its members and properties, and leaves; the group's
 * server takes her out when she logs out, is banned, or her server stays unreachable; unknown
 * groups and unreachable servers get clear codes.
 */
import assert from "node:assert/strict";
import type { CspTransaction, ElementObject } from "../../src/codec/csp/message.ts";
import { all, obj, str } from "../../src/session/values.ts";
import type { CspClient } from "../support/harness.ts";
import {
  ask,
  createGroup,
  join,
  joinOk,
  leave,
  property,
  sendToGroup,
  snames,
  users,
} from "../group/support.ts";
import { freePort, PEER_WIRES, pollUntil, startDomains, startNode } from "./ssp_support.ts";

const GROUP = "wv:bob/xchat@b.test";

/** The screen names a GroupChangeNotice says joined (1.2: Joined{UserMapList}). */
const joinedNames = (body: ElementObject) =>
  snames(obj(obj(obj(body.Joined)?.UserMapList)?.UserMapping));

/** The screen names a GroupChangeNotice says left. */
const leftNames = (body: ElementObject) =>
  all(obj(obj(body.Left)?.UserList)?.ScreenName).map((s) => str(obj(s)?.SName));

const groupSender = (tx: CspTransaction) =>
  str(obj(obj(obj(obj(tx.primitive.body.MessageInfo)?.Sender)?.Group)?.ScreenName)?.SName);

async function bobsGroup(bob: CspClient) {
  const created = await createGroup(bob, GROUP, {
    properties: { Name: "Cross chat", Topic: "domains" },
    welcome: "Welcome to B",
    join: true,
    screenName: "BobB",
    subscribe: true,
  });
  assert.equal(created.code, 200, created.text);
}

for (const wire of PEER_WIRES) {
  Deno.test(`a group on b.test joined from a.test: join, talk both ways, notices, leave (${wire} peer)`, async () => {
    const [a, b] = await startDomains(["a.test", "b.test"], {}, wire);
    try {
      const [alice] = await a.login("alice");
      const [bob, carol] = await b.login("bob", "carol");
      await bobsGroup(bob);

      // alice joins from a.test and gets the answer of b.test in her version's shape.
      const joined = await joinOk(alice, GROUP, "AliceA", { joined: true, subscribe: true });
      assert.deepEqual(snames(obj(obj(joined.body.UserMapList)?.UserMapping)).sort(), [
        "AliceA",
        "BobB",
      ]);
      assert.equal(str(obj(joined.body.WelcomeNote)?.ContentData), "Welcome to B");
      // bob, an Admin, is told who joined, UserID and all.
      const toBob = await pollUntil(
        bob,
        "GroupChangeNotice",
        (b) => joinedNames(b).includes("AliceA"),
      );
      const mapping = obj(
        obj(obj(obj(toBob.primitive.body.Joined)?.UserMapList)?.UserMapping)?.Mapping,
      );
      assert.equal(str(mapping?.UserID), "wv:alice@a.test");

      // carol joins on b.test: alice hears of it on a.test, without carol's UserID (ShowID F).
      await joinOk(carol, GROUP, "Carol");
      const toAlice = await pollUntil(
        alice,
        "GroupChangeNotice",
        (b) => joinedNames(b).includes("Carol"),
      );
      assert.equal(toAlice.primitive.body.GroupID, GROUP);
      assert.equal(
        obj(obj(obj(obj(toAlice.primitive.body.Joined)?.UserMapList)?.UserMapping)?.Mapping)
          ?.UserID,
        undefined,
      );

      // alice talks in the group: bob and carol get it under her screen name.
      const sent = await sendToGroup(alice, GROUP, "Hello from A");
      assert.equal(sent.code, 200, sent.text);
      for (const member of [bob, carol]) {
        const message = await pollUntil(member, "NewMessage");
        assert.equal(str(message.primitive.body.ContentData), "Hello from A");
        assert.equal(groupSender(message), "AliceA");
      }

      // bob answers: alice gets it on a.test, from BobB in the group.
      assert.equal((await sendToGroup(bob, GROUP, "Hello from B")).code, 200);
      const back = await pollUntil(alice, "NewMessage");
      assert.equal(str(back.primitive.body.ContentData), "Hello from B");
      assert.equal(groupSender(back), "BobB");
      const recipient = obj(obj(obj(back.primitive.body.MessageInfo)?.Recipient)?.Group);
      assert.equal(str(recipient?.GroupID), GROUP);

      // What alice may read of the group comes from b.test.
      const joinedUsers = await ask(alice, "GetJoinedUsers-Request", GROUP);
      assert.equal(joinedUsers.primitive.name, "GetJoinedUsers-Response", joinedUsers.text);
      assert.deepEqual(snames(obj(obj(joinedUsers.body.UserMapList)?.UserMapping)).sort(), [
        "AliceA",
        "BobB",
        "Carol",
      ]);
      const props = await ask(alice, "GetGroupProps-Request", GROUP);
      assert.equal(props.primitive.name, "GetGroupProps-Response", props.text);
      const values = Object.fromEntries(
        all(obj(props.body.GroupProperties)?.Property).map((p) => [
          str(obj(p)?.Name),
          str(obj(p)?.Value),
        ]),
      );
      assert.equal(values.Name, "Cross chat");
      assert.equal(values.ActiveUsers, "3");
      const own = Object.fromEntries(
        all(obj(props.body.OwnProperties)?.Property).map((p) => [
          str(obj(p)?.Name),
          str(obj(p)?.Value),
        ]),
      );
      assert.equal(own.PrivilegeLevel, "User");
      const members = await ask(alice, "GetGroupMembers-Request", GROUP);
      assert.equal(members.primitive.name, "GetGroupMembers-Response", members.text);
      assert.equal(
        str(obj(all(obj(obj(members.body.Admin)?.UserList)?.User)[0])?.UserID),
        "wv:bob@b.test",
      );
      // Setting the Topic needs the Mod role there: 816 comes back from b.test.
      const set = await ask(
        alice,
        "SetGroupProps-Request",
        GROUP,
        `<GroupProperties>${property("Topic", "mine")}</GroupProperties>`,
      );
      assert.equal(set.code, 816, set.text);
      const subscribed = await ask(
        alice,
        "SubscribeGroupNotice-Request",
        GROUP,
        "<SubscribeType>G</SubscribeType>",
      );
      assert.equal(str(subscribed.body.Value), "T", subscribed.text);

      // alice leaves: the others are told, and she may no longer post.
      const left = await leave(alice, GROUP);
      assert.equal(left.primitive.name, "LeaveGroup-Response", left.text);
      assert.equal(left.code, 200);
      await pollUntil(bob, "GroupChangeNotice", (b) => leftNames(b).includes("AliceA"));
      const late = await sendToGroup(alice, GROUP, "still here?");
      assert.equal(late.code, 808, late.text);
    } finally {
      await a.close();
      await b.close();
    }
  });
}

for (const wire of PEER_WIRES) {
  Deno.test(`alice@a.test logs out or is banned: b.test's group lets her go either way (${wire} peer)`, async () => {
    const [a, b] = await startDomains(["a.test", "b.test"], {}, wire);
    try {
      const [alice] = await a.login("alice");
      const [bob] = await b.login("bob");
      await bobsGroup(bob);

      // Her last session ends on a.test: b.test takes her out as it would a local user.
      await joinOk(alice, GROUP, "AliceA");
      await alice.send("<Logout-Request/>");
      await pollUntil(bob, "GroupChangeNotice", (b) => leftNames(b).includes("AliceA"));

      // Back again, and banned by bob: a.test tells her with an unsolicited LeaveGroup-Response.
      const [again] = await a.login("alice");
      await joinOk(again, GROUP, "AliceA");
      const banned = await bob.send(
        `<RejectList-Request><GroupID>${GROUP}</GroupID><AddList>${
          users("wv:alice@a.test")
        }</AddList></RejectList-Request>`,
      );
      assert.equal(banned.primitive.name, "RejectList-Response", banned.text);
      const removed = await pollUntil(again, "LeaveGroup-Response");
      assert.equal(removed.primitive.body.GroupID, GROUP);
      assert.equal(Number(obj(removed.primitive.body.Result)?.Code), 809);
      // Nothing of the group reaches her any more, and joining again is refused by b.test.
      assert.equal((await sendToGroup(again, GROUP, "let me in")).code, 808);
      assert.equal((await join(again, GROUP, "AliceA")).code, 809);
    } finally {
      await a.close();
      await b.close();
    }
  });
}

for (const wire of PEER_WIRES) {
  Deno.test(`an unknown group of b.test answers 800; a group of an unreachable domain 503 (${wire} peer)`, async () => {
    const [a, b] = await startDomains(["a.test", "b.test"], {}, wire);
    const c = await startNode("c.test", await freePort(), {
      peers: { "down.test": await freePort() },
      env: { IMPS_SSP_DENY: "evil.test" },
    });
    try {
      const [alice] = await a.login("alice");
      await b.login("bob");
      const missing = "wv:bob/nothere@b.test";
      assert.equal((await join(alice, missing, "AliceA")).code, 800);
      assert.equal((await ask(alice, "GetGroupProps-Request", missing)).code, 800);
      assert.equal((await sendToGroup(alice, missing, "anyone?")).code, 808);

      const [carol] = await c.login("carol");
      const down = await join(carol, "wv:dave/g@down.test", "Carol");
      assert.equal(down.code, 503, down.text);
      assert.match(String(obj(down.body.Result)?.Description), /cannot be reached/);
      assert.equal((await join(carol, "wv:eve/g@evil.test")).code, 516);
      assert.equal((await leave(carol, "wv:dave/g@down.test")).code, 503);
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });
}

for (const wire of PEER_WIRES) {
  Deno.test(`a.test vanishes: once a group copy to it is given up, alice is out of b.test's group (${wire} peer)`, async () => {
    const [a, b] = await startDomains(["a.test", "b.test"], { IMPS_SSP_GIVE_UP: "1" }, wire);
    let aUp = true;
    try {
      const [alice] = await a.login("alice");
      const [bob] = await b.login("bob");
      await bobsGroup(bob);
      await joinOk(alice, GROUP, "AliceA");
      await pollUntil(bob, "GroupChangeNotice", (b) => joinedNames(b).includes("AliceA"));

      // a.test goes away without a word; bob's next message cannot reach alice's copy.
      await a.close();
      aUp = false;
      assert.equal((await sendToGroup(bob, GROUP, "still there?")).code, 200);
      await pollUntil(bob, "GroupChangeNotice", (b) => leftNames(b).includes("AliceA"), 8_000);
      const joinedUsers = await ask(bob, "GetJoinedUsers-Request", GROUP);
      const lists = obj(joinedUsers.body.AdminMapList);
      assert.deepEqual(snames(obj(lists?.AdminMapping)), ["BobB"]);
      assert.deepEqual(snames(obj(lists?.UserMapping)), [], "no one else is joined");
    } finally {
      if (aUp) await a.close();
      await b.close();
    }
  });
}
