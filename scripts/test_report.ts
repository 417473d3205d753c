/**
 * Reading `deno test`'s output for the test command's short display (`run_checks.ts`): a mark
 * per finished test, the skip notes the suites print, and the counts of deno's summary line.
 * Both of deno's layouts are read: `name ... ok (5ms)` under a `running N tests from` header,
 * and `./test/x_test.ts => name ... ok (5ms)` when files run in parallel.
 */

// deno-lint-ignore no-control-regex
export const plain = (text: string): string => text.replace(/\x1b\[[0-9;]*m/g, "");

/** A finished test, or its result on a line of its own after output it printed meanwhile. */
const RESULT = /(?:\.\.\. ?|^ ?)(ok|FAILED|ignored) \(\d/;
const MARKS: Record<string, string> = { ok: ".", FAILED: "F", ignored: "s" };

/** The mark of a finished test (`.`, `F`, `s`) if the line reports one; steps count with their test. */
export function resultMark(line: string): string | undefined {
  const text = plain(line);
  if (text.startsWith("  ")) return undefined;
  const result = text.match(RESULT);
  return result ? MARKS[result[1]] : undefined;
}

/** A suite's note (`note: …`, printed where it skips what the machine cannot run). */
export function noteOf(line: string): string | undefined {
  return plain(line).match(/^note: .*/)?.[0];
}

export interface Counts {
  passed: number;
  failed: number;
  ignored: number;
}

/** The counts of deno's closing line, e.g. `ok | 120 passed (3 steps) | 0 failed | 2 ignored`. */
export function summaryCounts(output: string): Counts | undefined {
  const summary = plain(output).split("\n").reverse().find((l) => /^(ok|FAILED) \|/.test(l));
  if (!summary) return undefined;
  const count = (label: string) => Number(summary.match(new RegExp(`(\\d+) ${label}`))?.[1] ?? 0);
  return { passed: count("passed"), failed: count("failed"), ignored: count("ignored") };
}
