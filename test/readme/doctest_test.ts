/** The README runner itself: what it runs, what it refuses, and that a wrong README fails. */
import assert from "node:assert/strict";
import { readBlocks, runBlocks } from "./doctest.ts";

const ROOT = new URL("../../", import.meta.url);
const fence = (info: string, body: string) => "```" + info + "\n" + body + "\n```\n";

Deno.test("blocks are read with their kind, section, and checks", () => {
  const { blocks, errors } = readBlocks(
    "# T\n\n## One\n\n" + fence("sh", "echo hi   # => hi\n# => ...") +
      fence("sh server", "IMPS_PORT=1 \\\n  npx -y deno@2.9.6 task start  # comment") +
      "## Two\n" + fence("sh ignore", "systemctl start imps") + fence("text", "plain"),
  );
  assert.deepEqual(errors, []);
  assert.deepEqual(blocks.map((b) => [b.kind, b.section, b.line]), [
    ["run", "One", 5],
    ["server", "One", 9],
    ["ignore", "Two", 14],
    ["shown", "Two", 17],
  ]);
  assert.deepEqual(blocks[0].checks, [{ line: 6, text: "hi" }, { line: 7, text: "..." }]);
});

Deno.test("what the convention refuses is named with its line", () => {
  const { errors } = readBlocks(
    fence("bash", "echo") + fence("", "x") + fence("sh run", "echo") +
      fence("sh", 'X=$RANDOM\n[[ -n "$X" ]] && echo -e y\ndeno task start') +
      fence("sh server", "npx -y deno@2.9.6 task start # => banner") +
      fence("sh server", "echo a\necho b") +
      "Run `deno task test`, or `npx -y deno@2.9.6 task test`.\n",
  );
  assert.deepEqual(errors, [
    "line 1: ```bash: fence commands as sh (run), sh server or sh ignore, anything else as one of text, ini, xml, yaml, json, dockerfile, ts",
    "line 4: ```: fence commands as sh (run), sh server or sh ignore, anything else as one of text, ini, xml, yaml, json, dockerfile, ts",
    "line 7: ```sh run: after sh, write nothing, server or ignore",
    "line 11: $RANDOM is not POSIX sh",
    "line 12: [[ is not POSIX sh",
    "line 12: echo -e (use printf) is not POSIX sh",
    "line 13: write deno as `npx -y deno@2.9.6 …`",
    "line 15: a server block's output is not checked; drop its # =>",
    "line 18: a server block holds one command",
    "line 22: `deno task test`: write deno as `npx -y deno@2.9.6 …`",
  ]);
});

Deno.test("a README whose commands print what it says passes; a wrong check fails at its line", async () => {
  const doc = "## A\n" + fence("sh", 'X=hello\necho "$X world"   # => hello ...d') +
    fence("sh", 'echo "$X again"\n# => again\necho first; echo second\n# => second\n# => first');
  const { blocks } = readBlocks(doc);
  const { failures } = await runBlocks(blocks, { root: ROOT });
  assert.equal(failures.length, 1, JSON.stringify(failures));
  assert.equal(failures[0].line, 11, "the check after the one that matched later output");
  assert.match(failures[0].message, /expected "first" in the output after the previous check/);
});

Deno.test("a failing command fails its block, and nothing after it runs", async () => {
  const doc = fence("sh", "echo one") + fence("sh", "echo two\nfalse\necho three  # => three") +
    fence("sh", "echo four  # => four");
  const { blocks } = readBlocks(doc);
  const { failures } = await runBlocks(blocks, { root: ROOT });
  assert.deepEqual(failures.map((f) => f.line), [4]);
  assert.match(failures[0].message, /a command failed \(exit code 1\); the block printed:\ntwo\n/);
});

Deno.test("a server block runs beside the next blocks and is stopped at the end of its section", async () => {
  const doc = "## Server\n" +
    fence(
      "sh server",
      "IMPS_DATA=:memory: IMPS_PORT=18123 IMPS_CORE=ts npx -y deno@2.9.6 task start",
    ) +
    fence("sh", "curl -s http://127.0.0.1:18123/healthz  # => ok") +
    "## After\n" +
    fence("sh", "curl -s http://127.0.0.1:18123/healthz || echo refused  # => refused");
  const { blocks } = readBlocks(doc);
  const { failures } = await runBlocks(blocks, { root: ROOT });
  assert.deepEqual(failures, []);
});

Deno.test("a server that ends before its banner fails its block with what it printed", async () => {
  const doc = fence("sh server", "IMPS_PORT=eighty npx -y deno@2.9.6 task start") +
    fence("sh", "echo never");
  const { blocks } = readBlocks(doc);
  const { failures } = await runBlocks(blocks, { root: ROOT });
  assert.deepEqual(failures.map((f) => f.line), [1]);
  assert.match(failures[0].message, /ended before it printed its banner.*IMPS_PORT must be/s);
});

Deno.test("a server still answering after SIGTERM to its command fails its block", async () => {
  const deaf =
    "Deno.addSignalListener('SIGTERM', () => {}); Deno.serve({ port: 18124, onListen() " +
    "{ console.log('deaf on http://127.0.0.1:18124/csp') } }, () => new Response('ok'))";
  const { blocks } = readBlocks(fence("sh server", `npx -y deno@2.9.6 eval "${deaf}"`));
  const { failures } = await runBlocks(blocks, { root: ROOT, stopWaitS: 1 });
  assert.deepEqual(failures.map((f) => f.line), [1]);
  assert.match(failures[0].message, /still answered after SIGTERM.*deaf on/s);
});
