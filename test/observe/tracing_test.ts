/**
 * Traces with Deno's built-in OpenTelemetry: two of our servers run with OTEL_DENO=true and
 * export to an OTLP HTTP receiver written here. Alice (a.test) sends Bob (b.test) a message:
 * her SendMessage-Request span is a child of Deno's HTTP span and parent of KV commit spans; the
 * relay's SSP round trip continues her trace, and b.test serves the SSP request in the same trace
 * (the context travels in the SSP POST's traceparent header).
 */
import assert from "node:assert/strict";
import { CspClient, PASSWORD, type Transport } from "../support/harness.ts";
import { spawnServer } from "../support/process.ts";
import { freePort } from "../ssp/ssp_support.ts";

interface Span {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  kind: number;
}

/** An OTLP/HTTP (JSON) receiver of spans. */
function receiver() {
  const spans: Span[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const body = await req.json().catch(() => ({}));
    for (const rs of body.resourceSpans ?? []) {
      const service = rs.resource.attributes
        .find((a: { key: string }) => a.key === "service.name")?.value.stringValue;
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) spans.push({ service, ...s });
      }
    }
    return Response.json({});
  });
  return { spans, url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

const transport = (url: string): Transport => (body, type) =>
  fetch(`${url}/csp`, { method: "POST", body, headers: { "content-type": type } });

Deno.test("spans of a federated message reach the OTLP receiver in one trace", async () => {
  const otlp = receiver();
  const dir = await Deno.makeTempDir();
  const [portA, portB] = [await freePort(), await freePort()];
  const node = async (domain: string, port: number, peer: string, peerPort: number) => {
    await Deno.writeTextFile(`${dir}/${domain}.users`, `alice ${PASSWORD}\nbob ${PASSWORD}\n`);
    return await spawnServer({
      IMPS_DOMAIN: domain,
      IMPS_PORT: String(port),
      IMPS_DATA: ":memory:",
      IMPS_USERS: `${dir}/${domain}.users`,
      IMPS_SECRET: "test-secret-0123456789",
      IMPS_FEDERATION: "true",
      IMPS_PEERS: `${peer}=http://127.0.0.1:${peerPort}/ssp`,
      OTEL_DENO: "true",
      OTEL_SERVICE_NAME: domain,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
    });
  };
  const a = await node("a.test", portA, "b.test", portB);
  const b = await node("b.test", portB, "a.test", portA);
  try {
    const alice = new CspClient("alice", "1.2", transport(a.url), "a.test");
    const bob = new CspClient("bob", "1.2", transport(b.url), "b.test");
    assert.equal((await alice.login(PASSWORD)).code, 200);
    assert.equal((await bob.login(PASSWORD)).code, 200);
    const sent = await alice.send(
      `<SendMessage-Request><MessageInfo><ContentType>text/plain</ContentType><Recipient><User>` +
        `<UserID>wv:bob@b.test</UserID></User></Recipient></MessageInfo>` +
        `<ContentData>traced</ContentData></SendMessage-Request>`,
    );
    assert.equal(sent.code, 200);
    let got = "";
    for (let i = 0; i < 50 && !got.includes("traced"); i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      got = (await bob.send("<Polling-Request/>")).text;
    }
    assert.match(got, /traced/, "bob got the message");
  } finally {
    await a.stop();
    await b.stop();
  }
  try {
    const spans = otlp.spans;
    const named = (service: string, name: string) =>
      spans.filter((s) => s.service === service && s.name === name);
    const send = named("a.test", "SendMessage-Request");
    assert.equal(send.length, 1, spans.map((s) => `${s.service} ${s.name}`).join(", "));
    const trace = send[0].traceId;
    const http = spans.find((s) => s.spanId === send[0].parentSpanId);
    assert.equal(http?.service, "a.test", "the transaction's parent is Deno's HTTP span");
    assert.ok(
      spans.some((s) => s.name === "kv.commit" && s.parentSpanId === send[0].spanId),
      "a KV commit span under the transaction",
    );
    const client = named("a.test", "SSP SendMessageRequest").find((s) => s.traceId === trace);
    assert.ok(client, "a.test's SSP round trip is in alice's trace");
    const served = named("b.test", "SSP SendMessageRequest").find((s) => s.traceId === trace);
    assert.ok(served, "b.test serves the SSP request in alice's trace");
    assert.equal(served.parentSpanId, client.spanId);
    assert.equal(named("b.test", "Login-Request").length, 1, "bob's login has its span");
    assert.equal(named("b.test", "Polling-Request").length >= 1, true);
  } finally {
    await otlp.close();
    await Deno.remove(dir, { recursive: true });
  }
});
