/** Per-recipient results of Invite and CancelInvite, and the Result that sums them up. */
import type { ElementObject } from "../../codec/csp/message.ts";
import { describe } from "../../session/status.ts";

export interface RecipientOutcome {
  /** The DetailedResult child naming the recipient. */
  kind: "UserID" | "GroupID" | "ContactList";
  id: string;
  code: number;
  description?: string;
}

/**
 * 200 when every recipient succeeded; 201 with a DetailedResult per failure code when some did;
 * the one failure code (or 900) when none did — the shape IM's SendMessage answers with.
 */
export function summarise(outcomes: readonly RecipientOutcome[]): ElementObject {
  const failed = outcomes.filter((o) => o.code !== 200);
  if (failed.length === 0) return { Code: 200, Description: describe(200) };
  const details: ElementObject[] = [];
  for (const code of new Set(failed.map((o) => o.code))) {
    const same = failed.filter((o) => o.code === code);
    const detail: ElementObject = {
      Code: code,
      Description: same[0].description ?? describe(code),
    };
    for (const o of same) ((detail[o.kind] ??= []) as string[]).push(o.id);
    details.push(detail);
  }
  const code = failed.length < outcomes.length
    ? 201
    : details.length === 1
    ? Number(details[0].Code)
    : 900;
  const description = code === 201
    ? describe(201)
    : code === 900
    ? "Multiple errors"
    : String(details[0].Description);
  return { Code: code, Description: description, DetailedResult: details };
}
