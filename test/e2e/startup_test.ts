/**
 * Starting the server as an operator does (`src/main.ts` with its environment): every way it can
 * fail to start is one line naming what to fix, never a stack trace; a second server on the same
 * KV file is refused; an in-memory store gets its users from IMPS_USERS; a stop is logged.
 */
import assert from "node:assert/strict";
import { NS } from "../support/harness.ts";
import { runServerExpectingExit, spawnServer } from "../support/process.ts";
import { VERSION } from "../../src/version.ts";

/** The errors of stderr (not the warnings), without the log line's time and level. */
const failureLines = (stderr: string) =>
  stderr.split("\n").filter((line) => / error /.test(line)).map((line) =>
    line.replace(/^\S+ error /, "")
  );

function pem(label: string): string {
  return `-----BEGIN ${label}-----\nbm90IGEgcmVhbCBvbmU=\n-----END ${label}-----\n`;
}

Deno.test("each failure to start is one line saying what to fix, with no stack trace", async () => {
  const dir = await Deno.makeTempDir();
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    await Deno.writeTextFile(`${dir}/plain.txt`, "not a database\n");
    await Deno.writeTextFile(`${dir}/cert.pem`, pem("CERTIFICATE"));
    await Deno.writeTextFile(`${dir}/key.pem`, pem("PRIVATE KEY"));
    await Deno.writeTextFile(`${dir}/users.txt`, "alice secret\nbob\n");
    const data = { IMPS_DATA: `${dir}/imps.kv`, IMPS_PORT: "0" };
    const cases: [Record<string, string>, RegExp, string[]?][] = [
      [{ IMPS_DATA: "/proc/imps.kv" }, /^cannot open the store \/proc\/imps\.kv \(IMPS_DATA\): /],
      [
        { IMPS_DATA: `${dir}/plain.txt/imps.kv` },
        /^cannot open the store .*plain\.txt is not a dir/,
      ],
      [{ IMPS_DATA: `${dir}/plain.txt` }, /^cannot open the store .*plain\.txt is not a Deno KV/],
      [{ IMPS_DATA: dir }, /^cannot open the store .* is a directory, not a KV file$/],
      [{ ...data, IMPS_HOST: "256.1.1.1" }, /^configuration error: IMPS_HOST must be an IP/],
      [{ ...data, IMPS_HOST: "a b" }, /^configuration error: IMPS_HOST/],
      [{ ...data, IMPS_HOST: "192.0.2.1" }, /^cannot listen on 192\.0\.2\.1:0: /],
      [
        { ...data, IMPS_PORT: String((busy.addr as Deno.NetAddr).port) },
        /^cannot listen on 127\.0\.0\.1:\d+: /,
      ],
      [
        { ...data, IMPS_CIR_TCP_PORT: String((busy.addr as Deno.NetAddr).port) },
        /^cannot listen for STCP CIR on 127\.0\.0\.1:\d+: listen EADDRINUSE/,
      ],
      [
        { ...data, IMPS_CIR_TCP_PORT: "0", IMPS_CIR_TCP_HOST: "192.0.2.1" },
        /^cannot listen for STCP CIR on 192\.0\.2\.1:0: /,
      ],
      [
        { ...data, IMPS_CIR_TCP_PORT: "0", IMPS_CIR_TCP_HOST: "a b" },
        /^configuration error: IMPS_CIR_TCP_HOST must be an IP address or a host name/,
      ],
      [
        { ...data, IMPS_TLS_CERT: `${dir}/key.pem`, IMPS_TLS_KEY: `${dir}/cert.pem` },
        /^configuration error: IMPS_TLS_CERT and IMPS_TLS_KEY are swapped/,
      ],
      [
        { ...data, IMPS_TLS_CERT: `${dir}/cert.pem`, IMPS_TLS_KEY: `${dir}/cert.pem` },
        /^configuration error: IMPS_TLS_KEY: .* holds no PEM private key/,
      ],
      [
        { ...data, IMPS_TLS_CERT: `${dir}/cert.pem`, IMPS_TLS_KEY: `${dir}/key.pem` },
        /^cannot serve HTTPS with IMPS_TLS_CERT and IMPS_TLS_KEY: /,
      ],
      [
        { ...data, IMPS_TLS_CERT: `${dir}/none.pem`, IMPS_TLS_KEY: `${dir}/key.pem` },
        /^configuration error: IMPS_TLS_CERT: cannot read /,
      ],
      [
        { IMPS_DATA: ":memory:", IMPS_USERS: `${dir}/users.txt` },
        /^configuration error: IMPS_USERS: .*users\.txt: line 2: expected <user-id> <password>$/,
      ],
      [{ ...data, IMPS_PORT: "eighty" }, /^configuration error: IMPS_PORT must be a whole number/],
      [data, /^configuration error: unknown argument "--port"/, ["--port", "80"]],
    ];
    // Run together, each case with a store of its own (a shared one would be locked).
    const results = await Promise.all(cases.map(([env, _, args], i) =>
      runServerExpectingExit(
        env.IMPS_DATA === data.IMPS_DATA ? { ...env, IMPS_DATA: `${dir}/${i}.kv` } : env,
        args,
      )
    ));
    assert.ok(
      !await Deno.stat(`${dir}/plain.txt.lock`).then(() => true, () => false),
      "no lock file is made beside what is not a KV file",
    );
    results.forEach(({ code, stderr }, i) => {
      const [env, expected] = cases[i];
      const lines = failureLines(stderr);
      assert.equal(lines.length, 1, `one line for ${JSON.stringify(env)}:\n${stderr}`);
      assert.match(lines[0], expected, JSON.stringify(env));
      assert.equal(code, lines[0].startsWith("configuration error:") ? 2 : 1);
    });
  } finally {
    busy.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a second server on the same KV file is refused; the lock ends with the first", async () => {
  const dir = await Deno.makeTempDir();
  const env = { IMPS_DATA: `${dir}/imps.kv`, IMPS_CORE: "ts" };
  try {
    const first = await spawnServer(env);
    let second;
    try {
      second = await runServerExpectingExit(env);
    } finally {
      await first.stop("SIGKILL");
    }
    assert.equal(second.code, 1);
    assert.deepEqual(failureLines(second.stderr), [
      `cannot start: ${dir}/imps.kv is in use by another server (pid ${first.pid}): run one server per KV file, or give this one its own IMPS_DATA`,
    ]);

    // Killed without a chance to clean up, the first leaves no stale lock behind.
    const third = await spawnServer(env);
    await third.stop();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a KV file serves the domain it was first used for", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = await spawnServer({ IMPS_DATA: `${dir}/imps.kv`, IMPS_DOMAIN: "a.example" });
    await first.stop();
    const other = await runServerExpectingExit({
      IMPS_DATA: `${dir}/imps.kv`,
      IMPS_DOMAIN: "b.example",
    });
    assert.deepEqual(failureLines(other.stderr), [
      `configuration error: ${dir}/imps.kv holds the domain a.example, not b.example ` +
      `(IMPS_DOMAIN): point IMPS_DATA at b.example's store, or set IMPS_DOMAIN=a.example`,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--version and --help answer without starting anything", async () => {
  const version = await runServerExpectingExit({ IMPS_PORT: "eighty" }, ["--version"]);
  assert.equal(version.code, 0);
  assert.equal(version.stdout, `IMPS server ${VERSION}\n`);
  const help = await runServerExpectingExit({ IMPS_PORT: "eighty" }, ["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /IMPS_USERS +file of users/);
});

Deno.test("an in-memory server has the users of IMPS_USERS; the banner shows the version; a stop is logged", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/users.txt`,
      "# demo users\nalice  open sesame\nwv:bob@localhost pw\n",
    );
    const server = await spawnServer({ IMPS_DATA: ":memory:", IMPS_USERS: `${dir}/users.txt` });
    let login;
    try {
      login = await fetch(`${server.url}/csp`, {
        method: "POST",
        headers: { "content-type": NS["1.2"].type },
        body: `<WV-CSP-Message xmlns="${NS["1.2"].csp}"><Session><SessionDescriptor>` +
          `<SessionType>Outband</SessionType></SessionDescriptor><Transaction>` +
          `<TransactionDescriptor><TransactionMode>Request</TransactionMode><TransactionID>1` +
          `</TransactionID></TransactionDescriptor><TransactionContent xmlns="${
            NS["1.2"].trc
          }"><Login-Request><UserID>alice</UserID><ClientID><URL>c</URL></ClientID>` +
          `<Password>open sesame</Password></Login-Request></TransactionContent></Transaction>` +
          `</Session></WV-CSP-Message>`,
      }).then((r) => r.text());
    } finally {
      await server.stop("SIGTERM");
    }
    assert.match(login, /<Code>200<\/Code>/, "alice logs in with the password of the file");
    const output = server.output();
    assert.match(output, / warn IMPS_DATA is :memory:: everything but the IMPS_USERS users/);
    assert.match(output, /added 2 user\(s\) from IMPS_USERS/);
    assert.match(
      output,
      new RegExp(`IMPS server ${VERSION.replaceAll(".", "\\.")} for localhost on`),
    );
    assert.match(
      output,
      /info stopping \(SIGTERM\): finishing requests in progress\n\S+ info stopped\n/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an in-memory server without IMPS_USERS warns that it has no users", async () => {
  const server = await spawnServer({ IMPS_DATA: ":memory:" });
  await server.stop();
  assert.match(server.output(), / warn .*there are no users .*IMPS_USERS/);
});
