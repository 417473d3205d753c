/**
 * Real handset engines woken rather than polling: each agrees the CIR methods it offers that the
 * server has on, sets up the first the way its engine does, and is woken by it when another
 * engine sends it a message, then polls it in.
 */
import assert from "node:assert/strict";
import { decodeWspPush, StcpClient } from "../support/cir.ts";
import { startServer } from "../support/harness.ts";
import { GLOBAL_SENDER, haveKannel, startKannel } from "../support/kannel.ts";
import type { Handset } from "./handset.ts";
import { ANDROID, FEATURE_PHONE, NOKIA_12 } from "./profiles.ts";

/** `from` sends `to` a message; `to` is told by `woken` and then polls it in. */
async function wokenBy(from: Handset, to: Handset, woken: () => Promise<string>, text: string) {
  assert.equal((await from.sendText(to, text)).code, 200);
  assert.match(await woken(), new RegExp(`^WVCI ${to.version.replace(".", "\\.")} \\S+$`));
  const message = await to.pollFor("NewMessage", (tx) => tx.primitive.body.ContentData === text);
  assert.ok(message);
}

Deno.test("handsets: Android and Nokia agree STCP, say HELO on their TCP watchers and are woken by WVCI lines", async () => {
  await using h = await startServer({
    overHttp: true,
    env: { IMPS_CIR_TCP_PORT: "0", IMPS_CIR_HTTP: "true" },
  });
  await h.addUser("anna", "pw");
  await h.addUser("bert", "pw");
  const android = ANDROID.make("anna", h.transport, h.config.domain);
  const nokia = NOKIA_12.make("bert", h.transport, h.config.domain);
  for (const phone of [android, nokia]) {
    await phone.login("pw");
    await phone.negotiate();
  }
  // Android offers STCP, SSMS, SHTTP: no SMS gateway here. Nokia offers WAPSMS, WAPUDP, STCP,
  // SUDP: neither SMS nor UDP is on.
  assert.deepEqual(android.waiting, { kind: "cir", methods: ["STCP", "SHTTP"] });
  assert.deepEqual(nokia.waiting, { kind: "cir", methods: ["STCP"] });

  const port = h.server.cir!.stcp!.port;
  const androidCir = await StcpClient.helo(port, android.sessionId!);
  const nokiaCir = await StcpClient.helo(port, nokia.sessionId!);
  await nokiaCir.send("PING\r\n"); // Nokia's watcher pings and expects OK (or a WVCI)
  assert.equal(await nokiaCir.line(), "OK");

  await wokenBy(android, nokia, () => nokiaCir.line(), "Hello Bert");
  await wokenBy(nokia, android, () => androidCir.line(), "Hi Anna");
  androidCir.close();
  nokiaCir.close();
});

const kannel = await haveKannel("the feature phone woken by WAP push over SMS");

Deno.test({
  name:
    "handsets: the CSP 1.1 feature phone agrees WAPSMS and is woken by a WAP push through Kannel",
  ignore: !kannel,
  async fn() {
    await using gateway = (await startKannel())!;
    await using h = await startServer({
      overHttp: true,
      env: {
        IMPS_SMS_URL: gateway.sendsmsUrl,
        IMPS_SMS_USER: gateway.username,
        IMPS_SMS_PASSWORD: gateway.password,
      },
    });
    await h.addUser("anna", "pw");
    await h.addUser("cleo", "pw");
    const users = h.server.context.users;
    const cleoId = `wv:cleo@${h.config.domain}`;
    assert.equal(await users.setMsisdn(cleoId, "+447700900777"), "ok");
    const android = ANDROID.make("anna", h.transport, h.config.domain);
    const phone = FEATURE_PHONE.make("cleo", h.transport, h.config.domain);
    for (const handset of [android, phone]) {
      await handset.login("pw");
      await handset.negotiate();
    }
    assert.deepEqual(phone.waiting, { kind: "cir", methods: ["WAPSMS"] });
    await wokenBy(android, phone, async () => {
      const sms = await gateway.waitFor((s) => s.to === "+447700900777");
      assert.equal(sms.from, GLOBAL_SENDER, "no IMPS_SMS_FROM: the gateway's own sender");
      return decodeWspPush(sms.data).body;
    }, "Hello feature phone");
  },
});
