/**
 * The admin API under /admin/: an operator adds, imports, shows and removes users, lists and
 * kicks sessions, sends a notice (1.3 sessions get SystemMessage-Request, older ones a message
 * from the system user), lists, shows and deletes groups, and reads the stats, all with the
 * bearer token and nothing without it.
 */
import assert from "node:assert/strict";
import { type Harness, loggedIn, startServer } from "../support/harness.ts";

const TOKEN = "admin-token-0123456789";

function api(h: Harness) {
  return async (method: string, path: string, body?: unknown, type = "application/json") => {
    const response = await h.server.app.request(`/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": type },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : undefined };
  };
}

Deno.test("the operator manages users over the API; nothing without the token", async () => {
  await using h = await startServer({ env: { IMPS_ADMIN_TOKEN: TOKEN } });
  const admin = api(h);
  assert.equal((await h.server.app.request("/admin/users")).status, 401);

  assert.deepEqual(await admin("POST", "/users", { id: "alice", password: "s3cret" }), {
    status: 201,
    json: { id: "wv:alice@example.com" },
  });
  assert.equal((await admin("POST", "/users", { id: "alice", password: "x" })).status, 409);
  assert.equal((await admin("POST", "/users", { id: "a/b", password: "x" })).status, 400);
  assert.equal((await admin("POST", "/users", "not json")).status, 400);
  assert.equal((await h.client("alice").login("s3cret")).code, 200);

  const csv = 'user-id,password\nbob,pw1\n"carol","p,w"\nalice,again\nbad/id,x\n';
  const imported = await admin("POST", "/users/import", csv, "text/csv");
  assert.deepEqual(imported.json, {
    added: ["wv:bob@example.com", "wv:carol@example.com"],
    existing: ["alice"],
    refused: ['line 5: "bad/id" is not a valid user id'],
  });
  const jsonl = '{"id":"dave","password":"pw"}\n{"id":"erin"}\n';
  assert.deepEqual((await admin("POST", "/users/import", jsonl, "application/jsonl")).json, {
    added: ["wv:dave@example.com"],
    existing: [],
    refused: ['line 2: expected {"id": …, "password": …}'],
  });
  assert.equal((await h.client("carol").login("p,w")).code, 200);

  const listed = await admin("GET", "/users");
  assert.deepEqual(listed.json.map((u: { id: string }) => u.id), [
    "wv:alice@example.com",
    "wv:bob@example.com",
    "wv:carol@example.com",
    "wv:dave@example.com",
  ]);
  const shown = await admin("GET", "/users/wv:alice@example.com");
  assert.equal(shown.json.digestLogin, true);
  assert.equal(shown.json.sessions.length, 1);
  assert.ok(!JSON.stringify(shown.json).includes(h.client("alice").sessionId ?? "none"));
  assert.ok(!/password|\$pbkdf2|sealed/i.test(JSON.stringify(shown.json)), "no secrets shown");

  assert.deepEqual(await admin("PUT", "/users/bob/msisdn", { msisdn: "+447700900123" }), {
    status: 200,
    json: { id: "wv:bob@example.com", msisdn: "+447700900123" },
  });
  assert.equal((await admin("GET", "/users/bob")).json.msisdn, "+447700900123");
  const taken = await admin("PUT", "/users/carol/msisdn", { msisdn: "+447700900123" });
  assert.equal(taken.status, 409, "one user's number only");
  assert.match(taken.json.error, /is the phone number of wv:bob@example\.com/);
  assert.equal((await admin("PUT", "/users/bob/msisdn", { msisdn: "call me" })).status, 400);
  assert.equal((await admin("PUT", "/users/nobody/msisdn", { msisdn: "123456" })).status, 404);
  assert.equal((await admin("PUT", "/users/bob/msisdn", { msisdn: null })).status, 200);
  assert.equal((await admin("GET", "/users/bob")).json.msisdn, undefined, "cleared");
  const withPhone = { id: "erin", password: "pw", msisdn: "+15550100" };
  assert.equal((await admin("POST", "/users", withPhone)).status, 201);
  assert.equal((await admin("GET", "/users/erin")).json.msisdn, "+15550100");
  assert.equal((await admin("DELETE", "/users/erin")).status, 200);

  assert.equal((await admin("PUT", "/users/bob/password", { password: "new" })).status, 200);
  assert.equal((await h.client("bob").login("new")).code, 200);
  assert.equal((await admin("DELETE", "/users/dave")).status, 200);
  assert.equal((await admin("GET", "/users/dave")).status, 404);
});

Deno.test("the operator lists alice's sessions and kicks one: it gets Disconnect 601", async () => {
  await using h = await startServer({ env: { IMPS_ADMIN_TOKEN: TOKEN } });
  const admin = api(h);
  const [phone, bob] = await loggedIn(h, "1.2", "alice", "bob");
  const desk = h.client("alice", "1.2");
  assert.equal((await desk.login("pw")).code, 200);

  const sessions = (await admin("GET", "/sessions?user=alice")).json;
  assert.equal(sessions.length, 2);
  assert.ok(sessions.every((s: { ref: string }) => /^[0-9a-f]{12}$/.test(s.ref)));
  assert.equal((await admin("GET", "/sessions")).json.length, 3);
  const deskRef =
    sessions.find((s: { createdAt: string }) =>
      s.createdAt === sessions.map((x: { createdAt: string }) => x.createdAt).sort().at(-1)
    ).ref;
  const kicked = await admin("DELETE", `/sessions/alice/${deskRef}`);
  assert.deepEqual(kicked.json, { user: "wv:alice@example.com", kicked: 1 });

  const told = [await phone.send("<Polling-Request/>"), await desk.send("<Polling-Request/>")];
  const disconnected = told.filter((r) =>
    r.message?.transactions[0]?.primitive.name === "Disconnect"
  );
  assert.equal(disconnected.length, 1, "exactly one of alice's sessions is told");
  assert.equal(disconnected[0].code, 601);
  assert.equal((await admin("DELETE", "/sessions/alice/000000000000")).status, 404);
  assert.equal((await admin("DELETE", "/sessions/bob")).json.kicked, 1);
  assert.equal((await bob.send("<Polling-Request/>")).code, 601);
});

Deno.test("a notice reaches 1.3 sessions as SystemMessage-Request and older ones as a message", async () => {
  await using h = await startServer({ env: { IMPS_ADMIN_TOKEN: TOKEN } });
  const admin = api(h);
  const [modern] = await loggedIn(h, "1.3", "alice");
  const [old] = await loggedIn(h, "1.1", "bob");
  await loggedIn(h, "1.2", "carol");

  const sent = await admin("POST", "/notices", {
    text: "Maintenance at 22:00",
    users: ["alice", "bob"],
  });
  assert.deepEqual(sent.json, { systemMessages: 1, sessions: 1, messages: 1 });

  const note = await modern.send("<Polling-Request/>");
  assert.equal(note.primitive.name, "SystemMessage-Request");
  assert.match(note.text, /<SystemMessageText>Maintenance at 22:00<\/SystemMessageText>/);
  const message = await old.send("<Polling-Request/>");
  assert.equal(message.primitive.name, "NewMessage");
  assert.match(message.text, /wv:system@example\.com/);
  assert.match(message.text, /<ContentData>Maintenance at 22:00<\/ContentData>/);

  assert.equal((await admin("POST", "/notices", { text: "" })).status, 400);
  assert.equal((await admin("POST", "/notices", { text: "x".repeat(2001) })).status, 400);
  assert.deepEqual((await admin("POST", "/notices", { text: "to all" })).json, {
    systemMessages: 1,
    sessions: 1,
    messages: 2,
  });
});

Deno.test("the operator lists, shows and deletes a group; its joined users are told", async () => {
  await using h = await startServer({ env: { IMPS_ADMIN_TOKEN: TOKEN } });
  const admin = api(h);
  const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
  const group = "wv:alice/chat@example.com";
  assert.equal(
    (await alice.send(
      `<CreateGroup-Request><GroupID>${group}</GroupID><GroupProperties><Property><Name>Name` +
        `</Name><Value>chat</Value></Property><Property><Name>Accesstype</Name><Value>Open` +
        `</Value></Property></GroupProperties></CreateGroup-Request>`,
    )).code,
    200,
  );
  const joined = await bob.send(
    `<JoinGroup-Request><GroupID>${group}</GroupID><ScreenName><SName>bobby</SName>` +
      `<GroupID>${group}</GroupID></ScreenName><JoinedRequest>T</JoinedRequest>` +
      `</JoinGroup-Request>`,
  );
  assert.equal(joined.primitive.name, "JoinGroup-Response");
  assert.deepEqual((await admin("GET", "/groups")).json.map((g: { id: string }) => g.id), [group]);
  const shown = (await admin("GET", `/groups/${encodeURIComponent(group)}`)).json;
  assert.equal(shown.group.owner, alice.userId);
  assert.deepEqual(shown.joined.map((j: { screenName: string }) => j.screenName), ["bobby"]);

  assert.equal((await admin("DELETE", `/groups/${encodeURIComponent(group)}`)).status, 200);
  const told = await bob.send("<Polling-Request/>");
  assert.equal(told.primitive.name, "LeaveGroup-Response");
  assert.equal(told.code, 800);
  assert.deepEqual((await admin("GET", "/groups")).json, []);
  assert.equal((await admin("DELETE", `/groups/${encodeURIComponent(group)}`)).status, 404);

  const stats = (await admin("GET", "/stats")).json;
  assert.equal(stats.imps_csp_transactions_total.type, "counter");
  assert.ok(
    stats.imps_csp_transactions_total.values.some((v: { labels: Record<string, unknown> }) =>
      v.labels.primitive === "CreateGroup-Request"
    ),
  );
});
