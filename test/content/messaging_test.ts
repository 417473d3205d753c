/** Content shared by naming its URL in group messages: the members read it, others do not. */
import assert from "node:assert/strict";
import { loggedIn, startServer } from "../support/harness.ts";
import { createGroup, GROUP, joinOk, sendToGroup } from "../group/support.ts";
import { contentApi, randomBytes, statusOf, uploadOk } from "./support.ts";

Deno.test("alice names her upload in a group: its members read it, an outsider does not", async () => {
  await using h = await startServer();
  const [alice, bob, carol, dave] = await loggedIn(h, "1.2", "alice", "bob", "carol", "dave");
  await using api = contentApi(h);
  const created = await createGroup(alice, GROUP, {
    properties: { Name: "Chat room", AccessType: "Open", PrivateMessaging: "T" },
    join: true,
    screenName: "Alice",
  });
  assert.equal(created.code, 200, created.text);
  await joinOk(bob, GROUP, "Bob", { joined: true });
  await joinOk(carol, GROUP, "Carol", { joined: true });
  const everyone = await uploadOk(api, alice, randomBytes(20), "image/png");
  const forBob = await uploadOk(api, alice, randomBytes(20), "image/png");

  const sent = await sendToGroup(alice, GROUP, `look: ${everyone}`);
  assert.equal(sent.code, 200, sent.text);
  assert.equal(await statusOf(api.get(bob, everyone)), 200);
  assert.equal(await statusOf(api.get(carol, everyone)), 200);
  assert.equal(await statusOf(api.get(dave, everyone)), 404, "not a member");

  // A private message in the group shares with its one receiver only.
  const whispered = await sendToGroup(alice, GROUP, `just you: ${forBob}`, "Bob");
  assert.equal(whispered.code, 200, whispered.text);
  assert.equal(await statusOf(api.get(bob, forBob)), 200);
  assert.equal(await statusOf(api.get(carol, forBob)), 404);
});
