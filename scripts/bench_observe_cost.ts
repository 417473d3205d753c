/**
 * `deno run -A scripts/bench_observe_cost.ts > /dev/null`: what the observability and limits add
 * to one HTTP request of the IM load, part by part, without a server (no I/O but the log's
 * writes: the access lines go to stdout as `main.ts` writes them, the figures to stderr):
 *
 * - `request`: `observeRequests` around an app that answers at once (the request count, the
 *   access line formatted, batched and written), less that app called alone;
 * - `transaction`: the counters, histogram and clock readings of a message and its transaction;
 * - `limits`: the rate-limit buckets a request takes (a send takes four, a poll two).
 *
 * Half the requests are sends, half polls, from 100 users. The parts take turns in each of 9
 * rounds of 100,000 requests; medians in µs per request. The IM server spends 100–300 µs of CPU
 * per message (two requests), which puts the figures in proportion.
 */
import { loadConfig } from "../src/config.ts";
import { log } from "../src/observe/log.ts";
import { Metrics } from "../src/observe/metrics.ts";
import { RateLimits } from "../src/session/rates.ts";
import { observedOf, observeRequests } from "../src/transport/observe_http.ts";

const N = 100_000;
const ROUNDS = 9;
log.configure({ level: "info", batched: true, accessTo: Deno.stdout });
const metrics = new Metrics();
const rates = new RateLimits(loadConfig({}));
const users = Array.from({ length: 100 }, (_, i) => `wv:user${i}@bench.test`);
const sessions = users.map((_, i) => `${i}`.padStart(32, "0"));
const info = { remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 40000 } };
const requests = users.map(() => new Request("http://127.0.0.1/csp", { method: "POST" }));
const answer = new Response(null);

/** The app: fills in the record as the CSP endpoint does, and answers at once. */
const app = (request: Request, _info?: unknown) => {
  const observed = observedOf(request);
  if (observed) {
    observed.primitive = "SendMessage-Request";
    observed.user = users[0];
  }
  return Promise.resolve(answer);
};
const observed = observeRequests(app, metrics);

const parts: Record<string, (i: number) => unknown> = {
  app: (i) => app(requests[i % 100]),
  request: (i) => observed(requests[i % 100], info),
  transaction: (i) => {
    metrics.cspMessage("XML", "1.2");
    const started = metrics.now();
    const primitive = i % 2 === 0 ? "SendMessage-Request" : "Polling-Request";
    metrics.transaction(primitive, 200, (metrics.now() - started) / 1000);
  },
  limits: (i) => {
    const user = users[i % 100];
    rates.take("session_requests", sessions[i % 100], 1, i);
    rates.take("user_requests", user, 1, i);
    if (i % 2 === 0) {
      rates.take("messages", user, 1, i);
      rates.take("recipients", user, 1, i);
    }
  },
};

const times: Record<string, number[]> = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, part] of Object.entries(parts)) {
    const started = performance.now();
    for (let i = 0; i < N; i++) {
      const done = part(round * N + i);
      if (done instanceof Promise) await done;
    }
    log.flush();
    (times[name] ??= []).push((performance.now() - started) * 1000 / N);
  }
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];
const request = median(times.request.map((t, i) => t - times.app[i]));
const transaction = median(times.transaction);
const limits = median(times.limits);
console.error(
  `µs per request (medians of ${ROUNDS} rounds): request ${request.toFixed(2)} (count and ` +
    `access line), transaction ${transaction.toFixed(2)} (metrics and clock), limits ` +
    `${limits.toFixed(2)}; total ${(request + transaction + limits).toFixed(2)}`,
);
