/**
 * `deno run -A scripts/bench_im.ts [pairs] [messages]`: instant messaging over real HTTP. Each of
 * `pairs` senders sends `messages` messages, one after another, to its own receiver, which polls
 * for them and acknowledges each with MessageDelivered. Prints delivered messages/s and the
 * send-to-receipt latency (p50, p99), then the same bodies POSTed to a Hono echo route in the
 * same process, and the ratio of the two rates. The store is a KV file in a temp directory.
 */
import { Hono } from "hono";
import { loadConfig } from "../src/config.ts";
import { loadCore } from "../src/core/mod.ts";
import { createServer } from "../src/server.ts";
import { hashPassword } from "../src/util/crypto.ts";

const PAIRS = Number(Deno.args[0] ?? 20);
const MESSAGES = Number(Deno.args[1] ?? 50);
const NS = 'xmlns="http://www.openmobilealliance.org/DTD/WV-CSP1.2"';
const TRC = 'xmlns="http://www.openmobilealliance.org/DTD/WV-TRC1.2"';
const TYPE = { "content-type": "application/vnd.wv.csp.xml" };
const TEXT = "Benchmark message of a typical chat length, about eighty bytes of text.";

function envelope(sessionId: string | undefined, tid: string, body: string, mode = "Request") {
  const descriptor = sessionId
    ? `<SessionType>Inband</SessionType><SessionID>${sessionId}</SessionID>`
    : "<SessionType>Outband</SessionType>";
  return `<WV-CSP-Message ${NS}><Session><SessionDescriptor>${descriptor}</SessionDescriptor>` +
    `<Transaction><TransactionDescriptor><TransactionMode>${mode}</TransactionMode>` +
    `<TransactionID>${tid}</TransactionID></TransactionDescriptor>` +
    `<TransactionContent ${TRC}>${body}</TransactionContent></Transaction></Session></WV-CSP-Message>`;
}

const sendBody = (to: string, n: number) =>
  `<SendMessage-Request><DeliveryReport>F</DeliveryReport><MessageInfo><Recipient><User>` +
  `<UserID>${to}</UserID></User></Recipient></MessageInfo><ContentData>${n} ${TEXT}` +
  `</ContentData></SendMessage-Request>`;

const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

const dir = await Deno.makeTempDir();
const config = loadConfig({ IMPS_DOMAIN: "bench.test", IMPS_DATA: `${dir}/imps.kv` });
const server = await createServer(config, {
  parseXml: (await loadCore(config.core)).parseXml,
  sweepIntervalMs: 0,
});
const echo = new Hono();
echo.post("/echo", async (c) => c.body(await c.req.arrayBuffer(), 200, TYPE));
const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, server.app.fetch);
const echoHttp = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, echo.fetch);
const url = `http://127.0.0.1:${(http.addr as Deno.NetAddr).port}/csp`;
const echoUrl = `http://127.0.0.1:${(echoHttp.addr as Deno.NetAddr).port}/echo`;

const post = async (target: string, body: string) =>
  await (await fetch(target, { method: "POST", body, headers: TYPE })).text();

try {
  const password = await hashPassword("secret");
  const login = async (name: string) => {
    const id = `wv:${name}@bench.test`;
    await server.context.users.create({ id, password, createdAt: Date.now() });
    const answer = await post(
      url,
      envelope(
        undefined,
        "1",
        `<Login-Request><UserID>${id}</UserID><ClientID><URL>http://b</URL></ClientID>` +
          `<Password>secret</Password><TimeToLive>3600</TimeToLive></Login-Request>`,
      ),
    );
    return answer.match(/<SessionID>([0-9a-f]+)<\/SessionID>/)![1];
  };
  const pairs = [];
  for (let i = 0; i < PAIRS; i++) {
    pairs.push({ sender: await login(`s${i}`), receiver: await login(`r${i}`), to: `r${i}` });
  }

  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const start = performance.now();
  await Promise.all(pairs.flatMap(({ sender, receiver, to }, p) => [
    (async () => {
      for (let n = 0; n < MESSAGES; n++) {
        sentAt.set(`${p}:${n}`, performance.now());
        const answer = await post(url, envelope(sender, `m${n}`, sendBody(to, n)));
        if (!answer.includes("<Code>200</Code>")) throw new Error(`send failed: ${answer}`);
      }
    })(),
    (async () => {
      for (let received = 0; received < MESSAGES;) {
        const answer = await post(url, envelope(receiver, "", "<Polling-Request/>"));
        if (answer === "") {
          await new Promise((r) => setTimeout(r, 2));
          continue;
        }
        const n = answer.match(/<ContentData>(\d+) /)![1];
        latencies.push(performance.now() - sentAt.get(`${p}:${n}`)!);
        const tid = answer.match(/<TransactionID>([0-9a-f]+)<\/TransactionID>/)![1];
        const id = answer.match(/<MessageID>([0-9a-f]+)<\/MessageID>/)![1];
        await post(
          url,
          envelope(
            receiver,
            tid,
            `<MessageDelivered><MessageID>${id}</MessageID></MessageDelivered>`,
            "Response",
          ),
        );
        received++;
      }
    })(),
  ]));
  const imSeconds = (performance.now() - start) / 1000;
  const { commits, writes } = server.context.store.commits.stats;
  const imRate = (PAIRS * MESSAGES) / imSeconds;

  const echoStart = performance.now();
  await Promise.all(pairs.map(async ({ sender, to }) => {
    for (let n = 0; n < MESSAGES; n++) {
      await post(echoUrl, envelope(sender, `m${n}`, sendBody(to, n)));
    }
  }));
  const echoRate = (PAIRS * MESSAGES) / ((performance.now() - echoStart) / 1000);

  console.log(`${PAIRS} pairs x ${MESSAGES} messages, delivered by polling`);
  console.log(
    `IM:   ${imRate.toFixed(0)} messages/s, latency p50 ${
      percentile(latencies, 0.5).toFixed(1)
    } ms,` +
      ` p99 ${percentile(latencies, 0.99).toFixed(1)} ms`,
  );
  console.log(`KV: ${commits} commits carrying ${writes} writes (login included)`);
  console.log(`echo: ${echoRate.toFixed(0)} requests/s (same bodies, same concurrency)`);
  console.log(`ratio: ${(100 * imRate / echoRate).toFixed(0)}% of echo (goal >= 33%)`);
} finally {
  await http.shutdown();
  await echoHttp.shutdown();
  await server.close();
  await Deno.remove(dir, { recursive: true });
}
