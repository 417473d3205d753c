/**
 * The conversation suites again, against the shapes of several instances on one store
 * (`test/support/shapes.ts`): two `deno task start` servers in shared mode, and the Deploy entry
 * in two `deno serve` workers, each behind a round-robin proxy, so that a client's consecutive
 * requests reach different instances. Each shape runs the suites in a `deno test` of its own
 * (`CSP_TEST_SHAPE`); the rest of the suites run in one process only.
 */
import { runSuites } from "../support/shapes.ts";

/** Presence, IM (with acknowledgements retried on another instance), groups and invitations:
 * each element's main conversations. Federation runs in `federation_suites_test.ts`. */
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
    await runSuites(shape, suites, 40);
  });
}
