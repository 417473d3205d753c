/** Conversations about invitations: invite, answer, cancel, expiry, offline users, groups. */
import assert from "node:assert/strict";
import { loggedIn, startServer, VERSIONS } from "../support/harness.ts";
import { ackStatus, poll, pollOne } from "../im/im_support.ts";
import {
  answerXml,
  cancelXml,
  detailCodes,
  drain,
  inviteOk,
  inviteXml,
  named,
  userOf,
} from "./support.ts";
import { fakeGroupDirectory } from "../search/support.ts";
import { readInviteRequest } from "../../src/codec/ssp/mod.ts";
import { fakeTransport } from "../support/fake_transport.ts";
import { nodes } from "../support/body_reader.ts";

const PA = `xmlns="http://www.openmobilealliance.org/DTD/WV-PA1.2"`;

for (const version of VERSIONS) {
  Deno.test(`${version}: alice invites bob to watch her presence; he accepts and she hears it`, async () => {
    await using h = await startServer();
    const [alice, bob] = await loggedIn(h, version, "alice", "bob");
    await inviteOk(alice, "inv-1", [bob.userId], {
      note: "Please watch my presence",
      validity: 3600,
      extra: `<PresenceSubList ${PA}><OnlineStatus/><StatusText/></PresenceSubList>`,
    });

    const tx = await pollOne(bob, "InviteUser-Request");
    const invitation = tx.primitive.body;
    assert.equal(invitation.InviteID, "inv-1");
    assert.equal(invitation.InviteType, "PR");
    assert.equal(userOf(invitation.Sender), alice.userId);
    assert.equal(userOf(invitation.Recipient), bob.userId);
    // OnlineStatus may repeat (one per client), so it decodes as an array.
    assert.deepEqual(invitation.PresenceSubList, { OnlineStatus: [{}], StatusText: {} });
    assert.equal(invitation.InviteNote, "Please watch my presence");
    assert.ok(Number(invitation.Validity) > 3590 && Number(invitation.Validity) <= 3600);
    await ackStatus(bob, tx);
    assert.deepEqual(await poll(bob), []);

    const answered = await bob.send(
      answerXml("inv-1", true, { note: "Sure", sender: bob.userId, inviter: alice.userId }),
    );
    assert.equal(answered.code, 200, answered.text);

    const response = await pollOne(alice, "Invite-Response");
    const body = response.primitive.body;
    assert.equal(body.InviteID, "inv-1");
    assert.equal(body.Acceptance, true);
    assert.equal(userOf(body.Sender), bob.userId);
    assert.equal(userOf(body.Recipient), alice.userId);
    assert.equal(body.ResponseNote, "Sure");
    await ackStatus(alice, response);
    assert.deepEqual(await poll(alice), []);

    assert.equal((await bob.send(answerXml("inv-1", true))).code, 423, "answered once");
    assert.equal((await alice.send(cancelXml("inv-1"))).code, 423, "nothing left to cancel");
  });
}

Deno.test("bob declines with a note; the InviteID may then be used again", async () => {
  await using h = await startServer();
  const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
  await inviteOk(alice, "chat", [bob.userId], { type: "IM" });
  assert.equal((await alice.send(inviteXml("chat", [bob.userId]))).code, 423, "still pending");
  await drain(bob);
  assert.equal((await bob.send(answerXml("chat", false, { note: "Busy" }))).code, 200);
  const [response] = named(await drain(alice), "Invite-Response");
  assert.equal(response.Acceptance, false);
  assert.equal(response.ResponseNote, "Busy");
  await inviteOk(alice, "chat", [bob.userId], { type: "IM" });
});

Deno.test("an offline invitee gets the invitation at login, an offline inviter the answer", async () => {
  await using h = await startServer();
  const [alice] = await loggedIn(h, "1.2", "alice");
  await h.addUser("carol", "pw");
  await inviteOk(alice, "later", ["carol"], { validity: 600 });
  await alice.send("<Logout-Request/>");

  const carol = h.client("carol", "1.2");
  const login = await carol.login("pw");
  assert.equal(login.poll, true, "login says something waits");
  const [invitation] = named(await drain(carol), "InviteUser-Request");
  assert.equal(userOf(invitation.Sender), alice.userId);
  assert.equal((await carol.send(answerXml("later", true))).code, 200);

  await carol.send("<Logout-Request/>");
  await carol.login("pw");
  assert.deepEqual(await poll(carol), [], "an acknowledged invitation is not handed out again");

  await alice.login("pw");
  const [response] = named(await drain(alice), "Invite-Response");
  assert.equal(userOf(response.Sender), carol.userId);
  await alice.send("<Logout-Request/>");
  await alice.login("pw");
  assert.deepEqual(await poll(alice), [], "an acknowledged answer is not handed out again");
});

