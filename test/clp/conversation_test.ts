/**
 * CLP conversations, in-process: bob types commands on a phone keypad (the CLP service runs them as
 * CSP primitives in his session), alice uses a CSP client. They see each other's presence, talk,
 * share a group; bob answers requests with Y and N. The SMS gateway is the Kannel suite's part.
 */
import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { ClpService, type Terminal } from "../../src/clp/service.ts";
import type { CspTransaction } from "../../src/codec/csp/message.ts";
import { createGroup, GROUP, sendToGroup } from "../group/support.ts";
import { inviteOk } from "../invite/support.ts";
import { pollOne, sendOk } from "../im/im_support.ts";
import {
  authorise,
  id,
  notified,
  pollAll,
  subscribeUsers,
  update,
  value,
} from "../presence/support.ts";
import {
  type CspClient,
  type Harness,
  loggedIn,
  PASSWORD,
  startServer,
} from "../support/harness.ts";

/** Bob's phone: what he types, and every SMS he gets (replies and what the server pushes). */
class Phone {
  readonly inbox: string[] = [];
  readonly terminal: Terminal;

  constructor(readonly clp: ClpService, userId: string, msisdn: string) {
    this.terminal = { userId, msisdn };
  }

  /** Types a command; returns its replies, then takes what waits for the session. */
  async type(text: string): Promise<string[]> {
    const outcome = await this.clp.run(this.terminal, text);
    this.inbox.push(...outcome.replies);
    if (outcome.sessionId) await this.receive(outcome.sessionId);
    return outcome.replies;
  }

  /** What the gateway does when the session has something: send it, then acknowledge. */
  async receive(sessionId?: string): Promise<string[]> {
    const session = sessionId ?? (await this.clp.repo.get(this.terminal.userId)).sessionId;
    if (!session) return [];
    const drained = await this.clp.drain(session);
    this.inbox.push(...drained.texts);
    await drained.ack();
    return drained.texts;
  }
}

async function setUp(): Promise<[Harness, CspClient, Phone]> {
  const h = await startServer();
  const [alice] = await loggedIn(h, "1.2", "alice");
  await h.addUser("bob", PASSWORD);
  const clp = new ClpService(h.server.context, { idleSeconds: 3600 });
  return [h, alice, new Phone(clp, id("bob"), "+447700900001")];
}

const presenceOf = (txs: CspTransaction[], user: string) => notified(txs).get(user);

Deno.test("a CLP user and a CSP user see each other's presence and talk", async (t) => {
  const [h, alice, bob] = await setUp();
  await using _ = h;

  await t.step("bob logs in by typing ON; his presence is online on a CLI client", async () => {
    deepStrictEqual(await bob.type("on"), ["Logged in as bob. HELP for commands."]);
    await alice.send(subscribeUsers("1.2", [id("bob")]));
  });

  await t.step(
    "alice asks to see bob's presence; bob's phone asks him and he answers Y",
    async () => {
      const [ask] = await bob.receive();
      equal(ask, "alice asks to see your status. Y1 to allow, N1 to refuse.");
      deepStrictEqual(await bob.type("Y"), ["alice can see your status."]);
      const list = presenceOf(await pollAll(alice), id("bob"));
      equal(value(list, "OnlineStatus"), "T");
      equal(value(list, "UserAvailability"), "AVAILABLE");
    },
  );

  await t.step("bob sets busy with a status text: alice is told", async () => {
    deepStrictEqual(await bob.type("BUSY in a meeting"), ["Status set."]);
    const list = presenceOf(await pollAll(alice), id("bob"));
    equal(value(list, "UserAvailability"), "DISCREET");
    equal(value(list, "StatusText"), "in a meeting");
  });

  await t.step("bob writes to alice: her client gets a NewMessage, bob no reply", async () => {
    deepStrictEqual(await bob.type("m alice Hi Alice, from my old phone"), []);
    const tx = await pollOne(alice, "NewMessage");
    equal(tx.primitive.body.ContentData, "Hi Alice, from my old phone");
  });

  await t.step("alice answers: bob's phone shows it; R replies to her", async () => {
    await sendOk(alice, [id("bob")], "Hello Bob!\nSee you at 5?");
    deepStrictEqual(await bob.receive(), ["alice: Hello Bob!\nSee you at 5?"]);
    deepStrictEqual(await bob.type("R yes, at 5"), []);
    const tx = await pollOne(alice, "NewMessage");
    equal(tx.primitive.body.ContentData, "yes, at 5");
  });

  await t.step("a long message reaches the phone in numbered SMS", async () => {
    await sendOk(alice, [id("bob")], "word ".repeat(80).trim());
    const parts = await bob.receive();
    equal(parts.length, 3);
    parts.forEach((p, i) => ok(p.startsWith(`${i + 1}/3 `), p));
    ok(parts.every((p) => p.length <= 160));
  });

  await t.step("bob adds alice with a nickname; once she agrees, L shows her status", async () => {
    match((await bob.type("ADD alice Al"))[0], /^Al added\./);
    await alice.send(
      authorise("1.2", [id("bob")], "OnlineStatus", "UserAvailability", "StatusText"),
    );
    await alice.send(update({ UserAvailability: "AVAILABLE", StatusText: "coding" }));
    await pollAll(alice);
    await bob.receive();
    deepStrictEqual(await bob.type("L"), ['Al on, available "coding"']);
    deepStrictEqual(await bob.type("w al"), ['alice on, available "coding"']);
    // The nickname works as an address too.
    deepStrictEqual(await bob.type("M Al thanks"), []);
    await pollOne(alice, "NewMessage");
  });

  await t.step(
    "bob logs out: alice sees him offline; a message waits for his next login",
    async () => {
      deepStrictEqual(await bob.type("OFF"), ["Logged out."]);
      const list = presenceOf(await pollAll(alice), id("bob"));
      equal(value(list, "OnlineStatus"), "F");
      await sendOk(alice, [id("bob")], "are you there?");
      // Any command logs him in again; what waited comes with it.
      deepStrictEqual(await bob.type("ST back"), ["Status text set."]);
      // Under the nickname he gave her.
      ok(bob.inbox.includes("Al: are you there?"), bob.inbox.at(-1));
    },
  );
});

