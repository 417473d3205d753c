/** What a person finds who points a browser or curl at the server rather than a client. */
import assert from "node:assert/strict";
import { startServer } from "../support/harness.ts";
import { VERSION } from "../../src/version.ts";

Deno.test("GET / says what this is, its version and domain, and links the endpoints", async () => {
  await using h = await startServer();
  const res = await h.server.app.request("/");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type")!, /^text\/html/);
  const page = await res.text();
  assert.match(
    page,
    new RegExp(`<title>IMPS server ${VERSION.replaceAll(".", "\\.")} for example\\.com`),
  );
  assert.match(page, /OMA IMPS/);
  assert.match(page, /<code>POST \/csp<\/code>/);
  assert.match(page, /<code>\/content\/<\/code>/);
  assert.match(page, /<a href="\/healthz">/);
  assert.match(page, /metrics/);
  assert.doesNotMatch(page, /\/ssp/, "no SSP endpoint without federation");

  await using federated = await startServer({ env: { IMPS_FEDERATION: "true" } });
  assert.match(await (await federated.server.app.request("/")).text(), /<code>POST \/ssp<\/code>/);
});

Deno.test("GET /csp is 405 with Allow: POST and a hint about what to post", async () => {
  await using h = await startServer();
  for (const method of ["GET", "HEAD", "PUT", "DELETE"]) {
    const res = await h.server.app.request("/csp", { method });
    assert.equal(res.status, 405, method);
    assert.equal(res.headers.get("allow"), "POST", method);
    const hint = await res.text();
    if (method !== "HEAD") assert.match(hint, /POST CSP messages here.*vnd\.wv\.csp/, method);
  }
});
