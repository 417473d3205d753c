/**
 * Invitations across domains over SSP: alice@a.test invites bob@b.test, who sees it like a
 * local invitation and answers; alice gets the Invite-Response; a cancellation reaches bob too.
 */
import assert from "node:assert/strict";
import { obj, str } from "../../src/session/values.ts";
import type { CspClient } from "../support/harness.ts";
import { answerXml, cancelXml, inviteOk, userOf } from "../invite/support.ts";
import { freePort, PEER_WIRES, pollFor, startDomains, startNode } from "./ssp_support.ts";

const BOB = "wv:bob@b.test";

async function acknowledged(client: CspClient, name: string) {
  const t = await pollFor(client, name);
  await client.send("<Status><Result><Code>200</Code></Result></Status>", {
    mode: "Response",
    transactionId: t.transactionId,
  });
  return t.primitive.body;
}

for (const wire of PEER_WIRES) {
  Deno.test(`alice@a.test invites bob@b.test; he accepts with a note; alice hears it (${wire} peer)`, async () => {
    const [a, b] = await startDomains(["a.test", "b.test"], {}, wire);
    try {
      const [alice] = await a.login("alice");
      const [bob] = await b.login("bob");
      await inviteOk(alice, "lunch1", [BOB], {
        type: "PR",
        note: "Watch me?",
        extra: `<PresenceSubList xmlns="http://www.openmobilealliance.org/DTD/WV-PA1.2">` +
          `<OnlineStatus/><StatusText/></PresenceSubList>`,
      });

      const invitation = await acknowledged(bob, "InviteUser-Request");
      assert.equal(str(invitation.InviteID), "lunch1");
      assert.equal(str(invitation.InviteType), "PR");
      assert.equal(userOf(invitation.Sender), "wv:alice@a.test");
      assert.equal(str(invitation.InviteNote), "Watch me?");
      assert.deepEqual(Object.keys(obj(invitation.PresenceSubList)!).sort(), [
        "OnlineStatus",
        "StatusText",
      ]);

      const answered = await bob.send(answerXml("lunch1", true, { note: "Sure" }));
      assert.equal(answered.code, 200, answered.text);
      const response = await acknowledged(alice, "Invite-Response");
      assert.equal(str(response.InviteID), "lunch1");
      assert.equal(response.Acceptance, true);
      assert.equal(userOf(response.Sender), BOB);
      assert.equal(str(response.ResponseNote), "Sure");

      // The same answer again finds nothing: the invitation is gone on both sides.
      assert.equal((await bob.send(answerXml("lunch1", true))).code, 423);
    } finally {
      await a.close();
      await b.close();
    }
  });
}

for (const wire of PEER_WIRES) {
  Deno.test(`alice cancels her invitation to bob@b.test: he gets CancelInviteUser-Request (${wire} peer)`, async () => {
    const [a, b] = await startDomains(["a.test", "b.test"], {}, wire);
    try {
      const [alice, carol] = await a.login("alice", "carol");
      const [bob] = await b.login("bob");
      await inviteOk(alice, "party", [BOB, carol.userId], { type: "IM", note: "Party!" });
      assert.equal(str((await acknowledged(bob, "InviteUser-Request")).InviteID), "party");

      const cancelled = await alice.send(cancelXml("party", [BOB], "Party is off"));
      assert.equal(cancelled.code, 200, cancelled.text);
      const notice = await acknowledged(bob, "CancelInviteUser-Request");
      assert.equal(str(notice.InviteID), "party");
      assert.equal(userOf(notice.Sender), "wv:alice@a.test");
      assert.equal(str(notice.InviteNote), "Party is off");
      // Withdrawn on b.test: bob can no longer answer it.
      assert.equal((await bob.send(answerXml("party", true))).code, 423);
      // Cancelling him twice: he is no longer invited.
      const again = await alice.send(cancelXml("party", [BOB]));
      assert.equal(again.code, 423, again.text);
    } finally {
      await a.close();
      await b.close();
    }
  });
}

Deno.test("invitations to denied domains are answered 516 at once", async () => {
  const a = await startNode("a.test", await freePort(), {
    peers: {},
    env: { IMPS_SSP_DENY: "evil.test" },
  });
  try {
    const [alice] = await a.login("alice");
    const reply = await alice.send(
      `<Invite-Request><InviteID>x1</InviteID><InviteType>IM</InviteType><Recipient>` +
        `<User><UserID>wv:mallory@evil.test</UserID></User></Recipient></Invite-Request>`,
    );
    assert.equal(reply.code, 516, reply.text);
    assert.equal(Number(obj(reply.body.Result)?.Code), 516);
  } finally {
    await a.close();
  }
});
