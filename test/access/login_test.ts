/** Conversations about logging in: 2-way and 4-way, in every CSP version, and the ways it fails. */
import assert from "node:assert/strict";
import { loginDigest, toBase64 } from "../../src/util/crypto.ts";
import { startServer, VERSIONS, WBXML_TYPES } from "../support/harness.ts";
import { element } from "../support/body_reader.ts";

for (const version of VERSIONS) {
  Deno.test(`${version}: alice logs in with her password and gets a session`, async () => {
    await using h = await startServer();
    await h.addUser("alice", "secret");
    const alice = h.client("alice", version);

    const reply = await alice.login("secret");

    assert.equal(reply.primitive.name, "Login-Response");
    assert.equal(reply.code, 200);
    assert.match(String(reply.body.SessionID), /^[0-9a-f]{32}$/);
    assert.equal(reply.body.KeepAliveTime, 600);
    assert.equal(reply.body.CapabilityRequest, true);
    assert.deepEqual(reply.body.ClientID, { URL: "http://client.test/alice" });
    assert.equal(reply.message!.version, version);
    assert.equal(reply.poll, false, "the new session has nothing waiting yet");
  });

  Deno.test(`${version}: a wrong password and an unknown user both get 409`, async () => {
    await using h = await startServer();
    await h.addUser("alice", "secret");

    const wrong = await h.client("alice", version).login("guess");
    const unknown = await h.client("mallory", version).login("secret");

    for (const reply of [wrong, unknown]) {
      assert.equal(reply.poll, undefined, "no session, no Poll");
      assert.equal(reply.primitive.name, "Login-Response");
      assert.equal(reply.code, 409);
      assert.equal(reply.body.SessionID, undefined);
    }
  });
}

for (const schema of ["SHA", "MD5"] as const) {
  Deno.test(`bob logs in 4-way with a ${schema} digest, and the nonce cannot be replayed`, async () => {
    await using h = await startServer();
    await h.addUser("bob", "secret");
    const bob = h.client("bob", "1.2");
    const offer = (schemas: string[]) =>
      bob.send(
        `<Login-Request><UserID>wv:bob@example.com</UserID><ClientID><URL>http://c/bob</URL></ClientID>` +
          schemas.map((s) => `<DigestSchema>${s}</DigestSchema>`).join("") +
          `<TimeToLive>600</TimeToLive><SessionCookie>c</SessionCookie></Login-Request>`,
        { outband: true },
      );
    const prove = (digest: string) =>
      bob.send(
        `<Login-Request><UserID>bob</UserID><ClientID><URL>http://c/bob</URL></ClientID>` +
          `<DigestBytes>${digest}</DigestBytes><TimeToLive>600</TimeToLive></Login-Request>`,
        { outband: true },
      );

    const step1 = await offer(schema === "SHA" ? ["PWD", "SHA", "MD5"] : ["PWD", "MD5"]);
    assert.equal(step1.code, 200);
    assert.equal(step1.body.DigestSchema, schema);
    assert.equal(step1.body.SessionID, undefined);
    const nonce = String(step1.body.Nonce);
    assert.match(nonce, /^[0-9a-f]{32}$/);

    const digest = toBase64(loginDigest(schema, nonce, "secret"));
    const step2 = await prove(digest);
    assert.equal(step2.code, 200);
    assert.match(String(step2.body.SessionID), /^[0-9a-f]{32}$/);

    const replay = await prove(digest);
    assert.equal(replay.code, 409, "a used nonce is gone");

    const again = await offer([schema]);
    assert.notEqual(again.body.Nonce, nonce, "every offer has a fresh nonce");
    const wrong = await prove(toBase64(loginDigest(schema, String(again.body.Nonce), "guess")));
    assert.equal(wrong.code, 409);
  });
}

Deno.test("a user with no password sealed for digest is offered PWD if the client allows, else 543", async () => {
  await using h = await startServer({ env: { IMPS_SECRET: "" } });
  await h.addUser("bob", "secret");
  await h.addUser("carol", "secret");
  const { users } = h.server.context;
  await users.put({ ...(await users.get("wv:bob@example.com"))!, sealedPassword: undefined });
  const offer = (name: string, schemas: string) =>
    h.client(name, "1.2").send(
      `<Login-Request><UserID>${name}</UserID><ClientID><URL>http://c</URL></ClientID>${schemas}</Login-Request>`,
      { outband: true },
    );

  const withPwd = await offer(
    "bob",
    "<DigestSchema>PWD</DigestSchema><DigestSchema>MD5</DigestSchema>",
  );
  assert.equal(withPwd.code, 200);
  assert.equal(withPwd.body.DigestSchema, "PWD");
  assert.equal(withPwd.body.Nonce, undefined);
  assert.equal((await offer("bob", "<DigestSchema>MD5</DigestSchema>")).code, 543);

  const sealed = await offer("carol", "<DigestSchema>MD5</DigestSchema>");
  assert.equal(sealed.body.DigestSchema, "MD5", "without IMPS_SECRET the server has a key anyway");
  assert.equal((await h.client("carol", "1.2").loginDigest("secret", ["MD5"])).code, 200);
});

