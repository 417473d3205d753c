/**
 * The federation suites against the shared shape: every domain of them (a.test, b.test, …) runs
 * as two server processes on one KV file behind a round-robin proxy, so a peer's SSP posts,
 * handshake steps and answers reach either instance, whichever sent the request they answer
 * (`test/support/shapes.ts`). Each peer wire (ours, Baraza's) runs, as in one process. Against
 * the Deploy entry (two `deno serve` workers per domain), the IM conversation with each peer
 * wire.
 */
import { runSuites } from "../support/shapes.ts";

const SUITES = [
  "test/ssp/federation_im_test.ts",
  "test/ssp/federation_presence_test.ts",
  "test/ssp/federation_group_test.ts",
  "test/ssp/federation_invite_test.ts",
];

Deno.test("the federation suites pass between domains of two instances each, behind round-robin proxies", async () => {
  await runSuites("shared", SUITES, 24);
});

Deno.test("IM both ways between domains served by the deploy entry in two deno serve workers, with our wire and Baraza's", async () => {
  await runSuites("deploy", ["test/ssp/federation_im_test.ts"], 2, "bob answers: both arrive");
});
