/** Conversations in a group: creating, joining, talking, notices, leaving, deleting. */
import assert from "node:assert/strict";
import { loggedIn, startServer } from "../support/harness.ts";
import { ackDelivered, infoOf, poll, pollOne } from "../im/im_support.ts";
import {
  ask,
  createGroup,
  drain,
  GROUP,
  joinOk,
  leave,
  primitivesOf,
  sendToGroup,
  snames,
} from "./support.ts";
import { at, nodes, resultCode } from "../support/body_reader.ts";

Deno.test("over HTTP, 1.2: alice opens a room, bob joins, they talk under their screen names", async () => {
  await using h = await startServer({ overHttp: true });
  const [alice, bob, carol] = await loggedIn(h, "1.2", "alice", "bob", "carol");

  const created = await createGroup(alice, GROUP, {
    properties: { Name: "Chat room", AccessType: "Open", Topic: "Testing" },
    welcome: "Welcome!",
    join: true,
    screenName: "Alice",
    subscribe: true,
  });
  assert.equal(created.code, 200, created.text);

  const joined = await joinOk(bob, GROUP, "Bob", { joined: true, subscribe: true });
  assert.deepEqual(snames(at(joined.body, "UserMapList", "UserMapping")).sort(), ["Alice", "Bob"]);
  assert.equal(at(joined.body, "WelcomeNote", "ContentData"), "Welcome!");

  const notice = await pollOne(alice, "GroupChangeNotice");
  assert.equal(notice.primitive.body.GroupID, GROUP);
  const mapping = at(notice.primitive.body, "Joined", "UserMapList", "UserMapping", "Mapping");
  // alice is the owner (an Admin): she sees who bob is.
  assert.deepEqual(mapping, [{ SName: "Bob", UserID: bob.userId }]);

  const sent = await sendToGroup(alice, GROUP, "Hello group");
  assert.equal(sent.code, 200, sent.text);
  assert.match(String(sent.body.MessageID), /^[0-9a-f]{22}$/);
  const tx = await pollOne(bob, "NewMessage");
  const info = infoOf(tx);
  assert.deepEqual(info.Recipient, { Group: [{ GroupID: GROUP }] });
  assert.deepEqual(info.Sender, { Group: { ScreenName: { SName: "Alice", GroupID: GROUP } } });
  assert.equal(tx.primitive.body.ContentData, "Hello group");
  await ackDelivered(bob, tx);
  assert.deepEqual(await poll(alice), [], "the sender gets no copy of her own message");
  assert.deepEqual(await poll(carol), [], "carol has not joined: nothing for her");

  const refused = await sendToGroup(carol, GROUP, "let me in");
  assert.equal(refused.code, 808, "not joined: may not post");

  const left = await leave(bob, GROUP);
  assert.equal(left.primitive.name, "LeaveGroup-Response");
  assert.equal(left.code, 200);
  const leftNotice = await pollOne(alice, "GroupChangeNotice");
  assert.deepEqual(leftNotice.primitive.body.Left, {
    UserList: { ScreenName: [{ SName: "Bob", GroupID: GROUP }] },
  });

  await joinOk(bob, GROUP, "Bob");
  await drain(alice);
  assert.equal((await ask(alice, "DeleteGroup-Request", GROUP)).code, 200);
  const gone = await pollOne(bob, "LeaveGroup-Response");
  assert.equal(gone.primitive.body.GroupID, GROUP);
  assert.equal(resultCode(gone.primitive.body), 800);
  assert.equal((await ask(bob, "GetGroupProps-Request", GROUP)).code, 800);
  assert.deepEqual(
    primitivesOf(await poll(alice)),
    ["LeaveGroup-Response"],
    "the owner, joined, is told too",
  );
});

