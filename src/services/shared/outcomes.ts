/**
 * What became of each recipient (or target) of a request, and the one Result that sums them up
 * (digest §3): 200 when every one succeeded; otherwise a DetailedResult per failure code naming
 * its recipients, with 201 when some succeeded, else the code they all failed with, or 900
 * (multiple errors) when they failed in different ways. SendMessage, ForwardMessage, Invite,
 * CancelInvite, the group primitives about several users, the presence primitives about users
 * and lists, and the SSP answers to a peer's messages all answer this way.
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { DetailedResult } from "../../codec/ssp/mod.ts";
import { describe, result } from "../../session/status.ts";

export interface RecipientOutcome {
  /** The DetailedResult child that names the recipient. */
  kind: "UserID" | "GroupID" | "ContactList";
  id: string;
  /** 200 when it went well. */
  code: number;
  description?: string;
}

/** The recipients that failed alike. */
export interface Failure {
  code: number;
  /** The first such recipient's description, else the code's. */
  description: string;
  outcomes: RecipientOutcome[];
}

export interface Summary {
  code: number;
  /** The Result's description: the failures' own when they all failed alike. */
  description: string;
  /** One per failure code, in the order the codes were first met. */
  failures: Failure[];
}

/** Where a summary departs from the rule above: presence answers a request whose every target
 * failed, in different ways, with 201 (not 900), and describes a shared code generically. */
export interface SummaryStyle {
  allFailedMixed?: 201 | 900;
  genericDescription?: boolean;
}

export function summarise(
  outcomes: readonly RecipientOutcome[],
  style: SummaryStyle = {},
): Summary {
  const byCode = new Map<number, Failure>();
  let succeeded = 0;
  for (const outcome of outcomes) {
    if (outcome.code === 200) {
      succeeded++;
      continue;
    }
    const failure = byCode.get(outcome.code);
    if (failure) failure.outcomes.push(outcome);
    else {
      const description = outcome.description ?? describe(outcome.code);
      byCode.set(outcome.code, { code: outcome.code, description, outcomes: [outcome] });
    }
  }
  const failures = [...byCode.values()];
  if (failures.length === 0) return { code: 200, description: describe(200), failures };
  if (succeeded > 0) return { code: 201, description: describe(201), failures };
  if (failures.length > 1) {
    const code = style.allFailedMixed ?? 900;
    return { code, description: code === 900 ? "Multiple errors" : describe(code), failures };
  }
  const [only] = failures;
  const description = style.genericDescription ? describe(only.code) : only.description;
  return { code: only.code, description, failures };
}

/** A summary as the CSP `Result` element, with its DetailedResults. */
export function resultOf(summary: Summary): ElementObject {
  const top = result(summary.code, summary.description);
  if (summary.failures.length === 0) return top;
  const details = summary.failures.map((failure) => {
    const detail: ElementObject = result(failure.code, failure.description);
    for (const o of failure.outcomes) ((detail[o.kind] ??= []) as string[]).push(o.id);
    return detail;
  });
  return { ...top, DetailedResult: details };
}

/** A summary's failures as the DetailedResults of an SSP Status (users only). */
export function sspDetails(summary: Summary): DetailedResult[] {
  return summary.failures.map((f) => ({
    code: f.code,
    description: f.description,
    userIds: f.outcomes.map((o) => o.id),
  }));
}