Deno.test("a CLP user joins a group on invitation and talks in it", async () => {
  const [h, alice, bob] = await setUp();
  await using _ = h;
  await bob.type("ON");
  equal((await createGroup(alice, GROUP, { join: true, screenName: "Alice" })).code, 200);
  await inviteOk(alice, "inv-1", [id("bob")], { type: "GR", groupId: GROUP, note: "our chat" });
  deepStrictEqual(await bob.receive(), [
    "alice invites you to join #alice/chat: our chat. Y1 yes, N1 no.",
  ]);
  deepStrictEqual(await bob.type("Y1"), [
    "Joined #alice/chat as bob. M #alice/chat <text> to write.",
  ]);
  // Alice hears he accepted.
  equal((await pollOne(alice, "Invite-Response")).primitive.body.Acceptance, true);
  deepStrictEqual(await bob.type("G"), ["Groups: #alice/chat"]);
  // `#chat` names the group he joined.
  deepStrictEqual(await bob.type("M #chat hello all"), []);
  const tx = await pollOne(alice, "NewMessage");
  equal(tx.primitive.body.ContentData, "hello all");
  await sendToGroup(alice, GROUP, "welcome bob");
  deepStrictEqual(await bob.receive(), ["#alice/chat Alice: welcome bob"]);
  deepStrictEqual(await bob.type("R thanks"), []);
  equal((await pollOne(alice, "NewMessage")).primitive.body.ContentData, "thanks");
  deepStrictEqual(await bob.type("LV #chat"), ["Left #alice/chat."]);
  deepStrictEqual(await bob.type("G"), ["No groups. J #group to join one."]);
});

Deno.test("refusals, unknown words and help each fit one SMS", async () => {
  const [h, _alice, bob] = await setUp();
  await using _ = h;
  deepStrictEqual(await bob.type("hello?"), ["Unknown command hello?. Send HELP for the list."]);
  const [help] = await bob.type("help");
  match(help, /^Commands: HELP ON OFF AV BUSY AWAY ST L W ADD DEL M R J LV G Y N\./);
  deepStrictEqual(await bob.type("? m"), [
    "M <user or #group> <text>: send a message (also MSG)",
  ]);
  deepStrictEqual(await bob.type("M alice"), ["Use: M <user or #group> <text>"]);
  match((await bob.type("M nobody hi"))[0], /^Not sent to nobody: .*\(531\)\.$/);
  deepStrictEqual(await bob.type("N"), ["Nothing to answer."]);
  deepStrictEqual(await bob.type("Y 7"), ["No request 7."]);
  deepStrictEqual(await bob.type("R hi"), ["Nobody to reply to yet."]);
  deepStrictEqual(await bob.type("L"), ["No contacts. ADD <user> to add one."]);
  for (const reply of bob.inbox) ok(reply.length <= 160, reply);
});
