/** Presence requests that are wrong in some way, and the codes they get. */
import assert from "node:assert/strict";
import { startServer } from "../support/harness.ts";
import {
  attrs,
  detailCodes,
  getPresence,
  id,
  loggedIn,
  subscribeUsers,
  update,
} from "./support.ts";

const PA = `xmlns="http://www.openmobilealliance.org/DTD/WV-PA1.2"`;
const raw = (inner: string) =>
  `<UpdatePresence-Request><PresenceSubList ${PA}>${inner}</PresenceSubList></UpdatePresence-Request>`;

Deno.test("malformed attributes are refused with 750/751 and change nothing", async () => {
  await using h = await startServer();
  const [alice] = await loggedIn(h, "1.2", "alice");
  assert.equal((await alice.send(update({ StatusText: "fine" }))).code, 200);

  const cases: [string, number][] = [
    ["<StatusText>bare text</StatusText>", 750],
    [
      "<StatusText><PresenceValue>a</PresenceValue></StatusText><StatusText><PresenceValue>b</PresenceValue></StatusText>",
      750,
    ],
    [
      "<OnlineStatus><Qualifier>T</Qualifier><PresenceValue>maybe</PresenceValue></OnlineStatus>",
      751,
    ],
    ["<UserAvailability><PresenceValue>AWAY</PresenceValue></UserAvailability>", 751],
    ["<StatusText><Qualifier>yes</Qualifier><PresenceValue>x</PresenceValue></StatusText>", 751],
    [`<StatusText><PresenceValue>${"x".repeat(40_000)}</PresenceValue></StatusText>`, 751],
  ];
  for (const [inner, code] of cases) {
    assert.equal((await alice.send(raw(inner))).code, code, inner.slice(0, 60));
  }
  assert.equal((await alice.send("<UpdatePresence-Request/>")).code, 400);

  const own = await alice.send(getPresence("1.2", [id("alice")], attrs("StatusText")));
  assert.match(own.text, /<PresenceValue>fine<\/PresenceValue>/);
});

Deno.test("a Baraza-shaped update (OnlineStatus T, Alias) is accepted", async () => {
  await using h = await startServer();
  const [alice] = await loggedIn(h, "1.2", "alice");
  const reply = await alice.send(
    update({ OnlineStatus: "T", UserAvailability: "AVAILABLE", StatusText: "x", Alias: "A" }),
  );
  assert.equal(reply.code, 200);
});

Deno.test("invalid user ids get 531, users of other domains 516, each named", async () => {
  await using h = await startServer();
  const [bob] = await loggedIn(h, "1.2", "bob", "alice");

  const invalid = await bob.send(subscribeUsers("1.2", ["wv:bad user@example.com"]));
  assert.equal(invalid.code, 531);
  const remote = await bob.send(getPresence("1.2", ["wv:zed@elsewhere.test"]));
  assert.equal(remote.code, 516);
  assert.deepEqual(detailCodes(remote.body), [516]);

  const mixed = await bob.send(
    subscribeUsers("1.2", [id("alice"), "wv:bad user@example.com", "wv:zed@elsewhere.test"]),
  );
  assert.equal(mixed.code, 201);
  assert.deepEqual(detailCodes(mixed.body).sort(), [516, 531]);

  const badAuth = await bob.send(
    `<PresenceAuth-User><UserID>wv:bad user</UserID><Acceptance>T</Acceptance></PresenceAuth-User>`,
  );
  assert.equal(badAuth.code, 531);
  const noAcceptance = await bob.send(
    `<PresenceAuth-User><UserID>${id("alice")}</UserID></PresenceAuth-User>`,
  );
  assert.equal(noAcceptance.code, 400);
});

Deno.test("attribute-list requests without a target or attributes are refused", async () => {
  await using h = await startServer();
  const [alice] = await loggedIn(h, "1.2", "alice");
  const noTarget = await alice.send(
    `<CreateAttributeList-Request>${attrs("StatusText")}</CreateAttributeList-Request>`,
  );
  assert.equal(noTarget.code, 400);
  const noList = await alice.send(
    `<CreateAttributeList-Request><UserID>${id("bob")}</UserID></CreateAttributeList-Request>`,
  );
  assert.equal(noList.code, 400);
  const foreignList = await alice.send(
    `<CreateAttributeList-Request>${
      attrs("StatusText")
    }<ContactList>wv:bob/friends@example.com</ContactList></CreateAttributeList-Request>`,
  );
  assert.equal(foreignList.code, 403);
});

Deno.test("presence requests need a session", async () => {
  await using h = await startServer();
  await h.addUser("alice", "pw");
  const alice = h.client("alice", "1.2");
  assert.equal((await alice.send(update({ StatusText: "x" }))).code, 604);
});
