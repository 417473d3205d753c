import assert from "node:assert/strict";
import { noteOf, resultMark, summaryCounts } from "../../scripts/test_report.ts";

// As deno test prints them, colours included, one file at a time and in parallel.
const SEQUENTIAL = `running 3 tests from ./test/e2e/http_test.ts
\x1b[0mnote: openssl not found; the HTTPS test is skipped
alice logs in ... \x1b[0m\x1b[32mok\x1b[0m \x1b[0m\x1b[38;5;245m(1s)\x1b[0m
a bad setting stops the server ... FAILED (12ms)
with TLS the server speaks HTTPS ... ignored (0ms)
a long one ...'a long one' has been running for over (1m0s)
 ok (1m15s)
a test with steps ...
  first step ... ok (3ms)
a test with steps ... ok (5ms)
------- post-test output -------
warning: something ... ok (a line of output, not a result)
----- post-test output end -----

FAILED | 3 passed | 1 failed | 1 ignored (1m20s)
`;
const PARALLEL = `./test/unit/admin_test.ts => the admin command adds ... ok (987ms)
./test/e2e/http_test.ts => a bad setting ... FAILED (23ms)
note: shared Baraza fixtures not found beside the checkout; 12 skipped
\x1b[0m\x1b[32mok\x1b[0m | 120 passed (3 steps) | 0 failed | 2 ignored (4s)
`;

Deno.test("each finished test gets one mark, in both of deno's layouts", () => {
  const marks = (output: string) => output.split("\n").map(resultMark).filter(Boolean).join("");
  assert.equal(marks(SEQUENTIAL), ".Fs..");
  assert.equal(marks(PARALLEL), ".F");
});

Deno.test("the suites' notes are picked out wherever they are printed", () => {
  const notes = [...SEQUENTIAL.split("\n"), ...PARALLEL.split("\n")].map(noteOf).filter(Boolean);
  assert.deepEqual(notes, [
    "note: openssl not found; the HTTPS test is skipped",
    "note: shared Baraza fixtures not found beside the checkout; 12 skipped",
  ]);
});

Deno.test("the counts come from deno's last summary line", () => {
  assert.deepEqual(summaryCounts(SEQUENTIAL), { passed: 3, failed: 1, ignored: 1 });
  assert.deepEqual(summaryCounts(PARALLEL), { passed: 120, failed: 0, ignored: 2 });
  assert.equal(summaryCounts("error: Module not found\n"), undefined);
});
