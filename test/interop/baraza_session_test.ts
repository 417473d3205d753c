/**
 * Requests captured from another IMPS server's clients (Baraza fixtures in the shared
 * directory beside the checkout) are understood, and answered with the same primitive and
 * result code where Baraza follows the protocol. Skipped, with a note, when the fixtures are absent.
 */
import assert from "node:assert/strict";
import { capturedAnswer, haveBarazaFixtures, readFixture } from "../support/baraza.ts";
import { startServer } from "../support/harness.ts";

const haveFixtures = await haveBarazaFixtures("interop tests");

Deno.test({
  name: "Baraza's captured session-layer requests get the answers Baraza gave",
  ignore: !haveFixtures,
  async fn() {
    await using h = await startServer({ env: { IMPS_DOMAIN: "a.test" } });
    for (const name of ["alice", "bob", "erin"]) await h.addUser(name, "secret");
    const sessions = new Map<string, string>();
    const exchange = async (fixture: string, user?: string) => {
      let request = await readFixture(`${fixture}.request.xml`);
      const captured = request.match(/<SessionID>\s*([^<\s]+)\s*<\/SessionID>/)?.[1];
      if (captured && user) request = request.replace(captured, sessions.get(user)!);
      const client = h.client(user ?? "guest", "1.2");
      const version = /IMPS-CSP1\.3/.test(request) ? "1.3" : "1.2";
      return await client.post(
        request,
        version === "1.3" ? "application/vnd.wv.csp+xml" : "application/vnd.wv.csp.xml",
      );
    };

    for (
      const [fixture, user] of [
        ["001-getspinfo"],
        ["002-login-password", "alice"],
        ["005-login-wrong-password"],
        ["077-csp13-login", "alice"],
        ["079-csp11-login", "alice"],
      ]
    ) {
      const reply = await exchange(fixture);
      const expected = capturedAnswer(await readFixture(`${fixture}.response.xml`));
      assert.equal(reply.primitive.name, expected.primitive, fixture);
      assert.equal(reply.code || undefined, expected.code, fixture);
      if (user && reply.body.SessionID) sessions.set(user, String(reply.body.SessionID));
    }

    const step1 = await exchange("003-login-digest-step1");
    assert.equal(step1.primitive.name, "Login-Response");
    assert.equal(step1.code, 200);
    assert.ok(step1.body.Nonce, "a nonce is offered");

    const poll = await exchange("009-polling-nothing-pending", "alice");
    assert.equal(poll.http.status, 200);
    assert.equal(poll.empty, true, "nothing pending: an empty body, as Baraza answers");

    for (
      const fixture of [
        "006-clientcapability",
        "007-service-allfunctions",
        "008-keepalive",
        "064-logout",
      ]
    ) {
      const reply = await exchange(fixture, "alice");
      const expected = capturedAnswer(await readFixture(`${fixture}.response.xml`));
      assert.equal(reply.primitive.name, expected.primitive, fixture);
      if (expected.code !== undefined) assert.equal(reply.code, expected.code, fixture);
    }
  },
});
