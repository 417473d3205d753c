/**
 * A real Prometheus (Debian's `prometheus`) scrapes a running server with the admin token, as an
 * operator would configure it (`authorization` in the scrape config), and finds what alice's
 * login left; a second job without the token is refused (401) and shows the target down.
 */
import assert from "node:assert/strict";
import { spawnServer } from "../support/process.ts";

const TOKEN = "scrape-token-0123456789";

const prometheus = await new Deno.Command("prometheus", {
  args: ["--version"],
  stdout: "null",
  stderr: "null",
})
  .output().then((out) => out.success, () => false);
if (!prometheus) console.log("note: prometheus is not installed: the real scrape test is skipped");

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

Deno.test({
  name: "Prometheus scrapes /metrics with the bearer token, and is refused without it",
  ignore: !prometheus,
  async fn() {
    const dir = await Deno.makeTempDir();
    const server = await spawnServer({
      IMPS_DATA: `${dir}/imps.kv`,
      IMPS_ADMIN_TOKEN: TOKEN,
      IMPS_USERS: await usersFile(dir),
    });
    const target = new URL(server.url).host;
    const port = freePort();
    await Deno.writeTextFile(
      `${dir}/prometheus.yml`,
      `global: { scrape_interval: 1s, scrape_timeout: 1s }
scrape_configs:
  - job_name: imps
    authorization: { type: Bearer, credentials: ${TOKEN} }
    static_configs: [{ targets: ["${target}"] }]
  - job_name: imps-without-token
    static_configs: [{ targets: ["${target}"] }]
`,
    );
    const child = new Deno.Command("prometheus", {
      args: [
        `--config.file=${dir}/prometheus.yml`,
        `--storage.tsdb.path=${dir}/tsdb`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      const login = await fetch(`${server.url}/csp`, {
        method: "POST",
        headers: { "content-type": "application/vnd.wv.csp.xml" },
        body: `<WV-CSP-Message xmlns="http://www.openmobilealliance.org/DTD/WV-CSP1.2"><Session>
<SessionDescriptor><SessionType>Outband</SessionType></SessionDescriptor><Transaction>
<TransactionDescriptor><TransactionMode>Request</TransactionMode><TransactionID>1</TransactionID>
</TransactionDescriptor><TransactionContent xmlns="http://www.openmobilealliance.org/DTD/WV-TRC1.2">
<Login-Request><UserID>alice</UserID><ClientID><URL>c</URL></ClientID><Password>pw</Password>
<TimeToLive>600</TimeToLive></Login-Request></TransactionContent></Transaction></Session>
</WV-CSP-Message>`,
      });
      assert.match(await login.text(), /<Code>200<\/Code>/);

      const query = async (promql: string) => {
        const url = `http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(promql)}`;
        const answer = await fetch(url).then((r) => r.json()).catch(() => undefined);
        return answer?.data?.result as {
          metric: Record<string, string>;
          value: [number, string];
        }[];
      };
      let logins, up;
      for (let i = 0; i < 60; i++) {
        logins = await query('imps_csp_transactions_total{primitive="Login-Request",code="200"}');
        up = await query("up");
        if (logins?.length && up?.length === 2) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      assert.equal(logins?.[0]?.value[1], "1", "Prometheus has alice's login");
      assert.equal(logins?.[0]?.metric.job, "imps");
      const byJob = Object.fromEntries(up!.map((r) => [r.metric.job, r.value[1]]));
      assert.deepEqual(byJob, { imps: "1", "imps-without-token": "0" });
      const targets = await fetch(`http://127.0.0.1:${port}/api/v1/targets`).then((r) => r.json());
      const refused = targets.data.activeTargets.find(
        (t: { labels: { job: string } }) => t.labels.job === "imps-without-token",
      );
      assert.match(refused.lastError, /401/);
      const sessions = await query("imps_sessions");
      assert.equal(sessions?.[0]?.value[1], "1");
      const connections = await query('imps_connections{listener="http"}');
      assert.equal(connections?.length, 1, "the guarded listener's connections are counted");
    } finally {
      child.kill("SIGTERM");
      await child.status;
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

async function usersFile(dir: string): Promise<string> {
  await Deno.writeTextFile(`${dir}/users.txt`, "alice pw\n");
  return `${dir}/users.txt`;
}
