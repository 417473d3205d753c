/** The reject list (bans) and private messages inside a group. */
import assert from "node:assert/strict";
import type { ElementObject } from "../../src/codec/csp/message.ts";
import { loggedIn, startServer } from "../support/harness.ts";
import { infoOf, poll, pollOne } from "../im/im_support.ts";
import { ask, createGroup, drain, GROUP, join, joinOk, sendToGroup, users } from "./support.ts";
import { nodes, resultCode } from "../support/body_reader.ts";

const rejected = (reply: { body: ElementObject }) =>
  nodes(reply.body, "UserList", "User").map((u) => u.UserID);

Deno.test("a banned user is taken out and may not come back, read or post", async () => {
  await using h = await startServer();
  const [alice, bob, mallory] = await loggedIn(h, "1.2", "alice", "bob", "mallory");
  await createGroup(alice, GROUP, { join: true, subscribe: true });
  await joinOk(bob, GROUP, "Bob");
  await joinOk(mallory, GROUP, "Mal");
  await drain(alice);

  assert.equal(
    (await ask(bob, "RejectList-Request", GROUP, `<AddList>${users(mallory.userId)}</AddList>`))
      .code,
    816,
    "a plain User may not ban",
  );
  const banned = await ask(
    alice,
    "RejectList-Request",
    GROUP,
    `<AddList><ScreenName><SName>mal</SName><GroupID>${GROUP}</GroupID></ScreenName></AddList>`,
  );
  assert.equal(banned.primitive.name, "RejectList-Response", banned.text);
  assert.deepEqual(rejected(banned), [mallory.userId]);

  const out = await pollOne(mallory, "LeaveGroup-Response");
  assert.equal(resultCode(out.primitive.body), 809);
  const left = await pollOne(alice, "GroupChangeNotice");
  assert.deepEqual(left.primitive.body.Left, {
    UserList: { ScreenName: [{ SName: "Mal", GroupID: GROUP }] },
  });
  assert.equal((await join(mallory, GROUP, "Mal2")).code, 809);
  assert.equal((await sendToGroup(mallory, GROUP, "let me back")).code, 809);
  assert.equal((await ask(mallory, "GetGroupProps-Request", GROUP)).code, 809);
  assert.equal((await ask(mallory, "GetJoinedUsers-Request", GROUP)).code, 809);

  assert.equal(
    (await ask(alice, "RejectList-Request", GROUP, `<AddList>${users(alice.userId)}</AddList>`))
      .code,
    816,
    "nobody bans the owner",
  );
  const lifted = await ask(
    alice,
    "RejectList-Request",
    GROUP,
    `<RemoveList>${users(mallory.userId)}</RemoveList>`,
  );
  assert.deepEqual(rejected(lifted), []);
  await joinOk(mallory, GROUP, "Mal");
});

Deno.test("private messages reach one screen name, where the group and the member allow", async () => {
  await using h = await startServer();
  const [alice, bob, carol] = await loggedIn(h, "1.2", "alice", "bob", "carol");
  await createGroup(alice, GROUP, { join: true, screenName: "Al" });
  await joinOk(bob, GROUP, "Bob");
  await joinOk(carol, GROUP, "Caro", {
    own: "<Property><Name>PrivateMessaging</Name><Value>F</Value></Property>",
  });

  assert.equal((await sendToGroup(alice, GROUP, "psst", "Bob")).code, 812, "group disallows");
  await alice.send(
    `<SetGroupProps-Request><GroupID>${GROUP}</GroupID><GroupProperties><Property>` +
      `<Name>PrivateMessaging</Name><Value>T</Value></Property></GroupProperties></SetGroupProps-Request>`,
  );
  assert.equal((await sendToGroup(alice, GROUP, "psst", "bob")).code, 200);
  const tx = await pollOne(bob, "NewMessage");
  assert.deepEqual(infoOf(tx).Recipient, {
    Group: [{ ScreenName: { SName: "Bob", GroupID: GROUP } }],
  });
  assert.deepEqual(infoOf(tx).Sender, { Group: { ScreenName: { SName: "Al", GroupID: GROUP } } });
  assert.deepEqual(await poll(carol), [], "only bob");
  assert.equal((await sendToGroup(alice, GROUP, "psst", "Caro")).code, 813, "carol refuses");
  assert.equal((await sendToGroup(alice, GROUP, "psst", "Nobody")).code, 531);
});

Deno.test("a member who blocks the sender, or the whole group, hears nothing from it", async () => {
  await using h = await startServer();
  const [alice, bob, carol] = await loggedIn(h, "1.2", "alice", "bob", "carol");
  await createGroup(alice, GROUP, { join: true });
  await joinOk(bob, GROUP);
  await joinOk(carol, GROUP);
  const block = (who: typeof bob, entity: string) =>
    who.send(
      `<BlockEntity-Request><BlockList><InUse>T</InUse><AddList>${entity}</AddList></BlockList>` +
        `</BlockEntity-Request>`,
    );
  assert.equal((await block(bob, `<UserID>${alice.userId}</UserID>`)).code, 200);
  assert.equal((await block(carol, `<GroupID>${GROUP.toUpperCase()}</GroupID>`)).code, 200);
  assert.equal((await sendToGroup(alice, GROUP, "anyone?")).code, 200, "the group took it");
  assert.deepEqual(await poll(bob), []);
  assert.deepEqual(await poll(carol), []);
  assert.equal((await sendToGroup(carol, GROUP, "bob hears me")).code, 200);
  assert.equal((await pollOne(bob, "NewMessage")).primitive.body.ContentData, "bob hears me");
});
