/**
 * GET /metrics: the Prometheus text format behind the admin bearer token, off without one;
 * what a conversation leaves in it (transactions by primitive and code, latency, messages, KV
 * commits, sessions, limits, process figures).
 */
import assert from "node:assert/strict";
import { Metrics } from "../../src/observe/metrics.ts";
import { loggedIn, startServer } from "../support/harness.ts";
import { at } from "../support/body_reader.ts";

const TOKEN = "metrics-token-0123456789";

Deno.test("counters and histograms kept in plain numbers come out as Prometheus series", async () => {
  const metrics = new Metrics();
  metrics.transaction("SendMessage-Request", 200, 0.003);
  metrics.transaction("SendMessage-Request", 200, 0.004);
  metrics.transaction("SendMessage-Request", 404, 0.2);
  metrics.transaction("Polling-Request", 200, 20);
  metrics.message("accepted", 5);
  metrics.message("accepted");
  const text = await metrics.text();
  for (
    const line of [
      'imps_csp_transactions_total{primitive="SendMessage-Request",code="200"} 2',
      'imps_csp_transactions_total{primitive="SendMessage-Request",code="404"} 1',
      'imps_csp_transaction_duration_seconds_bucket{primitive="SendMessage-Request",le="0.0025"} 0',
      'imps_csp_transaction_duration_seconds_bucket{primitive="SendMessage-Request",le="0.005"} 2',
      'imps_csp_transaction_duration_seconds_bucket{primitive="SendMessage-Request",le="0.25"} 3',
      'imps_csp_transaction_duration_seconds_bucket{primitive="SendMessage-Request",le="+Inf"} 3',
      'imps_csp_transaction_duration_seconds_count{primitive="SendMessage-Request"} 3',
      'imps_csp_transaction_duration_seconds_bucket{primitive="Polling-Request",le="10"} 0',
      'imps_csp_transaction_duration_seconds_bucket{primitive="Polling-Request",le="+Inf"} 1',
      'imps_messages_total{event="accepted"} 6',
    ]
  ) assert.ok(text.split("\n").includes(line), `${line} in\n${text}`);
  assert.match(text, /^# TYPE imps_csp_transaction_duration_seconds histogram$/m);
  assert.match(
    text,
    /^imps_csp_transaction_duration_seconds_sum\{primitive="SendMessage-Request"\} 0\.20700/m,
  );
});

Deno.test("without IMPS_ADMIN_TOKEN there is no /metrics and no /admin/", async () => {
  await using h = await startServer();
  const app = h.server.app;
  assert.equal((await app.request("/metrics")).status, 404);
  assert.equal(
    (await app.request("/admin/users", { headers: { authorization: "Bearer x" } })).status,
    404,
  );
});

Deno.test("/metrics answers 401 without the token and counts alice's conversation with it", async () => {
  await using h = await startServer({ env: { IMPS_ADMIN_TOKEN: TOKEN } });
  const app = h.server.app;
  const refused = await app.request("/metrics");
  assert.equal(refused.status, 401);
  assert.match(refused.headers.get("www-authenticate") ?? "", /^Bearer/);
  assert.equal(
    (await app.request("/metrics", { headers: { authorization: "Bearer wrong-token-000000" } }))
      .status,
    401,
  );

  const [alice, bob] = await loggedIn(h, "1.2", "alice", "bob");
  await alice.send(
    `<SendMessage-Request><MessageInfo><ContentType>text/plain</ContentType><Recipient><User>` +
      `<UserID>${bob.userId}</UserID></User></Recipient></MessageInfo>` +
      `<ContentData>hi</ContentData></SendMessage-Request>`,
  );
  const news = await bob.send("<Polling-Request/>");
  const messageId = String(at(news.body, "MessageInfo", "MessageID"));
  await bob.send(`<MessageDelivered><MessageID>${messageId}</MessageID></MessageDelivered>`);
  await alice.send("<Made-Up-Request/>");

  const answer = await app.request("/metrics", { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(answer.status, 200);
  assert.match(answer.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  const text = await answer.text();
  for (
    const line of [
      /^imps_csp_transactions_total\{primitive="Login-Request",code="200"\} 2$/m,
      /^imps_csp_transactions_total\{primitive="SendMessage-Request",code="200"\} 1$/m,
      /^imps_csp_transactions_total\{primitive="other",code="400"\} 1$/m,
      /^imps_csp_transaction_duration_seconds_count\{primitive="Polling-Request"\} 1$/m,
      /^imps_messages_total\{event="accepted"\} 1$/m,
      /^imps_messages_total\{event="delivered"\} 1$/m,
      /^imps_kv_commit_duration_seconds_count \d+$/m,
      /^imps_kv_commit_writes_bucket\{le="1"\} \d+$/m,
      /^imps_sessions\{version="1\.2",cir="none"\} 2$/m,
      /^imps_outbox_entries 0$/m,
      /^imps_csp_messages_total\{encoding="XML",version="1\.2"\} \d+$/m,
      /^imps_mailbox_messages 0$/m,
      /^imps_http_requests_total\{route="\/csp",status="200"\} \d+$/m,
      /^imps_http_requests_total\{route="\/metrics",status="401"\} 2$/m,
      /^imps_process_resident_memory_bytes \d+$/m,
      /^imps_nodejs_heap_size_used_bytes \d+$/m,
    ]
  ) assert.match(text, line);
  assert.doesNotMatch(text, /Made-Up/, "a primitive a client made up is no label");
});
