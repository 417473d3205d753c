/**
 * The README's examples run as written (see doctest.ts for the convention): a README that
 * drifts from what the server does fails the build.
 */
import assert from "node:assert/strict";
import { SETTINGS } from "../../src/config.ts";
import { readBlocks, runBlocks } from "./doctest.ts";

const ROOT = new URL("../../", import.meta.url);
const README = await Deno.readTextFile(new URL("README.md", ROOT));

const missing = [];
for (const tool of ["curl", "setsid"]) {
  const found = await new Deno.Command(tool, {
    args: ["--version"],
    stdout: "null",
    stderr: "null",
  })
    .output().then(() => true, () => false);
  if (!found) missing.push(tool);
}
if (missing.length > 0) {
  console.log(`note: ${missing.join(" and ")} not found; the README examples are not run`);
}

Deno.test("the README's code blocks follow the convention of its contributor notes", () => {
  const { errors } = readBlocks(README);
  assert.deepEqual(errors, []);
});

Deno.test("every setting of --help is in a table of the README", () => {
  const undocumented = SETTINGS.map((s) => s.env).filter((name) =>
    !new RegExp(`^\\|[^\\n]*\`${name}\``, "m").test(README)
  );
  assert.deepEqual(undocumented, []);
});

Deno.test({
  name: "every sh block of the README runs as written and prints what it says",
  ignore: missing.length > 0,
  async fn() {
    const { blocks } = readBlocks(README);
    const { failures, isolated, output } = await runBlocks(blocks, { root: ROOT });
    if (!isolated) console.log("note: README examples ran on this machine's ports (no unshare)");
    assert.deepEqual(
      failures.map((f) => `README.md:${f.line}: ${f.message}`),
      [],
      `the whole run printed:\n${output}`,
    );
  },
});