Deno.test("alice cancels: bob, who saw it, is told; carol, who had not, never sees it", async () => {
  await using h = await startServer();
  const [alice, bob, carol] = await loggedIn(h, "1.2", "alice", "bob", "carol");
  await inviteOk(alice, "party", [bob.userId, carol.userId], { type: "IM", note: "Party!" });
  assert.equal(named(await drain(bob), "InviteUser-Request").length, 1);

  const cancelled = await alice.send(cancelXml("party", undefined, "Time is up!"));
  assert.equal(cancelled.code, 200, cancelled.text);
  const [cancel] = named(await drain(bob), "CancelInviteUser-Request");
  assert.equal(cancel.InviteID, "party");
  assert.equal(userOf(cancel.Sender), alice.userId);
  assert.equal(cancel.InviteNote, "Time is up!");
  assert.deepEqual(await poll(carol), []);
  assert.equal((await bob.send(answerXml("party", true))).code, 423);
  assert.equal((await alice.send(cancelXml("party"))).code, 423);
});

Deno.test("cancelling for some recipients: the rest may still answer", async () => {
  await using h = await startServer();
  const [alice, bob, carol] = await loggedIn(h, "1.2", "alice", "bob", "carol");
  await h.addUser("dave", "pw");
  await inviteOk(alice, "x", [bob.userId, carol.userId]);
  const partly = await alice.send(cancelXml("x", [bob.userId, "wv:dave@example.com"]));
  assert.equal(partly.code, 201, partly.text);
  assert.deepEqual(detailCodes(partly.body), [[423, ["wv:dave@example.com"]]]);
  assert.deepEqual(named(await drain(bob), "InviteUser-Request"), [], "withdrawn before seen");
  assert.equal(named(await drain(carol), "InviteUser-Request").length, 1);
  assert.equal((await carol.send(answerXml("x", true))).code, 200);
  assert.equal(named(await drain(alice), "Invite-Response").length, 1);
});

Deno.test("an invitation expires with its Validity", async () => {
  await using h = await startServer();
  const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
  await h.addUser("carol", "pw");
  await inviteOk(alice, "brief", [bob.userId, "wv:carol@example.com"], { validity: 1 });
  await drain(bob);
  await new Promise((r) => setTimeout(r, 1100));
  const late = await bob.send(answerXml("brief", true));
  assert.equal(late.code, 423, late.text);
  const carol = h.client("carol", "1.2");
  await carol.login("pw");
  assert.deepEqual(await poll(carol), []);
  assert.equal((await alice.send(cancelXml("brief"))).code, 423);
  await inviteOk(alice, "brief", [bob.userId], { validity: 60 });
});

Deno.test("two inviters choosing the same InviteID: bob names whom he answers", async () => {
  await using h = await startServer();
  const [alice, carol, bob] = await loggedIn(h, "1.2", "alice", "carol", "bob");
  await inviteOk(alice, "same", [bob.userId]);
  await inviteOk(carol, "same", [bob.userId]);
  assert.equal(named(await drain(bob), "InviteUser-Request").length, 2);
  assert.equal((await bob.send(answerXml("same", true))).code, 400);
  assert.equal((await bob.send(answerXml("same", false, { inviter: carol.userId }))).code, 200);
  assert.equal((await bob.send(answerXml("same", true))).code, 200, "now only alice's is left");
  assert.equal(named(await drain(carol), "Invite-Response")[0].Acceptance, false);
  assert.equal(named(await drain(alice), "Invite-Response")[0].Acceptance, true);
});

