/** What ClientCapability agrees on waking the client, and what a session with a CIR gets. */
import assert from "node:assert/strict";
import { CAPABILITIES } from "../support/cir.ts";
import { capturedContent, haveBarazaFixtures, readFixture } from "../support/baraza.ts";
import { loggedIn, startServer } from "../support/harness.ts";
import { at, element } from "../support/body_reader.ts";

const ALL_ON = {
  IMPS_CIR_TCP_PORT: "0",
  IMPS_CIR_HTTP: "true",
  IMPS_CIR_UDP: "true",
  IMPS_CIR_WEBSOCKET: "true",
  IMPS_CIR_TTL: "7200",
};

Deno.test("the methods agreed are those offered and enabled, in the client's order", async () => {
  await using h = await startServer({ overHttp: true, env: ALL_ON });
  const [bob, carol] = await loggedIn(h, "1.2", "bob", "carol");
  const agreed = async (client: typeof bob, xml: string) =>
    element((await client.send(xml)).body, "AgreedCapabilityList");

  // SSMS is offered but no SMS gateway is configured.
  const android = await agreed(bob, CAPABILITIES.android(["SHTTP", "SSMS", "STCP"]));
  assert.deepEqual(android.SupportedCIRMethod, ["SHTTP", "STCP"]);
  assert.match(String(at(android, "CIRURL", "URL")), /\/cir\/[0-9a-f]{32}$/);
  assert.equal(android.TCPPort, h.server.cir!.stcp!.port);

  const nokia = await agreed(carol, CAPABILITIES.nokia(["wapudp", "STCP", "SUDP"], 5000));
  assert.deepEqual(nokia.SupportedCIRMethod, ["WAPUDP", "STCP", "SUDP"]);
  assert.equal(nokia.UDPPort, 5000);
});

Deno.test("with no CIR method enabled nothing is agreed and clients poll", async () => {
  await using h = await startServer({ overHttp: true });
  const [bob] = await loggedIn(h, "1.2", "bob");
  const agreed = element((await bob.send(CAPABILITIES.android())).body, "AgreedCapabilityList");
  assert.equal(agreed.SupportedCIRMethod, undefined);
  assert.equal(h.server.cir, undefined, "no listener, no route");
});

Deno.test("a session with a CIR keeps the long keep-alive time; one agreed anew without CIR loses it", async () => {
  await using h = await startServer({ overHttp: true, env: ALL_ON });
  const [bob] = await loggedIn(h, "1.2", "bob");
  await bob.send(CAPABILITIES.android(["STCP"]));
  const keepAlive = await bob.send(
    "<KeepAlive-Request><TimeToLive>60</TimeToLive></KeepAlive-Request>",
  );
  assert.equal(keepAlive.body.KeepAliveTime, 7200);

  await bob.send(CAPABILITIES.android([]));
  assert.equal(h.server.cir!.dispatcher.sessions, 0, "no longer woken");
  const after = await bob.send(
    "<KeepAlive-Request><TimeToLive>60</TimeToLive></KeepAlive-Request>",
  );
  assert.equal(after.body.KeepAliveTime, 60);
});

Deno.test("1.3: CIR agreed inside Login, with CIRHTTPAddress, the long KeepAliveTime and the CIR flag", async () => {
  await using h = await startServer({ overHttp: true, env: ALL_ON });
  await h.addUser("bob", "pw");
  const bob = h.client("bob", "1.3");
  const capabilities = CAPABILITIES.android(["SHTTP"])
    .replace(/^<ClientCapability-Request>|<\/ClientCapability-Request>$/g, "");
  const login = await bob.login("pw", capabilities);
  assert.equal(login.code, 200);
  const agreed = element(login.body, "AgreedCapabilityList");
  assert.deepEqual(agreed.SupportedCIRMethod, ["SHTTP"]);
  assert.match(String(at(agreed, "CIRHTTPAddress", "URL")), /\/cir\/[0-9a-f]{32}$/);
  assert.equal(login.body.KeepAliveTime, 7200);
  assert.equal(login.message!.cir, true);
});

const fixtures = await haveBarazaFixtures(
  "the CIRURL comparison with Baraza",
  "006-clientcapability.request.xml",
);

Deno.test({
  name: "Baraza's ClientCapability (fixture 006) agrees SHTTP with a CIRURL of Baraza's shape",
  ignore: !fixtures,
  async fn() {
    await using h = await startServer({ overHttp: true, env: { IMPS_CIR_HTTP: "true" } });
    const [alice] = await loggedIn(h, "1.2", "alice");
    const request = capturedContent(await readFixture("006-clientcapability.request.xml"));
    const answer = await readFixture("006-clientcapability.response.xml");
    const reply = await alice.send(request);
    const agreed = element(reply.body, "AgreedCapabilityList");
    // Baraza: CIRURL{URL http://host:port/cir/<salt>/<n>} for the STCP+SHTTP offer, SHTTP agreed.
    assert.match(answer, /<CIRURL>\s*<URL>\s*http:\/\/[^/]+\/cir\//);
    assert.deepEqual(agreed.SupportedCIRMethod, ["SHTTP"]);
    assert.match(
      String(at(agreed, "CIRURL", "URL")),
      /^http:\/\/[^/]+\/cir\/[0-9a-f]{32}$/,
    );
  },
});