Deno.test("three users: everyone joined hears everyone else, the subscribed hear the changes", async () => {
  await using h = await startServer();
  const [alice, bob, carol] = await loggedIn(h, "1.3", "alice", "bob", "carol");
  assert.equal((await createGroup(alice, GROUP, { join: true, screenName: "Al" })).code, 200);
  await joinOk(bob, GROUP, "Bobby", { subscribe: true });
  await joinOk(carol, GROUP, "Caro");
  const told = await pollOne(bob, "GroupChangeNotice");
  const joined = at(told.primitive.body, "Joined", "UserMapList", "UserMapping", "Mapping");
  // bob is a plain user of a group that does not show ids: names only.
  assert.deepEqual(joined, [{ SName: "Caro" }]);
  assert.deepEqual(await poll(carol), [], "carol did not subscribe");

  assert.equal((await sendToGroup(carol, GROUP, "hi all")).code, 200);
  for (const member of [alice, bob]) {
    const [tx] = (await drain(member)).filter((t) => t.primitive.name === "NewMessage");
    assert.deepEqual(infoOf(tx).Sender, {
      Group: { ScreenName: { SName: "Caro", GroupID: GROUP } },
    });
  }
  assert.deepEqual(await poll(carol), []);

  // Topic changes reach the subscribed (bob), not the one who made them.
  const set = await alice.send(
    `<SetGroupProps-Request><GroupID>${GROUP}</GroupID><GroupProperties>` +
      `<Property><Name>Topic</Name><Value>News</Value></Property></GroupProperties></SetGroupProps-Request>`,
  );
  assert.equal(set.code, 200, set.text);
  const change = await pollOne(bob, "GroupChangeNotice");
  assert.deepEqual(change.primitive.body.GroupProperties, {
    Property: [{ Name: "Topic", Value: "News" }],
  });

  // carol's last session ends: she leaves the group, bob hears it.
  await carol.send("<Logout-Request/>");
  const left = await pollOne(bob, "GroupChangeNotice");
  assert.deepEqual(left.primitive.body.Left, {
    UserList: { ScreenName: [{ SName: "Caro", GroupID: GROUP }] },
  });
  const joinedNow = await ask(alice, "GetJoinedUsers-Request", GROUP);
  assert.deepEqual(snames(at(joinedNow.body, "AdminMapList", "AdminMapping")), ["Al"]);
  assert.deepEqual(snames(at(joinedNow.body, "AdminMapList", "UserMapping")), ["Bobby"]);
});

Deno.test("an AutoDelete group goes when its last user leaves", async () => {
  await using h = await startServer();
  const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
  const created = await createGroup(alice, GROUP, {
    properties: { AutoDelete: "T" },
    join: true,
  });
  assert.equal(created.code, 200);
  await joinOk(bob, GROUP);
  assert.equal((await leave(alice, GROUP)).code, 200);
  const props = await ask(bob, "GetGroupProps-Request", GROUP);
  assert.equal(props.primitive.name, "GetGroupProps-Response", "bob is still in");
  assert.equal((await leave(bob, GROUP.toUpperCase())).code, 200, "ids are case-insensitive");
  assert.equal((await ask(alice, "GetGroupProps-Request", GROUP)).code, 800, "gone");
  assert.equal((await createGroup(alice, GROUP)).code, 200, "and the id is free again");
});

Deno.test("SubscribeGroupNotice: get, set and unset, for joined users only", async () => {
  await using h = await startServer();
  const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
  await createGroup(alice, GROUP, { join: true });
  const subscribe = (who: typeof alice, type: string) =>
    ask(who, "SubscribeGroupNotice-Request", GROUP, `<SubscribeType>${type}</SubscribeType>`);
  assert.equal((await subscribe(bob, "G")).code, 808, "bob has not joined");
  const got = await subscribe(alice, "G");
  assert.equal(got.primitive.name, "SubscribeGroupNotice-Response");
  assert.equal(got.body.Value, "F");
  assert.equal((await subscribe(alice, "S")).code, 200);
  assert.equal((await subscribe(alice, "G")).body.Value, "T");
  await joinOk(bob, GROUP);
  await pollOne(alice, "GroupChangeNotice");
  assert.equal((await subscribe(alice, "U")).code, 200);
  await leave(bob, GROUP);
  assert.deepEqual(await poll(alice), [], "unsubscribed: nothing more");
  assert.equal((await subscribe(alice, "X")).code, 402);
});

Deno.test("GetMessageList with a GroupID lists what came through that group", async () => {
  await using h = await startServer();
  const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
  await createGroup(alice, GROUP, { join: true });
  await joinOk(bob, GROUP);
  // Notified, bob keeps his group copies in his mailbox (pushed ones are only queued).
  await bob.send(
    "<SetDeliveryMethod-Request><DeliveryMethod>N</DeliveryMethod></SetDeliveryMethod-Request>",
  );
  await sendToGroup(alice, GROUP, "to the group");
  await alice.send(
    `<SendMessage-Request><DeliveryReport>F</DeliveryReport><MessageInfo><Recipient><User>` +
      `<UserID>${bob.userId}</UserID></User></Recipient></MessageInfo><ContentData>to bob` +
      `</ContentData></SendMessage-Request>`,
  );
  const list = (group?: string) =>
    bob.send(
      `<GetMessageList-Request>${
        group ? `<GroupID>${group}</GroupID>` : ""
      }</GetMessageList-Request>`,
    );
  const infos = (reply: Awaited<ReturnType<typeof list>>) =>
    nodes(reply.body, "MessageInfoList", "MessageInfo");
  assert.equal(infos(await list()).length, 2);
  const grouped = infos(await list(GROUP.toUpperCase()));
  assert.equal(grouped.length, 1);
  assert.deepEqual(grouped[0].Recipient, { Group: [{ GroupID: GROUP }] });
  assert.equal(infos(await list("wv:alice/other@example.com")).length, 0);
});
