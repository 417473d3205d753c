/**
 * The SMS gateway path in-process: phones' SMS handed to the gateway as Kannel hands them on, and
 * what it sends taken where Kannel's sendsms would. PTS over data and text SMS, split both ways;
 * CLP; what the server hands a phone's session pushed as SMS; bounds; hostile SMS. The same
 * conversations through a real Kannel are in kannel_test.ts.
 */
import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { portUdh } from "../../src/codec/sms/udh.ts";
import type { IncomingSms } from "../../src/transport/sms/callback.ts";
import { type SmsBindingConfig, SmsGateway } from "../../src/transport/sms/gateway.ts";
import type { OutgoingSms } from "../../src/transport/sms/kannel.ts";
import { pollOne, sendOk } from "../im/im_support.ts";
import { id, subscribeUsers } from "../presence/support.ts";
import { type Harness, loggedIn, PASSWORD, startServer } from "../support/harness.ts";
import { PtsClient } from "../support/pts.ts";
import { element, items } from "../support/body_reader.ts";

const CONFIG: SmsBindingConfig = {
  allow: [],
  ptsPort: 3590,
  perHour: 60,
  maxLength: 1600,
  maxParts: 26,
  partsTimeoutS: 60,
  open: false,
  clpIdleS: 3600,
};

/** The phone network: SMS into the gateway, and every SMS the gateway sent. */
class Network {
  readonly sent: OutgoingSms[] = [];
  readonly gateway: SmsGateway;

  constructor(h: Harness, readonly numbers: Map<string, string>, config = CONFIG) {
    this.gateway = new SmsGateway(
      h.server.context,
      { send: (sms) => Promise.resolve(void this.sent.push(sms)) },
      (msisdn) => Promise.resolve(numbers.get(msisdn)),
      config,
    );
  }

  /** A text SMS from `from`. */
  text(from: string, text: string): Promise<void> {
    return this.gateway.receive(sms(from, new TextEncoder().encode(text), 0));
  }

  /** An 8-bit SMS to the PTS port, as the Android engine sends PTS. */
  data(from: string, bytes: Uint8Array): Promise<void> {
    return this.gateway.receive({ ...sms(from, bytes, 1), udh: portUdh(3590) });
  }

  /** What went to `to` since the last look, as text. */
  take(to: string): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.sent.length; i++) {
      const one = this.sent[i];
      if (one.to !== to) continue;
      out.push("text" in one ? one.text : new TextDecoder().decode(one.data));
      this.sent.splice(i--, 1);
    }
    return out;
  }
}

function sms(from: string, data: Uint8Array, coding: 0 | 1): IncomingSms {
  return { from, to: "4242", udh: new Uint8Array(), coding, data, charset: "utf-8" };
}

/** A PTS client whose bearer is data SMS to the gateway: it reassembles what comes back. */
function ptsPhone(network: Network, msisdn: string, userId: string): PtsClient {
  return new PtsClient(userId, async (text) => {
    await network.data(msisdn, new TextEncoder().encode(text));
    return reassemble(network.take(msisdn));
  });
}

/** Parts back into whole messages, as AOSP's SmsAssembler does. */
function reassemble(parts: string[]): string[] {
  const whole: string[] = [];
  const pending = new Map<string, string[]>();
  for (const part of parts) {
    const m = /^(WV\w{2}[A-Za-z]{2}\d+)([a-z])([a-z]) ([\s\S]*)$/.exec(part);
    if (!m) {
      whole.push(part);
      continue;
    }
    const [, preamble, index, last, body] = m;
    const list = pending.get(preamble) ?? [];
    list[index.charCodeAt(0) - 97] = body;
    pending.set(preamble, list);
    if (list.filter((p) => p !== undefined).length === last.charCodeAt(0) - 96) {
      whole.push(`${preamble} ${list.join("")}`);
      pending.delete(preamble);
    }
  }
  return whole;
}

const ALICE_PHONE = "+447700900001";
const BOB_PHONE = "+447700900002";

async function setUp(config = CONFIG): Promise<[Harness, Network]> {
  const h = await startServer();
  await h.addUser("alice", PASSWORD);
  await h.addUser("bob", PASSWORD);
  const network = new Network(
    h,
    new Map([[ALICE_PHONE, id("alice")], [BOB_PHONE, id("bob")]]),
    config,
  );
  await network.gateway.start();
  return [h, network];
}