Deno.test("group invitations go through the group directory; accepting admits the invitee", async () => {
  // Replaces a hook of the server in this process.
  await using h = await startServer({ shape: "one" });
  const [alice, bob, carol] = await loggedIn(h, "1.2", "alice", "bob", "carol");
  const group = "wv:alice/party@example.com";
  delete h.server.elements.invite.hooks.groups;
  assert.equal(
    (await alice.send(inviteXml("g", [bob.userId], { type: "GR", groupId: group }))).code,
    800,
    "no group element: unknown group",
  );

  const groups = { [group]: { name: "Party", members: [alice.userId] } };
  h.server.elements.invite.hooks.groups = fakeGroupDirectory(groups).directory;
  assert.equal((await alice.send(inviteXml("g", [bob.userId], { type: "GR" }))).code, 400);
  assert.equal(
    (await carol.send(inviteXml("g", [bob.userId], { type: "GR", groupId: group }))).code,
    816,
    "the directory refuses a non-member",
  );
  await inviteOk(alice, "g", [bob.userId], {
    type: "GR",
    groupId: group,
    extra: `<ScreenName><SName>Host</SName><GroupID>${group}</GroupID></ScreenName>`,
  });
  const [invitation] = named(await drain(bob), "InviteUser-Request");
  assert.equal(invitation.GroupID, group);
  assert.deepEqual(invitation.ScreenName, { SName: "Host", GroupID: group });
  assert.equal((await bob.send(answerXml("g", true))).code, 200);
  assert.deepEqual(groups[group].members, [alice.userId, bob.userId]);
});

Deno.test("a content invitation lets the invitees read the content it names", async () => {
  await using h = await startServer();
  const [alice, bob, carol] = await loggedIn(h, "1.2", "alice", "bob", "carol");
  const headers = { "x-wv-sessionid": alice.sessionId! };
  const uploaded = await h.server.app.request("/content/", {
    method: "POST",
    headers: { ...headers, "content-type": "image/gif" },
    body: new Uint8Array([71, 73, 70]),
  });
  assert.equal(uploaded.status, 201);
  const { url } = await uploaded.json();
  const read = async (who: typeof bob) =>
    (await h.server.app.request(url, { headers: { "x-wv-sessionid": who.sessionId! } })).status;
  assert.equal(await read(bob), 404);

  await inviteOk(alice, "look", [bob.userId], { type: "SC", urls: [url] });
  const [invitation] = named(await drain(bob), "InviteUser-Request");
  assert.deepEqual(invitation.URLList, { URL: [url] });
  assert.equal(await read(bob), 200);
  assert.equal(await read(carol), 404);
});

Deno.test("recipients of other domains wait for the relay: 516 each meanwhile", async () => {
  // Replaces a hook of the server in this process.
  await using h = await startServer({ shape: "one" });
  const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
  const mixed = await alice.send(inviteXml("r", [bob.userId, "wv:dave@elsewhere.org"]));
  assert.equal(mixed.code, 201);
  assert.deepEqual(detailCodes(mixed.body), [[516, ["wv:dave@elsewhere.org"]]]);
  const remoteOnly = await alice.send(inviteXml("r2", ["wv:dave@elsewhere.org"]));
  assert.equal(remoteOnly.code, 516);

  const { transport, queued } = fakeTransport(h.config.domain);
  h.server.elements.invite.hooks.federation = transport;
  await inviteOk(alice, "r3", ["wv:dave@elsewhere.org"]);
  const relayed = queued.map(({ job }) => {
    const operation = job.primitive.name === "InviteRequest" ? "invite" : job.primitive.name;
    const invitation = readInviteRequest(job.primitive);
    return `${operation} ${invitation?.inviteId} ${invitation?.invitees}`;
  });
  assert.deepEqual(relayed, ["invite r3 wv:dave@elsewhere.org"]);
});

