/**
 * The log: one line per event, as text or JSON lines, at a level; an access line per HTTP
 * request that names the method, path, status, primitive, user, duration and address, and never
 * a password, digest, session id or message body.
 */
import assert from "node:assert/strict";
import { formatLine, Logger } from "../../src/observe/log.ts";
import { CspClient, PASSWORD, type Transport } from "../support/harness.ts";
import { spawnServer } from "../support/process.ts";

Deno.test("a text line quotes what has spaces or quotes; a JSON line keeps the types", () => {
  const fields = { user: "wv:a@x", text: 'two words "quoted"', n: 3, gone: undefined };
  assert.match(
    formatLine("text", "info", "said", fields),
    /^\d{4}-\d\d-\d\dT[\d:.]+Z info said user=wv:a@x text="two words \\"quoted\\"" n=3$/,
  );
  const json = JSON.parse(formatLine("json", "warn", "said", fields));
  assert.deepEqual({ ...json, time: undefined }, {
    time: undefined,
    level: "warn",
    msg: "said",
    user: "wv:a@x",
    text: 'two words "quoted"',
    n: 3,
  });
  assert.equal(formatLine("text", "error", "x\ny", {}).split("\n").length, 2, "msg is ours");
  for (let i = 0; i < 50; i++) {
    const before = Date.now();
    const time = formatLine("text", "info", "now").split(" ")[0];
    assert.match(time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const at = Date.parse(time);
    assert.ok(at >= before && at <= Date.now(), `${time} is the time of the line`);
  }
});

Deno.test("access lines are gathered and written in one batch, as text or JSON", async () => {
  const file = await Deno.makeTempFile();
  try {
    const logger = new Logger();
    using out = await Deno.open(file, { write: true });
    logger.configure({ level: "info", to: out });
    logger.access("POST /csp", {
      status: 200,
      primitive: "Polling-Request,SendMessage-Request",
      user: "wv:al ice@x",
      ms: 1.25,
      addr: "::1",
    });
    logger.access("GET /healthz", { status: 200, ms: 0.1 });
    assert.equal(await Deno.readTextFile(file), "", "not yet written");
    logger.configure({ format: "json" }); // writes what was gathered
    logger.access("GET /", { status: 404, ms: 2, addr: "10.0.0.1" });
    logger.flush();
    const lines = (await Deno.readTextFile(file)).trimEnd().split("\n");
    assert.match(
      lines[0],
      /^\S+Z info POST \/csp status=200 primitive=Polling-Request,SendMessage-Request user="wv:al ice@x" ms=1\.25 addr=::1$/,
    );
    assert.match(lines[1], /^\S+Z info GET \/healthz status=200 ms=0\.1$/);
    const json = JSON.parse(lines[2]);
    assert.deepEqual({ ...json, time: undefined }, {
      time: undefined,
      level: "info",
      msg: "GET /",
      status: 404,
      ms: 2,
      addr: "10.0.0.1",
    });
    logger.configure({ level: "warn" });
    logger.access("GET /", { status: 200, ms: 1 });
    logger.flush();
    assert.equal((await Deno.readTextFile(file)).trimEnd().split("\n").length, 3, "none at warn");
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("with accessTo, a batch of access lines is one write to it, not a console call", () => {
  const writes: string[] = [];
  const decoder = new TextDecoder();
  const writer = {
    writeSync(bytes: Uint8Array) {
      writes.push(decoder.decode(bytes));
      return bytes.length;
    },
  };
  const logger = new Logger();
  logger.configure({ level: "info", accessTo: writer });
  logger.access("POST /csp", { status: 200, ms: 1 });
  logger.access("GET /healthz", { status: 200, ms: 0.5 });
  assert.deepEqual(writes, [], "gathered");
  logger.flush();
  assert.equal(writes.length, 1);
  assert.match(
    writes[0],
    /^\S+Z info POST \/csp status=200 ms=1\n\S+Z info GET \/healthz status=200 ms=0\.5\n$/,
  );
});

const transport = (url: string): Transport => (body, type) =>
  fetch(`${url}/csp`, { method: "POST", body, headers: { "content-type": type } });

Deno.test("JSON lines: a start-up summary and access lines without secrets or bodies", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/users`, `alice ${PASSWORD}\nbob ${PASSWORD}\n`);
  const server = await spawnServer({
    IMPS_DATA: ":memory:",
    IMPS_USERS: `${dir}/users`,
    IMPS_LOG_FORMAT: "json",
    IMPS_DOMAIN: "example.com",
  });
  let sessionIds: string[] = [];
  try {
    const alice = new CspClient("alice", "1.2", transport(server.url), "example.com");
    const bob = new CspClient("bob", "1.2", transport(server.url), "example.com");
    assert.equal((await alice.login(PASSWORD)).code, 200);
    assert.equal((await bob.loginDigest(PASSWORD)).code, 200);
    assert.equal((await bob.login("wrong")).code, 409);
    await alice.send(
      `<SendMessage-Request><MessageInfo><ContentType>text/plain</ContentType><Recipient><User>` +
        `<UserID>${bob.userId}</UserID></User></Recipient></MessageInfo>` +
        `<ContentData>secret words</ContentData></SendMessage-Request>`,
    );
    await fetch(`${server.url}/content/`, {
      method: "POST",
      headers: { authorization: `Bearer ${alice.sessionId}`, "content-type": "text/plain" },
      body: "a file",
    }).then((r) => r.body?.cancel());
    sessionIds = [alice.sessionId!, bob.sessionId!];
    await new Promise((resolve) => setTimeout(resolve, 150)); // the access lines' batch
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
  const lines = server.output().trim().split("\n").map((line) => JSON.parse(line));
  const start = lines.find((l) => String(l.msg).includes(" on http://"));
  assert.equal(start.level, "info");
  assert.equal(start.store, ":memory:");
  assert.equal(start.federation, "off");
  const access = lines.filter((l) => l.msg === "POST /csp");
  assert.ok(access.length >= 5);
  const send = access.find((l) => l.primitive === "SendMessage-Request");
  assert.equal(send.user, "wv:alice@example.com");
  assert.equal(send.status, 200);
  assert.equal(typeof send.ms, "number");
  assert.equal(send.addr, "127.0.0.1");
  assert.ok(access.some((l) => l.primitive === "Login-Request" && l.user === undefined));
  assert.ok(lines.some((l) => l.msg === "login failed" && l.user === "wv:bob@example.com"));
  assert.ok(lines.some((l) => l.msg === "POST /content/" && l.status === 201));
  const everything = server.output();
  for (const secret of [PASSWORD, "secret words", "a file", "DigestBytes", ...sessionIds]) {
    assert.ok(!everything.includes(secret), `the log never shows ${secret}`);
  }
});

Deno.test("at IMPS_LOG_LEVEL=warn there are no access lines", async () => {
  const server = await spawnServer({ IMPS_DATA: ":memory:", IMPS_LOG_LEVEL: "warn" });
  try {
    await fetch(`${server.url}/healthz`).then((r) => r.text());
    await new Promise((resolve) => setTimeout(resolve, 150));
  } finally {
    await server.stop();
  }
  assert.doesNotMatch(server.output(), /GET \/healthz/);
  assert.match(server.output(), / warn .*IMPS_DATA is :memory:/);
});