Deno.test("a login without UserID gets 531, one without credentials 400, one of another domain 516", async () => {
  await using h = await startServer();
  await h.addUser("alice", "secret");
  const alice = h.client("alice", "1.2");

  const noUser = await alice.send(
    `<Login-Request><ClientID><URL>http://c</URL></ClientID><Password>x</Password></Login-Request>`,
    { outband: true },
  );
  assert.equal(noUser.code, 531);

  const noCredentials = await alice.send(
    `<Login-Request><UserID>alice</UserID><ClientID><URL>http://c</URL></ClientID></Login-Request>`,
    { outband: true },
  );
  assert.equal(noCredentials.code, 400);

  const foreign = await alice.send(
    `<Login-Request><UserID>wv:alice@elsewhere.org</UserID><ClientID><URL>http://c</URL></ClientID>` +
      `<Password>secret</Password></Login-Request>`,
    { outband: true },
  );
  assert.equal(foreign.code, 516);
});

Deno.test("1.3: a Login carrying capabilities and functions agrees them at once", async () => {
  await using h = await startServer();
  await h.addUser("alice", "secret");
  const alice = h.client("alice", "1.3");

  const reply = await alice.login(
    "secret",
    `<CapabilityList><ClientType>MOBILE_PHONE</ClientType><InitialDeliveryMethod>P</InitialDeliveryMethod>` +
      `<MultiTrans>3</MultiTrans><SupportedBearer>HTTP</SupportedBearer>` +
      `<SupportedCIRMethod>STCP</SupportedCIRMethod></CapabilityList>`,
  );

  assert.equal(reply.code, 200);
  assert.equal(reply.body.CapabilityRequest, false);
  const agreed = element(reply.body, "AgreedCapabilityList");
  assert.equal(agreed.MultiTrans, 3);
  assert.equal(agreed.SupportedCIRMethod, undefined, "no CIR channel is offered: the client polls");
  assert.equal(
    reply.http.headers.get("content-type"),
    alice.encoding === "wbxml" ? WBXML_TYPES["1.3"] : "application/vnd.wv.csp+xml",
  );
});

Deno.test("a Login carrying a still-valid SessionID of the same user resumes that session", async () => {
  await using h = await startServer();
  await h.addUser("alice", "secret");
  const alice = h.client("alice", "1.2");
  const first = await alice.login("secret");

  const again = await alice.login("secret", `<SessionID>${first.body.SessionID}</SessionID>`);

  assert.equal(again.body.SessionID, first.body.SessionID);
});

Deno.test("someone else's step-1 Login for bob's id does not cancel bob's digest login", async () => {
  await using h = await startServer();
  await h.addUser("bob", "secret");
  const bob = h.client("bob", "1.2");
  bob.address = "10.0.0.1";
  const mallory = h.client("bob", "1.2");
  mallory.address = "10.6.6.6";
  const digestOf = (reply: { body: Record<string, unknown> }, password: string) =>
    toBase64(loginDigest("MD5", String(reply.body.Nonce), password));
  const offer = (client: typeof bob) =>
    client.send(
      `<Login-Request><UserID>wv:bob@example.com</UserID><ClientID><URL>http://c</URL></ClientID>` +
        `<DigestSchema>MD5</DigestSchema></Login-Request>`,
      { outband: true },
    );
  const prove = (client: typeof bob, digest: string) =>
    client.send(
      `<Login-Request><UserID>wv:bob@example.com</UserID><ClientID><URL>http://c</URL></ClientID>` +
        `<DigestBytes>${digest}</DigestBytes></Login-Request>`,
      { outband: true },
    );

  const bobsNonce = await offer(bob);
  // mallory asks for nonces of bob's id, and tries a guess with one of them
  const mallorys = await offer(mallory);
  await offer(mallory);
  assert.equal((await prove(mallory, digestOf(mallorys, "guess"))).code, 409);

  const step2 = await prove(bob, digestOf(bobsNonce, "secret"));
  assert.equal(step2.code, 200, "bob's nonce is still his");
  assert.equal((await prove(bob, digestOf(bobsNonce, "secret"))).code, 409, "and used once");
});