Deno.test("bad invitations get clear codes", async () => {
  await using h = await startServer();
  const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
  const to = `<Recipient><User><UserID>${bob.userId}</UserID></User></Recipient>`;
  const cases: [string, number][] = [
    [`<Invite-Request><InviteType>PR</InviteType>${to}</Invite-Request>`, 400],
    [`<Invite-Request><InviteID>a</InviteID>${to}</Invite-Request>`, 400],
    [
      `<Invite-Request><InviteID>a</InviteID><InviteType>ZZ</InviteType>${to}</Invite-Request>`,
      402,
    ],
    [
      `<Invite-Request><InviteID>a</InviteID><InviteType>EC</InviteType>${to}</Invite-Request>`,
      405,
    ],
    [`<Invite-Request><InviteID>a</InviteID><InviteType>PR</InviteType></Invite-Request>`, 400],
    [
      `<Invite-Request><InviteID>a</InviteID><InviteType>PR</InviteType><Recipient/></Invite-Request>`,
      400,
    ],
    [
      `<Invite-Request><InviteID>a b</InviteID><InviteType>PR</InviteType>${to}</Invite-Request>`,
      423,
    ],
    [inviteXml("a", [bob.userId], { validity: 0 }), 402],
    [inviteXml("a", [bob.userId], { validity: 99_999_999 }), 402],
    [inviteXml("a", [bob.userId], { type: "SC" }), 400],
    [inviteXml("a", [bob.userId], { note: "x".repeat(2001) }), 402],
    [inviteXml("a", ["wv:nobody@example.com"]), 531],
    [inviteXml("a", [alice.userId]), 402],
    [
      inviteXml("a", [bob.userId], {
        extra: "<Sender><User><UserID>wv:bob@example.com</UserID></User></Sender>",
      }),
      402,
    ],
    [inviteXml("a", Array.from({ length: 51 }, (_, i) => `wv:u${i}@example.com`)), 402],
    [answerXml("nope", true), 423],
    [`<InviteUser-Response><InviteID>a</InviteID></InviteUser-Response>`, 400],
    [`<InviteUser-Response><Acceptance>T</Acceptance></InviteUser-Response>`, 400],
    [cancelXml("nope"), 423],
  ];
  for (const [xml, code] of cases) {
    const reply = await alice.send(xml);
    assert.equal(reply.primitive.name, "Status", xml);
    assert.equal(reply.code, code, `${xml}: ${reply.text}`);
  }
  const viaGroup = await alice.send(
    `<Invite-Request><InviteID>b</InviteID><InviteType>IM</InviteType><Recipient>` +
      `<User><UserID>${bob.userId}</UserID></User><Group><GroupID>wv:/g@example.com</GroupID></Group>` +
      `<ContactList>wv:alice/friends@example.com</ContactList></Recipient></Invite-Request>`,
  );
  assert.equal(viaGroup.code, 201);
  const [detail] = nodes(viaGroup.body, "Result", "DetailedResult");
  assert.equal(detail.Code, 405);
  assert.deepEqual(detail.GroupID, ["wv:/g@example.com"]);
  assert.deepEqual(detail.ContactList, ["wv:alice/friends@example.com"]);
  const stranger = h.client("nobody", "1.2");
  assert.equal((await stranger.send(inviteXml("c", [bob.userId]))).code, 604);
  assert.deepEqual(
    (await bob.send(answerXml("b", true, { sender: alice.userId }))).body.Result,
    { Code: 402, Description: "Sender is not the session's user" },
  );
});

Deno.test("over HTTP: invitation, answer and cancellation between three users", async () => {
  await using h = await startServer({ overHttp: true });
  const [alice, bob, carol] = await loggedIn(h, "1.3", "alice", "bob", "carol");
  await inviteOk(alice, "net", [bob.userId, carol.userId], { type: "IM", note: "Talk?" });
  assert.equal(named(await drain(bob), "InviteUser-Request")[0].InviteNote, "Talk?");
  assert.equal((await bob.send(answerXml("net", true, { note: "Yes" }))).code, 200);
  assert.equal((await alice.send(cancelXml("net", [carol.userId]))).code, 200);
  assert.deepEqual(await drain(carol), []);
  const [response] = named(await drain(alice), "Invite-Response");
  assert.equal(response.ResponseNote, "Yes");
});

Deno.test("invitations and answers waiting for offline users survive a restart", async () => {
  const dir = await Deno.makeTempDir();
  const env = { IMPS_DATA: `${dir}/imps.kv` };
  try {
    {
      await using h = await startServer({ env });
      const [alice] = await loggedIn(h, "1.2", "alice");
      await h.addUser("bob", "pw");
      await inviteOk(alice, "kept", ["wv:bob@example.com"], { note: "still there?" });
      await alice.send("<Logout-Request/>");
    }
    {
      await using h = await startServer({ env });
      const bob = h.client("bob", "1.2");
      await bob.login("pw");
      const [invitation] = named(await drain(bob), "InviteUser-Request");
      assert.equal(invitation.InviteNote, "still there?");
      assert.equal((await bob.send(answerXml("kept", true))).code, 200);
    }
    await using h = await startServer({ env });
    const alice = h.client("alice", "1.2");
    await alice.login("pw");
    const [response] = named(await drain(alice), "Invite-Response");
    assert.equal(response.InviteID, "kept");
    assert.equal(response.Acceptance, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
