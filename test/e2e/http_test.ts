/**
 * End to end over real HTTP: the server started as operators start it (`src/main.ts` with its
 * environment), a user added with the admin command, then a client's whole session.
 */
import assert from "node:assert/strict";
import { NS } from "../support/harness.ts";

const ROOT = new URL("../../", import.meta.url);

async function run(args: string[], env: Record<string, string>): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    env,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${args.join(" ")} failed: ${text}`);
  return text;
}

function envelope(
  version: "1.1" | "1.2" | "1.3",
  sessionId: string | undefined,
  tid: string,
  body: string,
) {
  const ns = NS[version];
  const descriptor = sessionId
    ? `<SessionType>Inband</SessionType><SessionID>${sessionId}</SessionID>`
    : "<SessionType>Outband</SessionType>";
  return `<WV-CSP-Message xmlns="${ns.csp}"><Session><SessionDescriptor>${descriptor}</SessionDescriptor>` +
    `<Transaction><TransactionDescriptor><TransactionMode>Request</TransactionMode>` +
    `<TransactionID>${tid}</TransactionID></TransactionDescriptor>` +
    `<TransactionContent xmlns="${ns.trc}">${body}</TransactionContent></Transaction></Session></WV-CSP-Message>`;
}

Deno.test("operator starts the server, adds alice; alice logs in, keeps alive, polls, logs out", async () => {
  const dir = await Deno.makeTempDir();
  const env = {
    IMPS_DATA: `${dir}/imps.kv`,
    IMPS_DOMAIN: "example.com",
    IMPS_PORT: "0",
    IMPS_CORE: "ts",
    NO_COLOR: "1",
  };
  const common = [
    "run",
    "--allow-net",
    "--allow-env",
    "--allow-read",
    "--allow-write",
    "--unstable-kv",
  ];
  try {
    const added = await run([
      ...common,
      "src/admin.ts",
      "user",
      "add",
      "alice",
      "--password",
      "secret",
    ], env);
    assert.match(added, /added wv:alice@example\.com/);
    assert.match(
      await run([...common, "src/admin.ts", "user", "list"], env),
      /wv:alice@example\.com/,
    );

    const child = new Deno.Command(Deno.execPath(), {
      args: [...common, "src/main.ts"],
      env,
      cwd: ROOT,
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    try {
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let banner = "";
      while (!/:\d+\/csp/.test(banner)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`server exited: ${banner}`);
        banner += value;
      }
      reader.releaseLock();
      const url = banner.match(/(http:\/\/\S+\/csp)/)![1];
      const post = async (xml: string) => {
        const res = await fetch(url, {
          method: "POST",
          body: xml,
          headers: { "content-type": "application/vnd.wv.csp.xml" },
        });
        return { status: res.status, text: await res.text() };
      };

      assert.equal(await fetch(url.replace("/csp", "/healthz")).then((r) => r.text()), "ok");
      const login = await post(envelope(
        "1.2",
        undefined,
        "1",
        "<Login-Request><UserID>alice</UserID><ClientID><URL>http://c</URL></ClientID>" +
          "<Password>secret</Password><TimeToLive>600</TimeToLive></Login-Request>",
      ));
      assert.match(login.text, /<Code>200<\/Code>/);
      const sessionId = login.text.match(/<SessionID>([0-9a-f]+)<\/SessionID>/)![1];

      const alive = await post(
        envelope(
          "1.2",
          sessionId,
          "2",
          "<KeepAlive-Request><TimeToLive>300</TimeToLive></KeepAlive-Request>",
        ),
      );
      assert.match(
        alive.text,
        /<KeepAlive-Response><Result><Code>200<\/Code>.*<KeepAliveTime>300<\/KeepAliveTime>/,
      );

      const poll = await post(envelope("1.2", sessionId, "", "<Polling-Request/>"));
      assert.equal(poll.status, 200);
      assert.equal(poll.text, "");

      const bye = await post(envelope("1.2", sessionId, "3", "<Logout-Request/>"));
      assert.match(bye.text, /<Status><Result><Code>200<\/Code>/);
      const after = await post(envelope("1.2", sessionId, "4", "<KeepAlive-Request/>"));
      assert.match(after.text, /<Code>604<\/Code>/);
    } finally {
      child.kill("SIGTERM");
      await child.status;
      await child.stdout.cancel().catch(() => {});
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a bad setting stops the server at start with a message naming it", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-env",
      "--allow-read",
      "--allow-write",
      "--allow-net",
      "--unstable-kv",
      "src/main.ts",
    ],
    env: { IMPS_PORT: "eighty", NO_COLOR: "1" },
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 2);
  assert.match(new TextDecoder().decode(out.stderr), /IMPS_PORT must be a whole number/);
});

const haveOpenssl = await new Deno.Command("openssl", { args: ["version"], stdout: "null" })
  .output()
  .then((o) => o.success, () => false);
if (!haveOpenssl) console.log("note: openssl not found; the HTTPS test is skipped");

Deno.test({
  name: "with IMPS_TLS_CERT and IMPS_TLS_KEY the server speaks HTTPS",
  ignore: !haveOpenssl,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      // A CA and a leaf certificate for 127.0.0.1 signed by it: TLS clients refuse a CA
      // certificate presented as the server's own.
      await Deno.writeTextFile(`${dir}/san.ext`, "subjectAltName=IP:127.0.0.1\n");
      const openssl = (...args: string[]) =>
        new Deno.Command("openssl", { args, cwd: dir, stdout: "null", stderr: "null" }).output();
      const steps = [
        await openssl(
          "req",
          "-x509",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-subj",
          "/CN=test-ca",
          "-days",
          "1",
          "-keyout",
          "ca.key",
          "-out",
          "ca.pem",
        ),
        await openssl(
          "req",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-subj",
          "/CN=localhost",
          "-keyout",
          "key.pem",
          "-out",
          "leaf.csr",
        ),
        await openssl(
          "x509",
          "-req",
          "-in",
          "leaf.csr",
          "-CA",
          "ca.pem",
          "-CAkey",
          "ca.key",
          "-CAcreateserial",
          "-days",
          "1",
          "-extfile",
          "san.ext",
          "-out",
          "cert.pem",
        ),
      ];
      const made = { success: steps.every((s) => s.success) };
      assert.ok(made.success, "openssl made a certificate");
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-net",
          "--allow-env",
          "--allow-read",
          "--allow-write",
          "--unstable-kv",
          "src/main.ts",
        ],
        env: {
          IMPS_DATA: ":memory:",
          IMPS_PORT: "0",
          IMPS_CORE: "ts",
          IMPS_TLS_CERT: `${dir}/cert.pem`,
          IMPS_TLS_KEY: `${dir}/key.pem`,
          NO_COLOR: "1",
        },
        cwd: ROOT,
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      try {
        const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
        let banner = "";
        while (!/:\d+\/csp/.test(banner)) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`server exited: ${banner}`);
          banner += value;
        }
        reader.releaseLock();
        const url = banner.match(/(https:\/\/\S+)\/csp/)![1];
        const client = Deno.createHttpClient({
          caCerts: [await Deno.readTextFile(`${dir}/ca.pem`)],
        });
        const res = await fetch(`${url}/healthz`, { client });
        assert.equal(await res.text(), "ok");
        client.close();
      } finally {
        child.kill("SIGTERM");
        await child.status;
        await child.stdout.cancel().catch(() => {});
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
