/** Invitations waiting for one invitee are bounded (IMPS_INVITATIONS_PER_USER). */
import assert from "node:assert/strict";
import { loggedIn, startServer } from "../support/harness.ts";
import { inviteOk, inviteXml } from "./support.ts";

Deno.test("mallory's fourth invitation to bob, waiting with three, gets 507; carol's reaches him once he answers", async () => {
  await using h = await startServer({ env: { IMPS_INVITATIONS_PER_USER: "3" } });
  const [mallory, carol, bob] = await loggedIn(h, "1.2", "mallory", "carol", "bob");
  for (const id of ["i1", "i2", "i3"]) await inviteOk(mallory, id, [bob.userId]);
  const refused = await mallory.send(inviteXml("i4", [bob.userId]));
  assert.equal(refused.code, 507, refused.text);
  assert.equal((await carol.send(inviteXml("c1", [bob.userId]))).code, 507, "full for all");

  const answer = await bob.send(
    `<InviteUser-Response><InviteID>i1</InviteID><Acceptance>F</Acceptance>` +
      `<Recipient><User><UserID>${mallory.userId}</UserID></User></Recipient>` +
      `</InviteUser-Response>`,
  );
  assert.equal(answer.code, 200, answer.text);
  await inviteOk(carol, "c1", [bob.userId]);
});
