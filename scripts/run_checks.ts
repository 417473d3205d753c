/**
 * `deno task test`: format check, lint, type check and every test, shown as a few lines of
 * progress (one character per test) and a summary with the skip notes of all suites together,
 * closing with one line `N passed, N failed` (CI reads it). On a failure deno's whole output is
 * shown; `--verbose` (or `-v`) passes it through as it comes. Other arguments go to `deno test`
 * (e.g. `--filter login`). Stops at the first step that fails.
 *
 * Test files run two at a time (`--parallel`, one per core on a 2-core machine): many suites
 * spend their time waiting on servers and child processes, which the other file fills.
 */
import { noteOf, resultMark, summaryCounts } from "./test_report.ts";

const verbose = Deno.args.includes("--verbose") || Deno.args.includes("-v");
const testArgs = Deno.args.filter((a) => a !== "--verbose" && a !== "-v");
const started = Date.now();
const encoder = new TextEncoder();
const print = (text: string) => Deno.stdout.writeSync(encoder.encode(text));
const seconds = (ms: number) =>
  ms < 60_000
    ? `${Math.round(ms / 1000)} s`
    : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;

/** Runs deno with `args`, handing each line of its output (both streams) to `onLine`. */
async function deno(
  args: string[],
  onLine: (line: string) => void,
): Promise<{ success: boolean; output: string }> {
  const child = new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "piped" })
    .spawn();
  let output = "";
  const read = async (stream: ReadableStream<Uint8Array>) => {
    let pending = "";
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      output += text;
      const lines = (pending + text).split("\n");
      pending = lines.pop()!;
      lines.forEach(onLine);
    }
    if (pending) onLine(pending);
  };
  await Promise.all([read(child.stdout), read(child.stderr)]);
  return { success: (await child.status).success, output };
}

function fail(step: string, output: string): never {
  print(`\n${output}\n`);
  console.error(`deno ${step} failed`);
  console.log("0 passed, 1 failed");
  Deno.exit(1);
}

const steps: string[][] = [["fmt", "--check"], ["lint"], ["check", "src/", "test/", "scripts/"]];
print("checks:");
for (const args of steps) {
  const { success, output } = await deno(args, verbose ? (line) => print(`${line}\n`) : () => {});
  if (!success) fail(args.join(" "), verbose ? "" : output);
  print(` ${args[0]} ok`);
}
print(` (${seconds(Date.now() - started)})\n`);

const notes = new Set<string>();
let column = 0;
const testsStarted = Date.now();
if (!verbose) print("tests:  ");
const { success, output } = await deno(
  ["test", "--allow-all", "--parallel", ...testArgs, "test/"],
  (line) => {
    const note = noteOf(line);
    if (note) notes.add(note);
    if (verbose) return print(`${line}\n`);
    const mark = resultMark(line);
    if (!mark) return;
    if (column === 100) {
      print("\n        ");
      column = 0;
    }
    print(mark);
    column++;
  },
);
if (!verbose) print("\n");
if (!success && !verbose) print(`\n${output}\n`);

const counts = summaryCounts(output) ?? { passed: 0, failed: 0, ignored: 0 };
const { passed, ignored } = counts;
// A run that failed without a summary (deno could not start the tests) counts as one failure.
const failed = counts.failed || (success ? 0 : 1);
if (notes.size > 0) {
  print(`\nwhat the suites skipped, and why:\n${[...notes].map((n) => `  ${n}\n`).join("")}`);
}
print(
  `\n${passed + failed + ignored} test${passed + failed + ignored === 1 ? "" : "s"} in ` +
    `${seconds(Date.now() - testsStarted)}` +
    `${ignored ? `, ${ignored} skipped` : ""}; all checks in ${seconds(Date.now() - started)}\n`,
);
console.log(`${passed} passed, ${failed} failed`);
Deno.exit(success ? 0 : 1);
