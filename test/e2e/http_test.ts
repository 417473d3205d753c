/**
 * End to end over real HTTP: the server started as operators start it (`src/main.ts` with its
 * environment), a user added with the admin command, then a client's whole session.
 */
import assert from "node:assert/strict";
import { NS } from "../support/harness.ts";
import { runAdminProcess, runServerExpectingExit, spawnServer } from "../support/process.ts";

function envelope(sessionId: string | undefined, tid: string, body: string): string {
  const ns = NS["1.2"];
  const descriptor = sessionId
    ? `<SessionType>Inband</SessionType><SessionID>${sessionId}</SessionID>`
    : "<SessionType>Outband</SessionType>";
  return `<WV-CSP-Message xmlns="${ns.csp}"><Session><SessionDescriptor>${descriptor}` +
    `</SessionDescriptor><Transaction><TransactionDescriptor><TransactionMode>Request` +
    `</TransactionMode><TransactionID>${tid}</TransactionID></TransactionDescriptor>` +
    `<TransactionContent xmlns="${ns.trc}">${body}</TransactionContent></Transaction></Session>` +
    `</WV-CSP-Message>`;
}

Deno.test("operator starts the server, adds alice; alice logs in, keeps alive, polls, logs out", async () => {
  const dir = await Deno.makeTempDir();
  const env = { IMPS_DATA: `${dir}/imps.kv`, IMPS_DOMAIN: "example.com", IMPS_CORE: "ts" };
  try {
    const added = await runAdminProcess(["user", "add", "alice", "--password", "secret"], env);
    assert.match(added, /added wv:alice@example\.com/);
    assert.match(await runAdminProcess(["user", "list"], env), /wv:alice@example\.com/);

    const server = await spawnServer(env);
    try {
      const post = async (xml: string) => {
        const res = await fetch(`${server.url}/csp`, {
          method: "POST",
          body: xml,
          headers: { "content-type": "application/vnd.wv.csp.xml" },
        });
        return { status: res.status, text: await res.text() };
      };

      assert.equal(await fetch(`${server.url}/healthz`).then((r) => r.text()), "ok");
      const login = await post(envelope(
        undefined,
        "1",
        "<Login-Request><UserID>alice</UserID><ClientID><URL>http://c</URL></ClientID>" +
          "<Password>secret</Password><TimeToLive>600</TimeToLive></Login-Request>",
      ));
      assert.match(login.text, /<Code>200<\/Code>/);
      const sessionId = login.text.match(/<SessionID>([0-9a-f]+)<\/SessionID>/)![1];

      const alive = await post(
        envelope(
          sessionId,
          "2",
          "<KeepAlive-Request><TimeToLive>300</TimeToLive></KeepAlive-Request>",
        ),
      );
      assert.match(
        alive.text,
        /<KeepAlive-Response><Result><Code>200<\/Code>.*<KeepAliveTime>300<\/KeepAliveTime>/,
      );

      const poll = await post(envelope(sessionId, "", "<Polling-Request/>"));
      assert.equal(poll.status, 200);
      assert.equal(poll.text, "");

      const bye = await post(envelope(sessionId, "3", "<Logout-Request/>"));
      assert.match(bye.text, /<Status><Result><Code>200<\/Code>/);
      const after = await post(envelope(sessionId, "4", "<KeepAlive-Request/>"));
      assert.match(after.text, /<Code>604<\/Code>/);
    } finally {
      await server.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a bad setting stops the server at start with a message naming it", async () => {
  const { code, stderr } = await runServerExpectingExit({ IMPS_PORT: "eighty" });
  assert.equal(code, 2);
  assert.match(stderr, /IMPS_PORT must be a whole number/);
});

const haveOpenssl = await new Deno.Command("openssl", { args: ["version"], stdout: "null" })
  .output().then((o) => o.success, () => false);
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
      const openssl = (args: string) =>
        new Deno.Command("openssl", {
          args: args.split(" "),
          cwd: dir,
          stdout: "null",
          stderr: "null",
        })
          .output();
      const steps = [
        await openssl(
          "req -x509 -newkey rsa:2048 -nodes -subj /CN=test-ca -days 1 -keyout ca.key -out ca.pem",
        ),
        await openssl(
          "req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout key.pem -out leaf.csr",
        ),
        await openssl(
          "x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 -extfile san.ext -out cert.pem",
        ),
      ];
      assert.ok(steps.every((s) => s.success), "openssl made the certificates");

      const server = await spawnServer({
        IMPS_DATA: ":memory:",
        IMPS_CORE: "ts",
        IMPS_TLS_CERT: `${dir}/cert.pem`,
        IMPS_TLS_KEY: `${dir}/key.pem`,
      });
      try {
        assert.match(server.url, /^https:/);
        const client = Deno.createHttpClient({
          caCerts: [await Deno.readTextFile(`${dir}/ca.pem`)],
        });
        assert.equal(await fetch(`${server.url}/healthz`, { client }).then((r) => r.text()), "ok");
        client.close();
      } finally {
        await server.stop();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
