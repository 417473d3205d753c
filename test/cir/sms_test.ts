/**
 * WAPSMS and SSMS through a real Kannel (bearerbox, smsbox and its fake SMSC): the bytes that
 * reach the fake phone network are what a phone would receive. Skipped, with a note, where Kannel
 * is not installed.
 */
import assert from "node:assert/strict";
import { CAPABILITIES, decodeWspPush } from "../support/cir.ts";
import { type Harness, loggedIn, startServer } from "../support/harness.ts";
import { haveKannel, type Kannel, type ReceivedSms, startKannel } from "../support/kannel.ts";
import { pollOne, sendOk } from "../im/im_support.ts";
import { at } from "../support/body_reader.ts";

const installed = await haveKannel("the WAPSMS and SSMS conversations");

function smsEnv(kannel: Kannel, extra: Record<string, string> = {}): Record<string, string> {
  return {
    IMPS_SMS_URL: kannel.sendsmsUrl,
    IMPS_SMS_USER: kannel.username,
    IMPS_SMS_PASSWORD: kannel.password,
    IMPS_SMS_FROM: "4242",
    ...extra,
  };
}

async function setMsisdn(h: Harness, userId: string, msisdn: string): Promise<void> {
  assert.equal(await h.server.context.users.setMsisdn(userId, msisdn), "ok");
}

const to = (msisdn: string) => (sms: ReceivedSms) => sms.to === msisdn;

Deno.test({
  name: "WAPSMS and SSMS wake phones through a real Kannel",
  ignore: !installed,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using kannel = (await startKannel())!;

    await t.step(
      "a CSP 1.1 feature phone offering only WAPSMS gets a WAP push SMS on port 2948",
      async () => {
        await using h = await startServer({ overHttp: true, env: smsEnv(kannel) });
        const [alice, bob] = await loggedIn(h, "1.1", "alice", "bob");
        await setMsisdn(h, bob.userId, "+447700900001");
        const reply = await bob.send(CAPABILITIES.featurePhone());
        assert.deepEqual(at(reply.body, "CapabilityList", "SupportedCIRMethod"), [
          "WAPSMS",
        ]);

        await sendOk(alice, [bob.userId], "wake up, feature phone");
        const sms = await kannel.waitFor(to("+447700900001"));
        assert.equal(sms.from, "4242");
        assert.deepEqual([...sms.udh!], [0x06, 0x05, 0x04, 0x0b, 0x84, 0x23, 0xf0]);
        const push = decodeWspPush(sms.data);
        assert.equal(push.pduType, 0x06);
        assert.equal(push.contentType, 0x46, "application/vnd.wv.csp.cir");
        assert.equal(push.applicationId, 0x0a, "x-wap-application:wv.ua");
        assert.equal(push.body, "WVCI 1.1 bob-cookie");
        await pollOne(bob, "NewMessage");
      },
    );

    await t.step("an Android offering SSMS gets the WVCI as a text SMS", async () => {
      await using h = await startServer({ overHttp: true, env: smsEnv(kannel) });
      const [alice, bob] = await loggedIn(h, "1.3", "alice", "bob");
      await setMsisdn(h, bob.userId, "+447700900002");
      const reply = await bob.send(CAPABILITIES.android(["SSMS"]));
      assert.deepEqual(at(reply.body, "AgreedCapabilityList", "SupportedCIRMethod"), [
        "SSMS",
      ]);
      await sendOk(alice, [bob.userId], "text me");
      const sms = await kannel.waitFor(to("+447700900002"));
      assert.equal(sms.kind, "text");
      assert.equal(new TextDecoder().decode(sms.data), "WVCI 1.3 bob-cookie");
    });

    await t.step(
      "without a known MSISDN no SMS method is agreed; a stated one only when trusted",
      async () => {
        const stated = async (h: Harness, sessionId: string) => {
          const probe = await h.transport("", "text/plain");
          await probe.body?.cancel();
          const answer = await fetch(probe.url, {
            method: "POST",
            headers: { "content-type": "application/vnd.wv.csp.xml", msisdn: "+447700900003" },
            body: h.client("bob", "1.2").envelope(CAPABILITIES.android(["SSMS"]), {
              transactionId: "c1",
            }).replace(
              "<SessionType>Outband</SessionType>",
              `<SessionType>Inband</SessionType><SessionID>${sessionId}</SessionID>`,
            ),
          });
          return await answer.text();
        };
        {
          await using h = await startServer({ overHttp: true, env: smsEnv(kannel) });
          const [bob] = await loggedIn(h, "1.2", "bob");
          assert.doesNotMatch(await stated(h, bob.sessionId!), /SupportedCIRMethod/);
        }
        {
          await using h = await startServer({
            overHttp: true,
            env: smsEnv(kannel, { IMPS_SMS_TRUST_MSISDN: "true" }),
          });
          const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
          assert.match(await stated(h, bob.sessionId!), /<SupportedCIRMethod>SSMS</);
          await sendOk(alice, [bob.userId], "to the stated number");
          await kannel.waitFor(to("+447700900003"));
        }
      },
    );

    await t.step(
      "wake-up SMS are bounded per user; over the budget the phone is left to poll",
      async () => {
        await using h = await startServer({
          overHttp: true,
          env: smsEnv(kannel, { IMPS_CIR_SMS_PER_HOUR: "1", IMPS_CIR_MIN_GAP_MS: "0" }),
        });
        const [alice, bob] = await loggedIn(h, "1.3", "alice", "bob");
        await setMsisdn(h, bob.userId, "+447700900004");
        await bob.send(CAPABILITIES.android(["SSMS"]));
        await sendOk(alice, [bob.userId], "first");
        await kannel.waitFor(to("+447700900004"));
        const first = await bob.send("<Polling-Request/>", { transactionId: "" });
        assert.equal(first.message!.cir, true, "CIR T: the SMS went out");
        await sendOk(alice, [bob.userId], "second");
        await new Promise((r) => setTimeout(r, 1500));
        assert.equal(kannel.received.filter(to("+447700900004")).length, 1, "no second SMS");
        const second = await bob.send("<Polling-Request/>", { transactionId: "" });
        assert.equal(second.message!.cir, false, "CIR F: the phone must poll");
      },
    );
  },
});
