/**
 * `deno run -A scripts/bench_cir_shapes.ts [--probes 200] [--look-ms 50]`: the CIR wake-up of a
 * phone across instances. Two server processes share one KV file (IMPS_SHARED=true), each with
 * its own STCP listener; the receiver's STCP connection is on instance 1. A message is sent
 * through instance 1 (the baseline: the committing instance holds the channel) or through
 * instance 2 (its wake-up passes through instance 1's inbox, looked into every `look-ms`),
 * `probes` times each, in turns; printed is the time from the send's request to the `WVCI` line,
 * p50 and p99. The receiver polls and acknowledges each message through instance 2.
 */
import { runAdmin } from "../src/admin.ts";
import { StcpClient } from "../test/support/cir.ts";
import { spawnServer } from "../test/support/process.ts";
import { option, postCsp } from "./bench_support.ts";

const PROBES = option("probes", 200);
const LOOK_MS = option("look-ms", 50);
const DOMAIN = "bench.test";
const PASSWORD = "secret";

/** A bare CSP 1.2 client; `at` picks the instance each request goes to. */
function client(name: string) {
  let session: string | undefined;
  const post = (url: string, body: string, tid = "t") => postCsp(url, session, body, tid);
  return {
    get session() {
      return session!;
    },
    async login(url: string) {
      const answer = await post(
        url,
        `<Login-Request><UserID>wv:${name}@${DOMAIN}</UserID><ClientID><URL>http://p</URL>` +
          `</ClientID><Password>${PASSWORD}</Password><TimeToLive>3600</TimeToLive>` +
          `<SessionCookie>c</SessionCookie></Login-Request>`,
      );
      session = answer.match(/<SessionID>([0-9a-f]+)<\/SessionID>/)![1];
    },
    /** Agrees STCP; the port of the instance at `url`. */
    async agreeStcp(url: string): Promise<number> {
      const answer = await post(
        url,
        `<ClientCapability-Request><CapabilityList><ClientType>MOBILE_PHONE</ClientType>` +
          `<SupportedBearer>HTTP</SupportedBearer><SupportedCIRMethod>STCP</SupportedCIRMethod>` +
          `</CapabilityList></ClientCapability-Request>`,
      );
      return Number(answer.match(/<TCPPort>(\d+)<\/TCPPort>/)![1]);
    },
    send: (url: string, to: string, n: number) =>
      post(
        url,
        `<SendMessage-Request><DeliveryReport>F</DeliveryReport><MessageInfo><Recipient><User>` +
          `<UserID>wv:${to}@${DOMAIN}</UserID></User></Recipient></MessageInfo><ContentData>` +
          `probe ${n}</ContentData></SendMessage-Request>`,
      ),
    /** Polls until a message is handed out, and acknowledges it. */
    async receive(url: string): Promise<void> {
      for (;;) {
        const id = (await post(url, "<Polling-Request/>", "")).match(
          /<MessageID>([0-9a-f]+)<\/MessageID>/,
        )?.[1];
        if (id) {
          await post(url, `<MessageDelivered><MessageID>${id}</MessageID></MessageDelivered>`);
          return;
        }
      }
    },
  };
}

const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

async function main() {
  const dir = await Deno.makeTempDir();
  const env = {
    IMPS_DATA: `${dir}/imps.kv`,
    IMPS_DOMAIN: DOMAIN,
    IMPS_SECRET: "bench-secret-0123456789",
    IMPS_SHARED: "true",
    IMPS_SHARED_LOOK_MS: String(LOOK_MS),
    IMPS_CIR_TCP_PORT: "0",
    IMPS_CIR_TCP_HOST: "127.0.0.1",
    IMPS_CIR_MIN_GAP_MS: "0",
  };
  const admin = { password: () => Promise.resolve(PASSWORD), warn() {} };
  for (const name of ["s", "r"]) await runAdmin(["user", "add", name], env, admin);
  const [one, two] = await Promise.all([spawnServer(env), spawnServer(env)]);
  let cir: StcpClient | undefined;
  try {
    const sender = client("s");
    const receiver = client("r");
    await sender.login(two.url);
    await receiver.login(one.url);
    cir = await StcpClient.helo(await receiver.agreeStcp(one.url), receiver.session);
    const times: Record<"same" | "across", number[]> = { same: [], across: [] };
    for (let n = 0; n < 2 * PROBES; n++) {
      const across = n % 2 === 1;
      const sentAt = performance.now();
      await sender.send(across ? two.url : one.url, "r", n);
      await cir.line(5_000);
      times[across ? "across" : "same"].push(performance.now() - sentAt);
      await receiver.receive(two.url);
    }
    const describe = (xs: number[]) =>
      `p50 ${percentile(xs, 0.5).toFixed(1)} ms, p99 ${percentile(xs, 0.99).toFixed(1)} ms`;
    console.log(
      `STCP wake-up, from sending to the WVCI line, ${PROBES} probes each, ` +
        `IMPS_SHARED_LOOK_MS=${LOOK_MS}:`,
    );
    console.log(`  sent through the instance holding the channel   ${describe(times.same)}`);
    console.log(`  sent through the other instance                  ${describe(times.across)}`);
  } finally {
    cir?.close();
    await Promise.all([one.stop(), two.stop()]);
    await Deno.remove(dir, { recursive: true });
  }
}

await main();
