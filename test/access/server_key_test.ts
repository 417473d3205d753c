/**
 * The server key that seals passwords for digest login: made once beside the KV file when
 * IMPS_SECRET is not set, so that handsets (which log in only with a digest) can log in after a
 * plain `deno task start`; required with a remote store; rotated by the admin command.
 */
import assert from "node:assert/strict";
import { runAdmin } from "../../src/admin.ts";
import { loginDigest, toBase64 } from "../../src/util/crypto.ts";
import { NS, startServer } from "../support/harness.ts";
import { runAdminProcess, runServerExpectingExit, spawnServer } from "../support/process.ts";

function loginXml(body: string): string {
  const ns = NS["1.2"];
  return `<WV-CSP-Message xmlns="${ns.csp}"><Session><SessionDescriptor><SessionType>Outband` +
    `</SessionType></SessionDescriptor><Transaction><TransactionDescriptor><TransactionMode>` +
    `Request</TransactionMode><TransactionID>1</TransactionID></TransactionDescriptor>` +
    `<TransactionContent xmlns="${ns.trc}"><Login-Request><UserID>${body}</Login-Request>` +
    `</TransactionContent></Transaction></Session></WV-CSP-Message>`;
}

/** The 4-way login of a handset offering only MD5 (Nokia's engine); answers the final code. */
async function md5Login(url: string, user: string, password: string): Promise<string> {
  const post = async (xml: string) =>
    await (await fetch(`${url}/csp`, {
      method: "POST",
      body: xml,
      headers: { "content-type": NS["1.2"].type },
    })).text();
  const client = `</UserID><ClientID><URL>http://phone</URL></ClientID>`;
  const step1 = await post(
    loginXml(`${user}${client}<DigestSchema>MD5</DigestSchema><SessionCookie>c</SessionCookie>`),
  );
  const nonce = step1.match(/<Nonce>([^<]+)<\/Nonce>/)?.[1];
  if (!nonce) return step1.match(/<Code>(\d+)<\/Code>/)?.[1] ?? step1;
  const digest = toBase64(loginDigest("MD5", nonce, password));
  const step2 = await post(
    loginXml(
      `${user}${client}<DigestBytes>${digest}</DigestBytes><SessionCookie>c</SessionCookie>`,
    ),
  );
  return step2.match(/<Code>(\d+)<\/Code>/)?.[1] ?? step2;
}

Deno.test("without IMPS_SECRET the server makes its key beside the KV file, and a handset logs in by digest", async () => {
  const dir = await Deno.makeTempDir();
  const env = { IMPS_DATA: `${dir}/imps.kv`, IMPS_DOMAIN: "example.com", IMPS_CORE: "ts" };
  const keyFile = `${dir}/imps.kv.key`;
  try {
    const server = await spawnServer(env);
    let key: string;
    try {
      assert.ok(server.banner.includes(keyFile), `the start-up log names ${keyFile}`);
      assert.match(server.banner, /generated/);
      const info = await Deno.stat(keyFile);
      assert.equal(info.mode! & 0o777, 0o600, "only the owner may read the key");
      key = await Deno.readTextFile(keyFile);
      // The operator adds bob beside the running server: the admin command uses the same key.
      await runAdminProcess(["user", "add", "bob", "--password", "secret"], env);
      assert.equal(await md5Login(server.url, "bob", "secret"), "200");
      assert.equal(await md5Login(server.url, "bob", "guess"), "409");
    } finally {
      await server.stop();
    }

    const again = await spawnServer(env);
    try {
      assert.equal(await Deno.readTextFile(keyFile), key, "the key is made once");
      assert.doesNotMatch(again.banner, /generated/);
      assert.ok(again.banner.includes(keyFile));
      assert.equal(await md5Login(again.url, "bob", "secret"), "200");
    } finally {
      await again.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("with a remote store and no IMPS_SECRET the server refuses to start, saying why", async () => {
  const { code, stderr } = await runServerExpectingExit({
    IMPS_DATA: "https://kv.example.com/db/0123",
  });
  assert.equal(code, 2);
  assert.match(stderr, /IMPS_SECRET is required/);
});

Deno.test("a user added before the server had a key gains digest login at the next password login", async () => {
  await using h = await startServer();
  const { users } = h.server.context;
  // As an earlier version without a key stored him: a password hash and nothing sealed.
  await h.addUser("carol", "secret");
  const carol = (await users.get("wv:carol@example.com"))!;
  await users.put({ ...carol, sealedPassword: undefined });
  const phone = h.client("carol", "1.2");

  const refused = await phone.loginDigest("secret", ["MD5"]);
  assert.equal(refused.code, 543, "no digest can be checked yet");

  assert.equal((await phone.login("secret")).code, 200);
  assert.equal((await phone.loginDigest("secret", ["MD5"])).code, 200);
});

Deno.test("a password sealed under another key is sealed again at the next password login", async () => {
  const dir = await Deno.makeTempDir();
  const env = { IMPS_DATA: `${dir}/imps.kv`, IMPS_SECRET: "the-first-key-0123456789" };
  try {
    {
      await using h = await startServer({ env });
      await h.addUser("dave", "secret");
    }
    await using h = await startServer({ env: { ...env, IMPS_SECRET: "another-key-0123456789" } });
    const phone = h.client("dave", "1.2");
    assert.equal((await phone.loginDigest("secret", ["MD5"])).code, 543);
    assert.equal((await phone.login("secret")).code, 200);
    assert.equal((await phone.loginDigest("secret", ["MD5"])).code, 200);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the admin command rotates the key file; users keep digest login", async () => {
  const dir = await Deno.makeTempDir();
  const env = { IMPS_DATA: `${dir}/imps.kv`, IMPS_DOMAIN: "example.com" };
  const keyFile = `${dir}/imps.kv.key`;
  try {
    await runAdmin(["user", "add", "erin", "--password", "secret"], env);
    const before = await Deno.readTextFile(keyFile);

    assert.match(await runAdmin(["key", "rotate"], env), /1 password\(s\) sealed again/);

    const after = await Deno.readTextFile(keyFile);
    assert.notEqual(after, before);
    assert.equal((await Deno.stat(keyFile)).mode! & 0o777, 0o600);
    await using h = await startServer({ env: { ...env, IMPS_SECRET: "" } });
    assert.equal((await h.client("erin", "1.2").loginDigest("secret", ["MD5"])).code, 200);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("with IMPS_SECRET set, rotation seals every password under IMPS_NEW_SECRET", async () => {
  const dir = await Deno.makeTempDir();
  const old = {
    IMPS_DATA: `${dir}/imps.kv`,
    IMPS_DOMAIN: "example.com",
    IMPS_SECRET: "the-old-secret-0123456789",
  };
  try {
    await runAdmin(["user", "add", "frank", "--password", "secret"], old);
    await assert.rejects(runAdmin(["key", "rotate"], old), /IMPS_NEW_SECRET/);

    await runAdmin(["key", "rotate"], { ...old, IMPS_NEW_SECRET: "the-new-secret-0123456789" });

    await using h = await startServer({
      env: { ...old, IMPS_SECRET: "the-new-secret-0123456789" },
    });
    assert.equal((await h.client("frank", "1.2").loginDigest("secret", ["MD5"])).code, 200);
    assert.ok(!await Deno.stat(`${dir}/imps.kv.key`).then(() => true, () => false));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