Deno.test("a pure SMS session: PTS over data SMS, split both ways, pushes acknowledged", async () => {
  const [h, network] = await setUp();
  await using _ = h;
  await using _g = { [Symbol.asyncDispose]: () => network.gateway.close() };
  const [carol] = await loggedIn(h, "1.2", "carol");
  const alice = ptsPhone(network, ALICE_PHONE, id("alice"));
  equal((await alice.login(PASSWORD)).code, 200);

  // A message longer than one SMS goes in parts; the server puts it back together.
  const long = "A long message from an old phone. ".repeat(12);
  const sent = await alice.request(
    "SM",
    `MI=((CY,text/plain),(RE,((UI,${id("carol")})))) CD="${long}"`,
  );
  equal(sent.code, 200, sent.text);
  equal((await pollOne(carol, "NewMessage")).primitive.body.ContentData, long);

  // What carol sends is pushed to the phone at once (the outbox wakes the gateway as CIR does),
  // split over several SMS.
  await sendOk(carol, [id("alice")], "Reply! ".repeat(40));
  await network.gateway.idle();
  const parts = network.take(ALICE_PHONE);
  ok(parts.length > 1, `${parts.length} parts`);
  const [pushed] = reassemble(parts);
  match(pushed, /^WV12NM\d+ SI=\w+ MI=.* CD="Reply! Reply!/);
  // The phone acknowledges by number: nothing is pushed again.
  const tid = /^WV12NM(\d+)/.exec(pushed)![1];
  deepStrictEqual(await alice.send("ST", "ST=200", tid), []);
  await network.gateway.recheck();
  deepStrictEqual(network.take(ALICE_PHONE), []);
});

Deno.test("what waited for a phone's session while no gateway ran goes out at its recheck", async () => {
  const [h, network] = await setUp();
  await using _ = h;
  const [carol] = await loggedIn(h, "1.2", "carol");
  const alice = ptsPhone(network, ALICE_PHONE, id("alice"));
  equal((await alice.login(PASSWORD)).code, 200);
  await network.gateway.close();
  await sendOk(carol, [id("alice")], "while you were away");
  deepStrictEqual(network.take(ALICE_PHONE), [], "a closed gateway sends nothing");
  // Started again (a restart): the session on the phone is known from KV, and looked at.
  const again = new Network(h, network.numbers);
  await again.gateway.start();
  await using _g = { [Symbol.asyncDispose]: () => again.gateway.close() };
  await again.gateway.recheck();
  const [pushed] = reassemble(again.take(ALICE_PHONE));
  match(pushed, /^WV12NM\d+ SI=\w+ .*CD="while you were away"/);
});

Deno.test("a session over SMS agrees no CIR method, the same offer over HTTP does", async () => {
  await using h = await startServer({
    env: { IMPS_CIR_TCP_PORT: "0", IMPS_SMS_URL: "http://127.0.0.1:9/cgi-bin/sendsms" },
  });
  await h.addUser("alice", PASSWORD);
  equal(await h.server.context.users.setMsisdn(id("alice"), ALICE_PHONE), "ok");
  const network = new Network(h, new Map([[ALICE_PHONE, id("alice")]]));
  await network.gateway.start();
  await using _g = { [Symbol.asyncDispose]: () => network.gateway.close() };
  // What the Android engine offers on every data channel (SHTTP has no PTS code), and SMS.
  const offer = "CA=((CT,MP),(ID,P),(MT,1),(PM,30),(SB,HTTP),(SB,SMS),(SC,ST),(SC,SS))";
  const agreed = async (client: PtsClient) => {
    equal((await client.login(PASSWORD)).code, 200);
    const answer = await client.request("CP", offer);
    const list = element(answer.body, "AgreedCapabilityList");
    return {
      cir: items(list, "SupportedCIRMethod"),
      bearers: items(list, "SupportedBearer"),
    };
  };
  const overSms = await agreed(ptsPhone(network, ALICE_PHONE, id("alice")));
  deepStrictEqual(overSms, { cir: [], bearers: ["HTTP", "SMS"] });
  equal(h.server.cir!.dispatcher.sessions, 0, "nothing to wake");
  const overHttp = await agreed(
    new PtsClient(id("alice"), async (text) => {
      const answer = await h.transport(text, "application/vnd.wv.csp.sms");
      return (await answer.text()).split("\n").filter((line) => line !== "");
    }),
  );
  deepStrictEqual(overHttp, { cir: ["STCP", "SSMS"], bearers: ["HTTP"] });
  equal(h.server.cir!.dispatcher.sessions, 1);
});

Deno.test("PTS over text SMS, and parts out of order, twice, and missing", async () => {
  const [h, network] = await setUp();
  await using _ = h;
  await using _g = { [Symbol.asyncDispose]: () => network.gateway.close() };
  await network.text(ALICE_PHONE, `WV12LR1 CI=JiMMY PW=${PASSWORD} UI=${id("alice")}`);
  const [login] = network.take(ALICE_PHONE);
  match(login, /^WV12RL1 CI=JiMMY ST=200 SI=(\w+)/);
  const session = /SI=(\w+)/.exec(login)![1];
  // Three parts, the second first, the first twice: `SI=… TL=` + `3` + `00`.
  await network.text(ALICE_PHONE, "WV12KA2bc 3");
  await network.text(ALICE_PHONE, `WV12KA2ac SI=${session} TL=`);
  await network.text(ALICE_PHONE, `WV12KA2ac SI=${session} TL=`);
  deepStrictEqual(network.take(ALICE_PHONE), []);
  await network.text(ALICE_PHONE, "WV12KA2cc 00");
  const [keptAlive] = network.take(ALICE_PHONE);
  match(keptAlive, /^WV12AK2 SI=\w+ ST=\(200,\w+\) KA=300$/);
  // A message whose last part never comes is answered when its time runs out.
  await network.text(ALICE_PHONE, `WV12KA3ab SI=${session} TL=3`);
  const expired = new Network(h, network.numbers, { ...CONFIG, partsTimeoutS: 0 });
  await expired.text(ALICE_PHONE, `WV12KA4ab SI=${session} TL=3`);
  await expired.gateway.sweep();
  deepStrictEqual(expired.take(ALICE_PHONE), ['WV12ST4 ST=(400,"only 1 of 2 parts came")']);
});

Deno.test("SMS authentication: logged in by SMS, the first HTTP request ends SMS delivery", async () => {
  const [h, network] = await setUp();
  await using _ = h;
  await using _g = { [Symbol.asyncDispose]: () => network.gateway.close() };
  const [carol] = await loggedIn(h, "1.2", "carol");
  const alice = ptsPhone(network, ALICE_PHONE, id("alice"));
  await alice.login(PASSWORD);
  network.gateway.seenOverHttp(alice.sessionId!);
  await new Promise((r) => setTimeout(r, 10));
  await sendOk(carol, [id("alice")], "by HTTP please");
  await network.gateway.idle();
  await network.gateway.recheck();
  deepStrictEqual(network.take(ALICE_PHONE), []);
  const xml = h.client("alice");
  xml.sessionId = alice.sessionId;
  equal((await pollOne(xml, "NewMessage")).primitive.body.ContentData, "by HTTP please");
});

Deno.test("a CLP terminal through the gateway: replies, pushes, and the login it starts", async () => {
  const [h, network] = await setUp();
  await using _ = h;
  await using _g = { [Symbol.asyncDispose]: () => network.gateway.close() };
  const [carol] = await loggedIn(h, "1.2", "carol");
  await sendOk(carol, [id("bob")], "waiting for you");
  await network.text(BOB_PHONE, "on");
  deepStrictEqual(network.take(BOB_PHONE), [
    "Logged in as bob. HELP for commands.",
    "carol: waiting for you",
  ]);
  await carol.send(subscribeUsers("1.2", [id("bob")]));
  await network.gateway.idle();
  deepStrictEqual(network.take(BOB_PHONE), [
    "carol asks to see your status. Y1 to allow, N1 to refuse.",
  ]);
  await network.text(BOB_PHONE, "m carol here I am");
  deepStrictEqual(network.take(BOB_PHONE), []);
  equal((await pollOne(carol, "NewMessage")).primitive.body.ContentData, "here I am");
});

Deno.test("unknown numbers hear once a day; a registered phone logs in as its user only", async () => {
  const [h, network] = await setUp();
  await using _ = h;
  await using _g = { [Symbol.asyncDispose]: () => network.gateway.close() };
  const stranger = "+15550001111";
  await network.text(stranger, "on");
  await network.text(stranger, "help");
  await network.text(stranger, `WV12LR1 PW=${PASSWORD} UI=${id("alice")}`);
  deepStrictEqual(network.take(stranger), [
    "This number is not registered with this IM service.",
  ]);
  await network.text(BOB_PHONE, `WV12LR5 PW=${PASSWORD} UI=${id("alice")}`);
  deepStrictEqual(network.take(BOB_PHONE), [
    'WV12RL5 ST=(920,"This phone belongs to another user")',
  ]);
});

Deno.test("IMPS_SMS_OPEN lets an unregistered number log in by PTS with a password", async () => {
  const [h, network] = await setUp({ ...CONFIG, open: true });
  await using _ = h;
  await using _g = { [Symbol.asyncDispose]: () => network.gateway.close() };
  const phone = ptsPhone(network, "+15550002222", id("alice"));
  equal((await phone.login(PASSWORD)).code, 200);
  await network.text("+15550002222", "on");
  deepStrictEqual(network.take("+15550002222"), [
    "This number is not registered with this IM service.",
  ]);
});

Deno.test("hostile SMS get an error answer or silence, and floods stop at the hourly bound", async () => {
  const [h, network] = await setUp({ ...CONFIG, perHour: 20 });
  await using _ = h;
  await using _g = { [Symbol.asyncDispose]: () => network.gateway.close() };
  const hostile: [string, string[]][] = [
    ["WV12LR1 PW=a=b", ['WV12ST1 ST=(400,"special character ""="" must be quoted")']],
    ['WV12LR2 PW="open', ['WV12ST2 ST=(400,"unterminated quoted value")']],
    ["WV12ZZ3 SI=x", ['WV12ST3 ST=(400,"unknown transaction code ZZ")']],
    ["WV12SM4zz x", []],
    ["WV12SM5ba x", []],
    ["WV99LR6 UI=x", ['WV12ST6 ST=(505,"unknown version ""99""")']],
    ["WV12LR7", ['WV12RL7 ST=(531,"UserID missing")']],
  ];
  for (const [text, answers] of hostile) {
    await network.text(ALICE_PHONE, text);
    deepStrictEqual(network.take(ALICE_PHONE), answers, text);
  }
  // Binary that is not PTS, and an SMS longer than IMPS_SMS_MAX_LENGTH: silence.
  await network.gateway.receive(sms(ALICE_PHONE, Uint8Array.of(0, 0xff, 0xfe, 0x80), 1));
  await network.text(ALICE_PHONE, "M bob " + "x".repeat(2000));
  await network.text("not-a-number", "on");
  deepStrictEqual(network.sent, []);
  // A flood: past 20 SMS this hour the number is not heard.
  for (let i = 0; i < 30; i++) await network.text(BOB_PHONE, "help");
  equal(network.take(BOB_PHONE).length, 20);
});

Deno.test("a removed user's phone is nobody's, and their CLP state goes with them", async () => {
  const [h, network] = await setUp();
  await using _ = h;
  await using _g = { [Symbol.asyncDispose]: () => network.gateway.close() };
  const users = h.server.context.users;
  equal(await users.setMsisdn(id("bob"), BOB_PHONE), "ok");
  const gateway = new SmsGateway(
    h.server.context,
    { send: (sms) => Promise.resolve(void network.sent.push(sms)) },
    (msisdn) => users.byMsisdn(msisdn),
    CONFIG,
  );
  await gateway.receive(sms(BOB_PHONE, new TextEncoder().encode("on"), 0));
  deepStrictEqual(network.take(BOB_PHONE), ["Logged in as bob. HELP for commands."]);
  ok((await gateway.clp.repo.get(id("bob"))).sessionId);
  await h.server.removeUser(id("bob"));
  equal(await users.byMsisdn(BOB_PHONE), undefined);
  deepStrictEqual(await gateway.clp.repo.get(id("bob")), {
    questions: [],
    nextQuestion: 1,
    groups: [],
    nicks: {},
  });
  await gateway.receive(sms(BOB_PHONE, new TextEncoder().encode("on"), 0));
  deepStrictEqual(network.take(BOB_PHONE), ["This number is not registered with this IM service."]);
  await gateway.close();
});
