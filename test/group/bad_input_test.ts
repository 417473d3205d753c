/** Requests the group element must refuse, each with its status code, and hostile values. */
import assert from "node:assert/strict";
import { loggedIn, startServer } from "../support/harness.ts";
import { ask, createGroup, GROUP, join, joinOk, leave, sendToGroup } from "./support.ts";

Deno.test("group ids: unknown 800, taken 801, malformed or not yours 806, other domains 516", async () => {
  await using h = await startServer();
  const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
  assert.equal((await ask(bob, "GetGroupProps-Request", GROUP)).code, 800);
  assert.equal((await join(bob, GROUP)).code, 800);
  assert.equal((await ask(bob, "GetGroupProps-Request", "no-slash-here")).code, 800);
  assert.equal((await createGroup(alice, GROUP)).code, 200);
  assert.equal((await createGroup(alice, GROUP.toUpperCase())).code, 801);
  assert.equal((await createGroup(bob, GROUP)).code, 806, "not under bob's name");
  assert.equal((await createGroup(bob, "wv:/lobby@example.com")).code, 806, "server groups too");
  assert.equal((await createGroup(bob, "wv:bob@example.com")).code, 806, "a user id, no group");
  assert.equal((await createGroup(bob, "wv:bob/x y/z@example.com")).code, 806);
  assert.equal((await createGroup(bob, "wv:bob/chat@elsewhere.org")).code, 516);
  assert.equal((await join(bob, "wv:carol/chat@elsewhere.org")).code, 516);
  assert.equal((await bob.send("<JoinGroup-Request/>")).code, 400, "GroupID missing");
  assert.equal((await bob.send("<DeleteGroup-Request><GroupID/></DeleteGroup-Request>")).code, 400);
});

Deno.test("joining: 807 twice, 811 a taken screen name, 808 leaving or posting unjoined, 817 full", async () => {
  await using h = await startServer();
  const [alice, bob, carol] = await loggedIn(h, "1.2", "alice", "bob", "carol");
  await createGroup(alice, GROUP, {
    properties: { MaxActiveUsers: "2" },
    join: true,
    screenName: "Boss",
  });
  assert.equal((await join(bob, GROUP, "boss")).code, 811, "screen names ignore case");
  await joinOk(bob, GROUP, "Bob");
  assert.equal((await join(bob, GROUP, "Bob2")).code, 807);
  assert.equal((await join(carol, GROUP, "Carol")).code, 817, "two joined at most");
  assert.equal((await leave(carol, GROUP)).code, 808);
  assert.equal((await sendToGroup(carol, GROUP, "hey")).code, 808);
  assert.equal((await join(carol, GROUP, "x".repeat(51))).code, 402, "screen name too long");
  assert.equal((await join(carol, GROUP, "   ")).code, 402, "blank screen name");
  const elsewhere = await carol.send(
    `<JoinGroup-Request><GroupID>${GROUP}</GroupID><ScreenName><SName>c</SName>` +
      `<GroupID>wv:alice/other@example.com</GroupID></ScreenName></JoinGroup-Request>`,
  );
  assert.equal(elsewhere.code, 402, "a ScreenName of another group");
});

Deno.test("properties: unknown 806, bad values 806, History 821, searchable without name 822", async () => {
  await using h = await startServer();
  const [alice] = await loggedIn(h, "1.2", "alice");
  const make = (properties: Record<string, string>, id = GROUP) =>
    createGroup(alice, id, { properties });
  assert.equal((await make({ Colour: "red" })).code, 806);
  assert.equal((await make({ Accesstype: "Sometimes" })).code, 806);
  assert.equal((await make({ MaxActiveUsers: "0" })).code, 806);
  assert.equal((await make({ MaxActiveUsers: "99999999" })).code, 806);
  assert.equal((await make({ PrivateMessaging: "yes" })).code, 806);
  assert.equal((await make({ ActiveUsers: "3" })).code, 806, "set by the server");
  assert.equal((await make({ History: "T" })).code, 821);
  assert.equal((await make({ Searchable: "T" })).code, 822);
  assert.equal((await make({ Name: "x".repeat(257) })).code, 806);
  assert.equal((await make({ accesstype: "restricted", Name: "ok" })).code, 200, "any case");
  const set = await alice.send(
    `<SetGroupProps-Request><GroupID>${GROUP}</GroupID></SetGroupProps-Request>`,
  );
  assert.equal(set.code, 400, "nothing to set");
  const welcome = await alice.send(
    `<SetGroupProps-Request><GroupID>${GROUP}</GroupID><GroupProperties>` +
      `<WelcomeNote><ContentType>text/plain</ContentType><ContentEncoding>BASE64</ContentEncoding>` +
      `<ContentData>not base64!</ContentData></WelcomeNote></GroupProperties></SetGroupProps-Request>`,
  );
  assert.equal(welcome.code, 402);
  const props = await ask(alice, "GetGroupProps-Request", GROUP);
  assert.deepEqual(props.body.GroupProperties, {
    Property: [
      { Name: "Name", Value: "ok" },
      { Name: "Accesstype", Value: "Restricted" },
      { Name: "Type", Value: "Public" },
      { Name: "PrivateMessaging", Value: "F" },
      { Name: "Searchable", Value: "T" },
      { Name: "MaxActiveUsers", Value: "2000" },
      { Name: "ActiveUsers", Value: "0" },
      { Name: "AutoDelete", Value: "F" },
      { Name: "ShowID", Value: "F" },
      { Name: "History", Value: "F" },
    ],
  });
});

Deno.test("user lists: too many names 402, none 400; no SubscribeType 400", async () => {
  await using h = await startServer();
  const [alice] = await loggedIn(h, "1.2", "alice");
  await createGroup(alice, GROUP, { join: true });
  const many = Array.from({ length: 101 }, (_, i) => `<UserID>wv:u${i}@example.com</UserID>`);
  const tooMany = await ask(
    alice,
    "AddGroupMembers-Request",
    GROUP,
    `<UserIDList>${many.join("")}</UserIDList>`,
  );
  assert.equal(tooMany.code, 402);
  assert.equal((await ask(alice, "AddGroupMembers-Request", GROUP)).code, 400);
  assert.equal((await ask(alice, "MemberAccess-Request", GROUP)).code, 400);
  const missing = await ask(alice, "SubscribeGroupNotice-Request", GROUP);
  assert.equal(missing.code, 400);
});
