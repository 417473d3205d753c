/**
 * `deno task test`: format check, lint, type check and every test, then one closing line
 * `N passed, N failed` (CI reads it). Stops at the first step that fails.
 */
const steps: string[][] = [
  ["fmt", "--check"],
  ["lint"],
  ["check", "src/", "test/", "scripts/"],
];

for (const args of steps) {
  const { success } = await new Deno.Command(Deno.execPath(), {
    args,
    stdout: "inherit",
    stderr: "inherit",
  })
    .output();
  if (!success) {
    console.error(`deno ${args.join(" ")} failed`);
    console.log("0 passed, 1 failed");
    Deno.exit(1);
  }
}

const test = new Deno.Command(Deno.execPath(), {
  args: ["test", "--allow-all", ...Deno.args, "test/"],
  stdout: "piped",
  stderr: "inherit",
}).spawn();

// Pass the output through while keeping its last lines to find deno's summary.
let tail = "";
const decoder = new TextDecoder();
for await (const chunk of test.stdout) {
  await Deno.stdout.write(chunk);
  tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4096);
}
const { success } = await test.status;
// deno test ends with e.g. "ok | 120 passed (3 steps) | 0 failed | 2 ignored (4s)".
// deno-lint-ignore no-control-regex
const plain = tail.replace(/\x1b\[[0-9;]*m/g, "");
const count = (label: string) => Number(plain.match(new RegExp(`(\\d+) ${label}`))?.[1] ?? 0);
const passed = count("passed");
const failed = count("failed") || (success ? 0 : 1);
const ignored = count("ignored");
console.log(`${passed} passed, ${failed} failed${ignored ? `, ${ignored} skipped` : ""}`);
Deno.exit(success ? 0 : 1);
