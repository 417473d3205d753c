/** Conversations over SHTTP: the session's own URL answers 200 when something waits, and a long
 * poll of it is answered the moment something does. */
import assert from "node:assert/strict";
import { CAPABILITIES } from "../support/cir.ts";
import { type CspClient, loggedIn, startServer } from "../support/harness.ts";
import { ackDelivered, pollOne, sendOk } from "../im/im_support.ts";
import { at } from "../support/body_reader.ts";

async function cirUrl(client: CspClient): Promise<string> {
  const reply = await client.send(CAPABILITIES.android(["SHTTP"]));
  const agreed = reply.body.AgreedCapabilityList ?? reply.body.CapabilityList;
  assert.deepEqual(at(agreed, "SupportedCIRMethod"), ["SHTTP"]);
  return String(at(at(agreed, "CIRHTTPAddress") ?? at(agreed, "CIRURL"), "URL"));
}

Deno.test("bob's Android GETs his CIR URL: 204 while nothing waits, 200 once alice's message does", async () => {
  await using h = await startServer({ overHttp: true, env: { IMPS_CIR_HTTP: "true" } });
  const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
  const url = await cirUrl(bob);
  // Baraza's shape (fixture 006): CIRURL{URL http://host:port/cir/...} on the CSP server itself.
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/cir\/[0-9a-f]{32}$/);

  const idle = await fetch(url);
  assert.equal(idle.status, 204);
  await sendOk(alice, [bob.userId], "are you there?");
  const woken = await fetch(url);
  assert.equal(woken.status, 200);
  assert.equal(woken.headers.get("cache-control"), "no-store");

  const message = await pollOne(bob, "NewMessage");
  await ackDelivered(bob, message);
  assert.equal((await fetch(url)).status, 204, "nothing waits once acknowledged");
});

Deno.test("a long poll is held and answered 200 within milliseconds of alice's 200", async () => {
  await using h = await startServer({ overHttp: true, env: { IMPS_CIR_HTTP: "true" } });
  const [alice, bob] = await loggedIn(h, "1.3", "alice", "bob");
  const url = await cirUrl(bob);
  assert.ok(url.includes("/cir/"), "1.3 names it CIRHTTPAddress");

  const held = fetch(`${url}?wait=20`);
  await new Promise((r) => setTimeout(r, 100));
  const sentAt = performance.now();
  await sendOk(alice, [bob.userId], "wake up");
  const answer = await held;
  const latency = performance.now() - sentAt;
  assert.equal(answer.status, 200);
  assert.ok(latency < 500, `answered after ${latency.toFixed(1)} ms`);
  await answer.body?.cancel();
  await pollOne(bob, "NewMessage");
});

Deno.test("a long poll with nothing to report ends 204 after its wait; a second one answers the first", async () => {
  await using h = await startServer({
    overHttp: true,
    env: { IMPS_CIR_HTTP: "true", IMPS_CIR_HTTP_WAIT: "1" },
  });
  const [bob] = await loggedIn(h, "1.2", "bob");
  const url = await cirUrl(bob);
  const started = Date.now();
  const waited = await fetch(`${url}?wait=30`);
  assert.equal(waited.status, 204);
  const took = Date.now() - started;
  assert.ok(took >= 900 && took < 5000, `held ${took} ms, bounded by IMPS_CIR_HTTP_WAIT`);

  const first = fetch(`${url}?wait=1`);
  await new Promise((r) => setTimeout(r, 100));
  const second = fetch(`${url}?wait=1`);
  assert.equal((await first).status, 204, "replaced by the second");
  assert.equal((await second).status, 204);
});

Deno.test("an unknown or guessed URL is 404; the URL dies with the session", async () => {
  await using h = await startServer({ overHttp: true, env: { IMPS_CIR_HTTP: "true" } });
  const [bob] = await loggedIn(h, "1.2", "bob");
  const url = await cirUrl(bob);
  assert.equal((await fetch(url.replace(/[0-9a-f]{32}$/, "0".repeat(32)))).status, 404);
  assert.equal((await fetch(url.replace(/\/cir\/.*/, "/cir/not-a-token"))).status, 404);

  await bob.send("<Logout-Request/>");
  assert.equal((await fetch(url)).status, 404);
});
