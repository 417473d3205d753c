/**
 * `deno run -A scripts/bench_login.ts [--logins 15] [--attackers 8] [--per-message 16]
 * [--root DIR]`: what a flood of wrong passwords does to someone else's login.
 *
 * Starts the server (`src/main.ts`, file KV in a temp directory) as operators do, then measures a
 * bystander's 2-way login latency from 127.0.0.2, `--logins` times one after another (each
 * followed by its logout), first on a quiet server (the baseline), then while `--attackers`
 * clients on 127.0.0.1 post, without pause, messages of `--per-message` wrong-password
 * Login-Requests each for another user. Prints the medians and p90s, the ratio flood/quiet of the medians, the
 * attackers' answers by CSP code, and the server's CPU per second in each phase.
 * `--root DIR` runs the server and admin command of another checkout (e.g. an earlier version,
 * for a before/after comparison with the same load).
 */
import net from "node:net";

function option(name: string, fallback: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i === -1 ? fallback : Deno.args[i + 1];
}
const LOGINS = Number(option("logins", "15"));
const ATTACKERS = Number(option("attackers", "8"));
const PER_MESSAGE = Number(option("per-message", "16"));
const ROOT = option("root", new URL("..", import.meta.url).pathname);
const DOMAIN = "bench.test";
const NS = 'xmlns="http://www.openmobilealliance.org/DTD/WV-CSP1.2"';
const TRC = 'xmlns="http://www.openmobilealliance.org/DTD/WV-TRC1.2"';

function message(sessionId: string | undefined, primitives: string[]): string {
  const descriptor = sessionId
    ? `<SessionType>Inband</SessionType><SessionID>${sessionId}</SessionID>`
    : "<SessionType>Outband</SessionType>";
  return `<WV-CSP-Message ${NS}><Session><SessionDescriptor>${descriptor}</SessionDescriptor>` +
    primitives.map((p, i) =>
      `<Transaction><TransactionDescriptor><TransactionMode>Request</TransactionMode>` +
      `<TransactionID>t${i}</TransactionID></TransactionDescriptor>` +
      `<TransactionContent ${TRC}>${p}</TransactionContent></Transaction>`
    ).join("") + "</Session></WV-CSP-Message>";
}

const login = (user: string, password: string) =>
  `<Login-Request><UserID>wv:${user}@${DOMAIN}</UserID><ClientID><URL>http://bench</URL>` +
  `</ClientID><Password>${password}</Password></Login-Request>`;

/** One POST on a connection of its own from `localAddress`; the response body. */
function post(port: number, body: string, localAddress: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port, localAddress });
    let answer = "";
    socket.on("connect", () =>
      socket.write(
        `POST /csp HTTP/1.1\r\nhost: bench\r\ncontent-type: application/vnd.wv.csp.xml\r\n` +
          `content-length: ${new TextEncoder().encode(body).length}\r\nconnection: close\r\n\r\n` +
          body,
      ));
    socket.on("data", (chunk) => answer += chunk.toString());
    socket.on("end", () => resolve(answer.slice(answer.indexOf("\r\n\r\n") + 4)));
    socket.on("error", reject);
  });
}

async function admin(args: string[], env: Record<string, string>): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-kv", "src/admin.ts", ...args],
    cwd: ROOT,
    env,
    stdout: "null",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`admin ${args.join(" ")} failed`);
}

function cpuSeconds(pid: number): number {
  const fields = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
};

async function bystanderLogins(port: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < LOGINS; i++) {
    const start = performance.now();
    const answer = await post(
      port,
      message(undefined, [login("bystander", "secret")]),
      "127.0.0.2",
    );
    times.push(performance.now() - start);
    const sessionId = /<SessionID>([^<]+)</.exec(answer)?.[1];
    if (sessionId) await post(port, message(sessionId, ["<Logout-Request/>"]), "127.0.0.2");
    else console.log(`  bystander login ${i + 1}: ${/<Code>(\d+)/.exec(answer)?.[1] ?? answer}`);
  }
  return times;
}

const dir = await Deno.makeTempDir();
const env = {
  IMPS_DOMAIN: DOMAIN,
  IMPS_DATA: `${dir}/imps.kv`,
  IMPS_PORT: "0",
  NO_COLOR: "1",
};
await admin(["user", "add", "bystander", "--password", "secret"], env);
await admin(["user", "add", "victim", "--password", "secret"], env);
const server = new Deno.Command(Deno.execPath(), {
  args: ["run", "-A", "--unstable-kv", "src/main.ts"],
  cwd: ROOT,
  env,
  stdout: "piped",
  stderr: "inherit",
}).spawn();
const reader = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
let banner = "";
while (!/:(\d+)\/csp/.test(banner)) banner += (await reader.read()).value ?? "";
const port = Number(/:(\d+)\/csp/.exec(banner)![1]);
(async () => {
  while (!(await reader.read()).done);
})();

try {
  await bystanderLogins(port); // warm-up
  let cpu = cpuSeconds(server.pid);
  let wall = performance.now();
  const quiet = await bystanderLogins(port);
  const quietCpu = (cpuSeconds(server.pid) - cpu) / ((performance.now() - wall) / 1000);

  let flooding = true;
  const codes = new Map<string, number>();
  const flood = Array.from({ length: ATTACKERS }, async (_, a) => {
    const body = message(
      undefined,
      Array.from({ length: PER_MESSAGE }, (_, i) => login("victim", `g${a}-${i}`)),
    );
    while (flooding) {
      const answer = await post(port, body, "127.0.0.1").catch(() => "");
      for (const [, code] of answer.matchAll(/<Code>(\d+)<\/Code>/g)) {
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
      if (answer === "") codes.set("no answer", (codes.get("no answer") ?? 0) + 1);
    }
  });
  await new Promise((r) => setTimeout(r, 1000));
  cpu = cpuSeconds(server.pid);
  wall = performance.now();
  const flooded = await bystanderLogins(port);
  const floodCpu = (cpuSeconds(server.pid) - cpu) / ((performance.now() - wall) / 1000);
  flooding = false;
  await Promise.all(flood);

  const ms = (v: number) => `${v.toFixed(0)} ms`;
  console.log(`bystander login, ${LOGINS} one after another (server ${ROOT})`);
  console.log(
    `  quiet:  p50 ${ms(percentile(quiet, 0.5))}, p90 ${ms(percentile(quiet, 0.9))}, ` +
      `server CPU ${quietCpu.toFixed(2)} s/s`,
  );
  console.log(
    `  flood:  p50 ${ms(percentile(flooded, 0.5))}, p90 ${ms(percentile(flooded, 0.9))}, ` +
      `server CPU ${
        floodCpu.toFixed(2)
      } s/s (${ATTACKERS} attackers, ${PER_MESSAGE} Logins per message)`,
  );
  console.log(
    `  flood/quiet p50: ${(percentile(flooded, 0.5) / percentile(quiet, 0.5)).toFixed(1)}x`,
  );
  console.log(`  attackers' answers by code: ${JSON.stringify(Object.fromEntries(codes))}`);
} finally {
  server.kill("SIGTERM");
  await server.status;
  await Deno.remove(dir, { recursive: true });
}
