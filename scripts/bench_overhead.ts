/**
 * `deno run -A scripts/bench_overhead.ts --base DIR [--runs 5] [bench_im options]`: what metrics,
 * logs at info (an access line per request, into a file) and the tracing hooks (OTEL_DENO unset)
 * cost in instant-messaging throughput. `DIR` is a checkout without them (e.g.
 * `git worktree add --detach ../imps-base <commit>`); its `scripts/bench_im.ts` and this
 * checkout's (with `--log`) run one round each, in turns, `--runs` times, the order swapped every
 * run. Each run has its own echo baseline. Prints every run, then the medians of the messages/s,
 * of the ratio to echo and of the server's CPU per message, and the overhead: this checkout's
 * median against the base's, by throughput and by CPU per message.
 */
const args = [...Deno.args];
function take(name: string, fallback?: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  if (i === -1) return fallback;
  const [, value] = args.splice(i, 2);
  return value;
}
const base = take("base");
const runs = Number(take("runs", "5"));
if (!base) {
  console.error("usage: bench_overhead.ts --base DIR [--runs 5] [bench_im options]");
  Deno.exit(2);
}
const here = new URL("..", import.meta.url).pathname;
const logFile = await Deno.makeTempFile({ suffix: ".log" });

interface Result {
  rate: number;
  ratio: number;
  cpu: number;
}

async function benchIm(root: string, extra: string[]): Promise<Result> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--expose-gc",
      `${root}/scripts/bench_im.ts`,
      "--rounds",
      "1",
      ...extra,
      ...args,
    ],
    cwd: root,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const rate = text.match(/median: IM (\d+) messages\/s/)?.[1];
  const ratio = text.match(/ratio: (\d+)% of echo/)?.[1];
  const cpu = text.match(/server CPU (\d+) µs per message/)?.[1];
  if (!out.success || !rate || !ratio) throw new Error(`bench_im in ${root} failed:\n${text}`);
  return { rate: Number(rate), ratio: Number(ratio), cpu: Number(cpu ?? NaN) };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const results: { base: Result[]; observed: Result[] } = { base: [], observed: [] };
try {
  for (let run = 0; run < runs; run++) {
    const order = run % 2 === 0 ? ["base", "observed"] as const : ["observed", "base"] as const;
    for (const which of order) {
      const result = which === "base"
        ? await benchIm(base, [])
        : await benchIm(here, ["--log", logFile]);
      results[which].push(result);
      console.log(
        `run ${run + 1} ${which.padEnd(8)}: ${result.rate} messages/s, ${result.ratio}% of echo, ` +
          `server CPU ${result.cpu} µs per message`,
      );
    }
  }
  const lines = (await Deno.readTextFile(logFile)).split("\n").length - 1;
  const m = (which: "base" | "observed", pick: (r: Result) => number) =>
    median(results[which].map(pick));
  for (const which of ["base", "observed"] as const) {
    console.log(
      `median ${which.padEnd(8)}: ${m(which, (r) => r.rate)} messages/s, ` +
        `${m(which, (r) => r.ratio)}% of echo, server CPU ${m(which, (r) => r.cpu)} µs per message`,
    );
  }
  // Runs next to each other share the machine's state best: each run's pair compared too.
  const paired = (pick: (r: Result) => number) =>
    median(results.observed.map((o, i) => pick(o) / pick(results.base[i])));
  console.log(
    `paired (median of each run's observed/base): throughput ` +
      `${(100 * (1 - paired((r) => r.rate))).toFixed(1)}% lower, ratio to echo ` +
      `${(100 * (1 - paired((r) => r.ratio))).toFixed(1)}% lower, CPU per message ` +
      `${(100 * (paired((r) => r.cpu) - 1)).toFixed(1)}% higher`,
  );
  /** How much less (throughput) or more (CPU) the observed checkout has, in per cent. */
  const less = (pick: (r: Result) => number) =>
    `${(100 * (1 - m("observed", pick) / m("base", pick))).toFixed(1)}%`;
  const more = (pick: (r: Result) => number) =>
    `${(100 * (m("observed", pick) / m("base", pick) - 1)).toFixed(1)}%`;
  console.log(
    `overhead: throughput ${less((r) => r.rate)} lower, ratio to echo ${less((r) => r.ratio)} ` +
      `lower, CPU per message ${more((r) => r.cpu)} higher ` +
      `(${lines} log lines written by the last observed run)`,
  );
} finally {
  await Deno.remove(logFile);
}
