/** Who may do what: the owner, Admins, Mods, Users and outsiders; members of restricted groups. */
import assert from "node:assert/strict";
import { loggedIn, startServer } from "../support/harness.ts";
import { poll, pollOne } from "../im/im_support.ts";
import {
  ask,
  createGroup,
  join,
  joinOk,
  property,
  sendToGroup,
  userIds,
  users,
} from "./support.ts";
import { at, nodes, resultCode, type Value } from "../support/body_reader.ts";

const RESTRICTED = "wv:alice/club@example.com";

const setProps = (who: { send(x: string): Promise<{ code: number }> }, xml: string) =>
  who.send(
    `<SetGroupProps-Request><GroupID>${RESTRICTED}</GroupID>${xml}</SetGroupProps-Request>`,
  );

const listed = (list: Value) => nodes(list, "User").map((u) => u.UserID);

Deno.test("roles: the owner grants, Mods manage Users, Users only talk", async () => {
  await using h = await startServer();
  const [alice, bob, carol, dave] = await loggedIn(h, "1.2", "alice", "bob", "carol", "dave");
  await createGroup(alice, RESTRICTED, {
    properties: { Name: "Club", Accesstype: "Restricted" },
    join: true,
  });
  assert.equal((await join(bob, RESTRICTED)).code, 816, "restricted: members only");

  assert.equal(
    (await ask(alice, "AddGroupMembers-Request", RESTRICTED, users(bob.userId, carol.userId)))
      .code,
    200,
  );
  assert.equal(
    (await ask(bob, "AddGroupMembers-Request", RESTRICTED, users(dave.userId))).code,
    816,
    "a plain User may not add members",
  );
  assert.equal(
    (await ask(bob, "MemberAccess-Request", RESTRICTED, `<Mod>${users(carol.userId)}</Mod>`))
      .code,
    816,
    "nor grant roles",
  );
  const granted = await ask(
    alice,
    "MemberAccess-Request",
    RESTRICTED,
    `<Mod>${users(bob.userId)}</Mod>`,
  );
  assert.equal(granted.code, 200, granted.text);

  // bob, a Mod now, adds dave; he may not demote the owner, nor touch another Mod's peers.
  assert.equal(
    (await ask(bob, "AddGroupMembers-Request", RESTRICTED, users(dave.userId))).code,
    200,
  );
  assert.equal(
    (await ask(bob, "MemberAccess-Request", RESTRICTED, users(alice.userId))).code,
    816,
    "Granting roles needs Admin",
  );
  const demote = await ask(alice, "MemberAccess-Request", RESTRICTED, users(alice.userId));
  assert.equal(demote.code, 816, "the owner's role never changes");

  const members = await ask(carol, "GetGroupMembers-Request", RESTRICTED);
  assert.equal(members.primitive.name, "GetGroupMembers-Response");
  assert.deepEqual(listed(at(members.body, "Admin", "UserList")), [alice.userId]);
  assert.deepEqual(listed(at(members.body, "Mod", "UserList")), [bob.userId]);
  assert.deepEqual(listed(members.body.UserList).sort(), [carol.userId, dave.userId].sort());

  // Properties: a Mod sets the Topic, not the Name; a User neither.
  assert.equal(
    (await setProps(bob, `<GroupProperties>${property("Topic", "t")}</GroupProperties>`)).code,
    200,
  );
  assert.equal(
    (await setProps(bob, `<GroupProperties>${property("Name", "n")}</GroupProperties>`)).code,
    816,
  );
  await joinOk(carol, RESTRICTED, "carol");
  assert.equal(
    (await setProps(carol, `<GroupProperties>${property("Topic", "x")}</GroupProperties>`)).code,
    816,
  );
  assert.equal(
    (await setProps(carol, `<OwnProperties>${property("PrivateMessaging", "F")}</OwnProperties>`))
      .code,
    200,
    "everyone sets their own properties",
  );
  assert.equal((await ask(bob, "DeleteGroup-Request", RESTRICTED)).code, 816, "owner only");

  // carol loses her membership of a restricted group: she is taken out of it.
  const removed = await ask(bob, "RemoveGroupMembers-Request", RESTRICTED, users(carol.userId));
  assert.equal(removed.code, 200, removed.text);
  const out = await pollOne(carol, "LeaveGroup-Response");
  assert.equal(resultCode(out.primitive.body), 810);
  assert.equal((await sendToGroup(carol, RESTRICTED, "still here?")).code, 808);

  const mixed = await ask(
    bob,
    "RemoveGroupMembers-Request",
    RESTRICTED,
    users(alice.userId, dave.userId, "wv:stranger@example.com"),
  );
  assert.equal(mixed.code, 201, "dave goes; the owner and a non-member do not");
  const details = nodes(mixed.body, "Result", "DetailedResult");
  const byCode = Object.fromEntries(details.map((d) => [d.Code, d.UserID]));
  assert.deepEqual(byCode[816], [alice.userId]);
  assert.deepEqual(byCode[810], ["wv:stranger@example.com"]);
});

Deno.test("1.3: AddGroupMembers and RemoveGroupMembers name users in a UserIDList", async () => {
  await using h = await startServer();
  const [alice, bob] = await loggedIn(h, "1.3", "alice", "bob");
  await createGroup(alice, RESTRICTED, { properties: { Accesstype: "Restricted" } });
  const added = await ask(
    alice,
    "AddGroupMembers-Request",
    RESTRICTED,
    userIds(bob.userId, "wv:ghost@example.com"),
  );
  assert.equal(added.code, 201);
  const details = nodes(added.body, "Result", "DetailedResult");
  assert.deepEqual(details.map((d) => [d.Code, d.UserID]), [[531, ["wv:ghost@example.com"]]]);
  await joinOk(bob, RESTRICTED, "bob");
  assert.equal(
    (await ask(alice, "RemoveGroupMembers-Request", RESTRICTED, userIds(bob.userId))).code,
    200,
  );
  assert.equal((await pollOne(bob, "LeaveGroup-Response")).primitive.body.GroupID, RESTRICTED);
  assert.deepEqual(await poll(alice), []);
});

Deno.test("a private group does not exist for outsiders", async () => {
  await using h = await startServer();
  const [alice, bob, carol] = await loggedIn(h, "1.2", "alice", "bob", "carol");
  const secret = "wv:alice/secret@example.com";
  await createGroup(alice, secret, { properties: { Type: "Private" }, join: true });
  for (const primitive of ["GetGroupProps-Request", "GetGroupMembers-Request"]) {
    assert.equal((await ask(bob, primitive, secret)).code, 800);
  }
  assert.equal((await join(bob, secret)).code, 800);
  assert.equal((await sendToGroup(bob, secret, "hello?")).code, 800);
  await ask(alice, "AddGroupMembers-Request", secret, users(carol.userId));
  await joinOk(carol, secret);
  assert.equal((await sendToGroup(carol, secret, "hello")).code, 200);
});
