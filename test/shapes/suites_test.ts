/**
 * The conversation suites again, against the shapes of several instances on one store
 * (`test/support/shapes.ts`): two `deno task start` servers in shared mode, and the Deploy entry
 * in two `deno serve` workers, each behind a round-robin proxy, so that a client's consecutive
 * requests reach different instances. Each shape runs the suites in a `deno test` of its own
 * (`CSP_TEST_SHAPE`); the rest of the suites run in one process only.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);

/** Presence, IM (with acknowledgements retried on another instance), groups and invitations:
 * each element's main conversations. Federation between domains of several instances each is not
 * among them: its messages do not arrive yet in that shape (see the README's Shapes). */
const SUITES = {
  shared: [
    "test/im/delivery_test.ts",
    "test/im/acknowledgement_test.ts",
    "test/presence/presence_test.ts",
    "test/group/conversation_test.ts",
    "test/invite/invite_test.ts",
  ],
  deploy: [
    "test/im/delivery_test.ts",
    "test/presence/presence_test.ts",
    "test/group/conversation_test.ts",
  ],
};

for (const [shape, suites] of Object.entries(SUITES)) {
  Deno.test(`the conversation suites pass against the ${shape} shape behind a round-robin proxy`, async () => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["test", "--allow-all", ...suites],
      cwd: ROOT,
      env: { CSP_TEST_SHAPE: shape, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    const summary = text.match(/(ok|FAILED) \| (\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/);
    assert.ok(out.success && summary, `${shape} shape:\n${text.slice(-6000)}`);
    assert.equal(Number(summary[3]), 0);
    assert.ok(Number(summary[2]) >= 40, `${shape} shape ran its suites: ${summary[0]}`);
  });
}
