/**
 * What the group element offers other elements (its directory) and the session
 * life around groups: search, invitation checks, AutoJoin at login, service negotiation.
 */
import assert from "node:assert/strict";
import { loggedIn, PASSWORD, startServer } from "../support/harness.ts";
import { poll } from "../im/im_support.ts";
import { ask, createGroup, GROUP, join, joinOk, leave, property, users } from "./support.ts";
import { element } from "../support/body_reader.ts";

Deno.test("the directory finds public searchable groups by name, topic, owner and joined user", async () => {
  await using h = await startServer();
  const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
  const directory = h.server.elements.group.directory;
  await createGroup(alice, GROUP, {
    properties: { Name: "Chess Club", Topic: "Openings" },
    join: true,
  });
  await createGroup(alice, "wv:alice/hidden@example.com", {
    properties: { Name: "Chess secret", Type: "Private" },
  });
  await createGroup(alice, "wv:alice/quiet@example.com", {
    properties: { Name: "Chess quiet", Searchable: "F" },
  });
  await createGroup(bob, "wv:bob/go@example.com", { properties: { Name: "Go" } });
  await joinOk(bob, GROUP);

  assert.deepEqual(await directory.search([{ key: "GROUP_NAME", value: "chess" }], 10), [GROUP]);
  assert.deepEqual(await directory.search([{ key: "GROUP_TOPIC", value: "OPEN" }], 10), [GROUP]);
  assert.deepEqual(
    await directory.search([{ key: "GROUP_USER_ID_OWNER", value: "bob" }], 10),
    ["wv:bob/go@example.com"],
  );
  assert.deepEqual(
    await directory.search([{ key: "GROUP_USER_ID_JOINED", value: bob.userId }], 10),
    [GROUP],
  );
  assert.deepEqual(
    await directory.search([
      { key: "GROUP_NAME", value: "c" },
      { key: "GROUP_ID", value: "alice" },
    ], 10),
    [GROUP],
  );
  assert.equal((await directory.search([{ key: "GROUP_ID", value: "/" }], 1)).length, 1);
});

Deno.test("the directory answers invitations: who may invite, who belongs, admitting invitees", async () => {
  await using h = await startServer();
  const [alice, bob, carol] = await loggedIn(h, "1.2", "alice", "bob", "carol");
  const directory = h.server.elements.group.directory;
  const club = "wv:alice/club@example.com";
  await createGroup(alice, club, { properties: { Accesstype: "Restricted" }, join: true });
  assert.equal(await directory.checkInviter("wv:alice/none@example.com", alice.userId), 800);
  assert.equal(await directory.checkInviter(club, alice.userId), undefined);
  assert.equal(await directory.checkInviter(club, bob.userId), 808);
  assert.equal(await directory.isMember(club, carol.userId), false);
  assert.equal((await join(carol, club)).code, 816);
  await directory.admitInvitee(club, carol.userId);
  assert.equal(await directory.isMember(club, carol.userId), true);
  await joinOk(carol, club);
  await ask(alice, "RejectList-Request", club, `<AddList>${users(bob.userId)}</AddList>`);
  assert.equal(await directory.checkInviter(club, bob.userId), 809);
  await directory.admitInvitee(club, bob.userId);
  assert.equal((await join(bob, club)).code, 809, "an invitation does not lift a ban");
});

Deno.test("AutoJoin: a user who set it is back in the group at their next login", async () => {
  await using h = await startServer();
  const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
  await createGroup(alice, GROUP, { join: true });
  await joinOk(bob, GROUP, "Bobby", { own: property("AutoJoin", "T") });
  await bob.send("<Logout-Request/>");
  const joined = async () =>
    (await ask(alice, "GetJoinedUsers-Request", GROUP)).text.includes("Bobby");
  assert.equal(await joined(), false, "logging out left the group");
  const again = h.client("bob", "1.2");
  await again.login(PASSWORD);
  assert.equal(await joined(), true);
  assert.deepEqual(
    await h.server.elements.group.directory.search(
      [{ key: "GROUP_USER_ID_AUTOJOIN", value: bob.userId }],
      10,
    ),
    [GROUP],
  );
  await leave(again, GROUP);
  assert.deepEqual(await poll(alice), []);
});

Deno.test("JoinGroup needs GroupFeat agreed; AllFunctions lists the group leaves", async () => {
  await using h = await startServer();
  const [alice] = await loggedIn(h, "1.2", "alice");
  const all = await alice.send(
    "<Service-Request><Functions><WVCSPFeat/></Functions><AllFunctionsRequest>T</AllFunctionsRequest></Service-Request>",
  );
  const leaves = Object.values(element(all.body, "AllFunctions", "WVCSPFeat", "GroupFeat"))
    .flatMap((group) => Object.keys(element(group)));
  assert.deepEqual(leaves.sort(), [
    "ADDGM",
    "CREAG",
    "DELGR",
    "GETGM",
    "GETGP",
    "GETJU",
    "GRCHN",
    "MBRAC",
    "REJEC",
    "RMVGM",
    "SETGP",
    "SUBGCN",
  ]);
  await createGroup(alice, GROUP);
  const [bob] = await loggedIn(h, "1.2", "bob");
  await bob.send(
    "<Service-Request><Functions><WVCSPFeat><IMFeat/></WVCSPFeat></Functions><AllFunctionsRequest>F</AllFunctionsRequest></Service-Request>",
  );
  assert.equal((await join(bob, GROUP)).code, 506);
});
