/**
 * `deno task admin`: the account commands work on the store (show, bulk import), and the
 * commands about the running server (sessions, notices, groups, stats) go through its admin API
 * with IMPS_ADMIN_TOKEN.
 */
import assert from "node:assert/strict";
import { runAdmin } from "../../src/admin.ts";
import { loggedIn, startServer } from "../support/harness.ts";

const TOKEN = "cli-token-0123456789ab";

Deno.test("an operator imports users from CSV and JSON lines and shows one", async () => {
  const dir = await Deno.makeTempDir();
  const env = { IMPS_DATA: `${dir}/imps.kv`, IMPS_DOMAIN: "example.com" };
  try {
    await Deno.writeTextFile(
      `${dir}/users.csv`,
      "user-id,password,msisdn\nalice,pw1,+447700900001\nbob,pw2\nx/y,pw\n",
    );
    assert.equal(
      await runAdmin(["user", "import", `${dir}/users.csv`], env),
      `added 2 user(s) to ${dir}/imps.kv\nrefused line 4: "x/y" is not a valid user id`,
    );
    await Deno.writeTextFile(
      `${dir}/more.jsonl`,
      '{"id":"carol","password":"pw3","msisdn":"5550100"}\n{"id":"alice","password":"x"}\n',
    );
    assert.equal(
      await runAdmin(["user", "import", `${dir}/more.jsonl`], env),
      `added 1 user(s) to ${dir}/imps.kv, 1 existed already`,
    );
    const shown = JSON.parse(await runAdmin(["user", "show", "carol"], env));
    assert.equal(shown.id, "wv:carol@example.com");
    assert.equal(shown.msisdn, "5550100");
    assert.equal(
      JSON.parse(await runAdmin(["user", "show", "alice"], env)).msisdn,
      "+447700900001",
    );
    assert.deepEqual(shown.sessions, []);
    await assert.rejects(runAdmin(["user", "show", "dave"], env), /no user wv:dave@example\.com/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sessions, notices, groups and stats go through the running server's API", async () => {
  await using h = await startServer({ env: { IMPS_ADMIN_TOKEN: TOKEN } });
  await using http = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    h.server.app.fetch,
  );
  const port = String(http.addr.port);
  const env = { IMPS_DOMAIN: "example.com", IMPS_PORT: port, IMPS_ADMIN_TOKEN: TOKEN };
  const [alice] = await loggedIn(h, "1.2", "alice");
  const listed = await runAdmin(["sessions", "list"], env);
  assert.match(listed, /^[0-9a-f]{12} {2}wv:alice@example\.com {2}CSP 1\.2 {2}since /);
  assert.ok(!listed.includes(alice.sessionId!), "no SessionID shown");

  assert.equal(
    await runAdmin(["notice", "Back in 5 minutes"], env),
    "notice sent: 0 user(s) as SystemMessage (0 session(s)), 1 as a message from wv:system@example.com",
  );
  assert.match((await alice.send("<Polling-Request/>")).text, /Back in 5 minutes/);
  assert.equal(await runAdmin(["groups", "list"], env), "(no groups)");
  assert.equal(JSON.parse(await runAdmin(["stats"], env)).imps_sessions.type, "gauge");
  assert.equal(
    await runAdmin(["sessions", "kick", "alice"], env),
    "1 session(s) of wv:alice@example.com get Disconnect 601",
  );
  await assert.rejects(runAdmin(["sessions", "kick", "alice", "000000000000"], env), /no session/);
  await assert.rejects(
    runAdmin(["stats"], { ...env, IMPS_ADMIN_TOKEN: "wrong-token-0123456" }),
    /answered 401/,
  );
  await assert.rejects(runAdmin(["stats"], { IMPS_PORT: port }), /IMPS_ADMIN_TOKEN/);
});
