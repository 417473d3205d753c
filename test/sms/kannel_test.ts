/**
 * Phones without data, through a real Kannel (bearerbox, smsbox and its fake SMSC on loopback
 * ports): SMS from phones come to `POST /sms` through smsbox's sms-service callback, the server's
 * go out through sendsms and are read where the phone network would get them. A PTS client in a
 * pure SMS session (data SMS to port 3590, as the Android engine sends them), a CLP terminal
 * chatting with a CSP client, and hostile SMS. Skipped, with a note, where Kannel is absent.
 */
import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { DATA_SMS, splitPts } from "../../src/codec/sms/mod.ts";
import { portUdh } from "../../src/codec/sms/udh.ts";
import { ackDelivered, ackStatus, poll, pollOne, sendOk } from "../im/im_support.ts";
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
import {
  haveKannel,
  type Kannel,
  kannelPorts,
  type ReceivedSms,
  receivedText,
  sendsmsUrl,
  startKannel,
} from "../support/kannel.ts";

const installed = await haveKannel("the SMS binding and CLP through Kannel");

const SECRET = "kannel-callback-0123456789";
const SHORT_CODE = "4242";

/** A phone on the fake network: what it sends, and what it got, read in order. */
class Phone {
  #seen = 0;

  constructor(readonly kannel: Kannel, readonly msisdn: string) {}

  /** A PTS message as the Android engine sends it: 8-bit data SMS to port 3590, in parts. */
  async pts(message: string): Promise<void> {
    for (const part of splitPts(message, DATA_SMS)!) {
      await this.kannel.send(this.msisdn, SHORT_CODE, {
        kind: "udh",
        udh: portUdh(3590),
        data: new TextEncoder().encode(part),
      });
    }
  }

  async text(text: string): Promise<void> {
    await this.kannel.send(this.msisdn, SHORT_CODE, { kind: "text", text });
  }

  #mine(): ReceivedSms[] {
    return this.kannel.received.filter((sms) => sms.to === this.msisdn);
  }

  /** The next whole PTS message that came (parts put back together) and `wanted` accepts. */
  async nextPts(wanted: RegExp, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const whole = reassemble(
        this.#mine().map((sms) => {
          deepStrictEqual([...sms.udh ?? []], [...portUdh(3590)], "PTS goes to port 3590");
          return receivedText(sms);
        }),
      );
      const found = whole.find((m) => wanted.test(m));
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no PTS ${wanted} in ${JSON.stringify(whole)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** The text SMS that came since the last look, once `count` of them came. */
  async texts(count: number, timeoutMs = 10_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const mine = this.#mine();
      if (mine.length >= this.#seen + count) {
        const out = mine.slice(this.#seen, this.#seen + count).map(receivedText);
        this.#seen += count;
        return out;
      }
      if (Date.now() > deadline) {
        throw new Error(`${count} SMS expected, got ${mine.slice(this.#seen).map(receivedText)}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Nothing more came within `ms`. */
  async quiet(ms = 500): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    deepStrictEqual(this.#mine().slice(this.#seen).map(receivedText), []);
  }
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

/** The first NewMessage bob's polls hand out within a few seconds (an SMS sent gets no answer
 * to wait for). */
async function nextMessage(client: CspClient): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const txs = await poll(client);
    const message = txs.find((tx) => tx.primitive.name === "NewMessage");
    for (const tx of txs) {
      await (tx.primitive.name === "NewMessage" ? ackDelivered : ackStatus)(client, tx);
    }
    if (message) return String(message.primitive.body.ContentData);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("no NewMessage came");
}

async function setUp(): Promise<[Harness, Kannel]> {
  const ports = kannelPorts();
  const h = await startServer({
    overHttp: true,
    env: {
      IMPS_SMS_URL: sendsmsUrl(ports),
      IMPS_SMS_USER: "imps",
      IMPS_SMS_PASSWORD: "secret-sms",
      IMPS_SMS_FROM: SHORT_CODE,
      IMPS_SMS_SECRET: SECRET,
      IMPS_SMS_ALLOW: "127.0.0.1",
    },
  });
  const kannel = await startKannel({
    ports,
    smsService: `${h.origin}/sms?secret=${SECRET}&from=%p&to=%P&udh=%u&coding=%c`,
  });
  return [h, kannel!];
}

async function withPhone(h: Harness, name: string, msisdn: string): Promise<void> {
  await h.addUser(name, PASSWORD);
  equal(await h.server.context.users.setMsisdn(id(name), msisdn), "ok");
}

Deno.test({
  name: "a PTS client in a pure SMS session through Kannel",
  ignore: !installed,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const [h, kannel] = await setUp();
    await using _h = h;
    await using _k = kannel;
    await withPhone(h, "alice", "+447700900001");
    const [bob] = await loggedIn(h, "1.2", "bob");
    const alice = new Phone(kannel, "+447700900001");
    let session = "";

    await t.step("alice logs in by SMS; the answer comes to port 3590", async () => {
      await alice.pts(`WV12LR1 CI=JiMMY TL=600 SC=c PW=${PASSWORD} UI=${id("alice")}`);
      const login = await alice.nextPts(/^WV12RL1 /);
      match(login, /^WV12RL1 CI=JiMMY ST=200 SI=(\w+) KA=600 CR=T$/);
      session = /SI=(\w+)/.exec(login)![1];
      await alice.pts(`WV12CP2 SI=${session} CA=((CT,MP),(MT,1),(ID,P),(SB,HTTP),(SC,SS))`);
      match(await alice.nextPts(/^WV12PC2 /), /AP=\(\(CT,MP\),\(ID,P\),\(MT,1\)/);
    });

    await t.step("she subscribes to bob; his change is pushed to her phone", async () => {
      await alice.pts(`WV12SB3 SI=${session} PS=(OS,UA,ST) UI=${id("bob")}`);
      match(await alice.nextPts(/^WV12ST3 /), /ST=\(200/);
      await pollAll(bob);
      await bob.send(
        authorise("1.2", [id("alice")], "OnlineStatus", "UserAvailability", "StatusText"),
      );
      await bob.send(update({ UserAvailability: "DISCREET", StatusText: "on a train" }));
      const pushed = await alice.nextPts(/^WV12PN\d+ .*"on a train"/);
      match(pushed, /\(UA,T,DI\)/);
      await alice.pts(`WV12ST${/^WV12PN(\d+)/.exec(pushed)![1]} SI=${session} ST=200`);
    });

    await t.step(
      "a long message from the phone goes in several SMS and arrives whole",
      async () => {
        const long = "Greetings from a phone without data. ".repeat(10).trim();
        const message = `WV12SM4 SI=${session} MI=((CY,text/plain),(RE,((UI,${id("bob")})))) ` +
          `CD="${long}"`;
        ok(splitPts(message, DATA_SMS)!.length >= 3);
        await alice.pts(message);
        match(await alice.nextPts(/^WV12MS4 /), /ST=\(200/);
        equal((await pollOne(bob, "NewMessage")).primitive.body.ContentData, long);
      },
    );

    await t.step(
      "bob's long answer reaches the phone in parts, acknowledged by number",
      async () => {
        const answer = "Nice to hear from you on the train! ".repeat(8).trim();
        await sendOk(bob, [id("alice")], answer);
        const pushed = await alice.nextPts(/^WV12NM\d+ /);
        ok(pushed.includes(`CD="${answer}"`), pushed);
        const parts = kannel.received.filter((s) =>
          s.to === alice.msisdn && /^WV12NM\d+[a-z]{2} /
            .test(receivedText(s))
        );
        ok(parts.length >= 3, `${parts.length} parts`);
        await alice.pts(`WV12ST${/^WV12NM(\d+)/.exec(pushed)![1]} SI=${session} ST=200`);
        await alice.pts(`WV12OR5 SI=${session}`);
        match(await alice.nextPts(/^WV12ST5 /), /ST=\(200/);
      },
    );
  },
});

Deno.test({
  name: "a CLP terminal chats with a CSP client and a WBXML phone through Kannel",
  ignore: !installed,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const [h, kannel] = await setUp();
    await using _h = h;
    await using _k = kannel;
    await withPhone(h, "carol", "+447700900003");
    const [bob] = await loggedIn(h, "1.2", "bob");
    const carol = new Phone(kannel, "+447700900003");

    await carol.text("ON");
    deepStrictEqual(await carol.texts(1), ["Logged in as carol. HELP for commands."]);
    await bob.send(subscribeUsers("1.2", [id("carol")]));
    deepStrictEqual(await carol.texts(1), [
      "bob asks to see your status. Y1 to allow, N1 to refuse.",
    ]);
    await carol.text("y");
    deepStrictEqual(await carol.texts(1), ["bob can see your status."]);
    equal(value(notified(await pollAll(bob)).get(id("carol")), "OnlineStatus"), "T");

    await carol.text("AWAY back at 6");
    deepStrictEqual(await carol.texts(1), ["Status set."]);
    const away = notified(await pollAll(bob)).get(id("carol"));
    equal(value(away, "UserAvailability"), "NOT_AVAILABLE");

    await carol.text("M bob Hello from my keypad");
    equal(await nextMessage(bob), "Hello from my keypad");
    await sendOk(bob, [id("carol")], "Καλημέρα! 中文 too");
    deepStrictEqual(await carol.texts(1), ["bob: Καλημέρα! 中文 too"]);
    await carol.text("R ok");
    equal(await nextMessage(bob), "ok");

    // A phone speaking WBXML, as the Android and Nokia engines do.
    await h.addUser("erin", PASSWORD);
    const erin = h.client("erin", "1.2", "wbxml");
    equal((await erin.login(PASSWORD)).code, 200);
    await carol.text("m erin are you on the bus?");
    equal(await nextMessage(erin), "are you on the bus?");
    await sendOk(erin, [id("carol")], "yes, stop 4");
    deepStrictEqual(await carol.texts(1), ["erin: yes, stop 4"]);
    await carol.quiet();
  },
});

Deno.test({
  name: "hostile SMS through Kannel get error answers or silence; the server stays up",
  ignore: !installed,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const [h, kannel] = await setUp();
    await using _h = h;
    await using _k = kannel;
    await withPhone(h, "dave", "+447700900004");
    const dave = new Phone(kannel, "+447700900004");
    const stranger = new Phone(kannel, "+15550009999");

    await dave.text('WV12LR1 PW="unterminated');
    deepStrictEqual(await dave.texts(1), ['WV12ST1 ST=(400,"unterminated quoted value")']);
    await dave.text("WV12LR2 PW=a=b UI=dave");
    deepStrictEqual(await dave.texts(1), [
      'WV12ST2 ST=(400,"special character ""="" must be quoted")',
    ]);
    await dave.text("WV12QQ3 SI=nothing");
    deepStrictEqual(await dave.texts(1), ['WV12ST3 ST=(400,"unknown transaction code QQ")']);
    // A 27th part cannot be; a part beyond its count neither: dropped.
    await dave.text("WV12SM4az x");
    await dave.text("WV12SM4ca x");
    // Binary garbage, to the PTS port and not.
    await kannel.send(dave.msisdn, SHORT_CODE, {
      kind: "udh",
      udh: portUdh(3590),
      data: Uint8Array.of(0xff, 0x00, 0x57, 0x56),
    });
    await kannel.send(dave.msisdn, SHORT_CODE, { kind: "data", data: Uint8Array.of(0, 1, 2) });
    await dave.quiet();
    // Strangers hear once.
    await stranger.text("ON");
    await stranger.text("HELP");
    deepStrictEqual(await stranger.texts(1), [
      "This number is not registered with this IM service.",
    ]);
    await stranger.quiet();
    // A wrong secret is refused before anything is read.
    const forged = await fetch(`${h.origin}/sms?secret=guess&from=%2B447700900004&coding=0`, {
      method: "POST",
      body: "OFF",
    });
    equal(forged.status, 403);
    await forged.body?.cancel();
    equal(await fetch(`${h.origin}/healthz`).then((r) => r.text()), "ok");
  },
});
