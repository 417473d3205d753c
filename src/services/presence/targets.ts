/**
 * The users and contact lists a presence request names, in any version's form (≤1.2 `User*`,
 * `UserID*`, `ContactList*`; 1.3 `UserIDList`, `ContactListIDList`), and the answer that says
 * which of them failed (201 with DetailedResults, digest §2.1).
 */
import type { ElementObject, Primitive } from "../../codec/csp/message.ts";
import type { RequestContext } from "../../session/handler.ts";
import { describe, ProtocolError } from "../../session/status.ts";
import { all, obj, str, strs } from "../../session/values.ts";
import { type ContactListAddress, parseContactListId, parseUserId } from "../shared/ids.ts";
import type { ContactListRecord, PresenceStorage } from "./storage.ts";
import { LIMITS } from "./limits.ts";
import {
  type RecipientOutcome,
  resultOf,
  summarise,
  type SummaryStyle,
} from "../shared/outcomes.ts";

const SUCCEEDED: RecipientOutcome = { kind: "UserID", id: "", code: 200 };
/** A presence request about users and lists is partly served whatever failed: a mix of failures
 * is 201, and a code they share is described as the code, not as the targets' failure. */
const PRESENCE_STYLE: SummaryStyle = { allFailedMixed: 201, genericDescription: true };

/** The user a request names by UserID, as a local or remote id: 400 if absent, 531 if invalid. */
export function watcherId(ctx: RequestContext, raw: string | undefined): string {
  if (raw === undefined) throw new ProtocolError(400, "UserID missing");
  const address = parseUserId(raw, ctx.server.config.domain);
  if (!address) throw new ProtocolError(531, "Invalid user ID");
  return address.id;
}

export interface RawTargets {
  users: string[];
  lists: string[];
}

export function readTargets(body: ElementObject): RawTargets {
  const users = [
    ...all(body.User).map((u) => str(obj(u)?.UserID)).filter((u): u is string => u !== undefined),
    ...strs(body.UserID),
    ...strs(obj(body.UserIDList)?.UserID),
  ];
  const lists = [...strs(body.ContactList), ...strs(obj(body.ContactListIDList)?.ContactList)];
  if (users.length + lists.length > LIMITS.targets) {
    throw new ProtocolError(402, "Too many targets");
  }
  return { users, lists };
}

export type UserTarget =
  | { kind: "invalid"; raw: string }
  | { kind: "local"; id: string }
  | { kind: "remote"; id: string; domain: string };

export function resolveUser(raw: string, domain: string): UserTarget {
  const address = parseUserId(raw, domain);
  if (!address) return { kind: "invalid", raw };
  return address.domain === domain
    ? { kind: "local", id: address.id }
    : { kind: "remote", id: address.id, domain: address.domain };
}

/**
 * The caller's own contact list named by `raw`. Malformed: 402; another user's list: 403 (decided
 * from the id alone, so it says nothing about whether that list exists); not there: 700.
 */
export async function ownList(
  ctx: RequestContext,
  repo: PresenceStorage,
  raw: string | undefined,
): Promise<ContactListRecord> {
  const address = ownListAddress(ctx, raw);
  const record = await repo.list(address.owner, address.id);
  if (!record) throw new ProtocolError(700, `No contact list ${address.id}`);
  return record;
}

export function ownListAddress(ctx: RequestContext, raw: string | undefined): ContactListAddress {
  if (raw === undefined) throw new ProtocolError(400, "ContactList missing");
  const address = parseContactListId(raw, ctx.server.config.domain);
  if (!address) throw new ProtocolError(402, `Invalid contact list ID ${raw}`);
  if (address.owner !== ctx.session!.userId) {
    throw new ProtocolError(403, "Contact list of another user");
  }
  return address;
}

/** Collects per-target outcomes of a request and turns them into its Result. */
export class Outcome {
  /** The failures, and one success each for the targets that went well. */
  readonly #outcomes: RecipientOutcome[] = [];

  succeed(): void {
    this.#outcomes.push(SUCCEEDED);
  }

  failUser(code: number, user: string, description = describe(code)): void {
    this.#outcomes.push({ kind: "UserID", id: user, code, description });
  }

  /** A user counted as a success turned out to fail after all. */
  failUserAfterAll(code: number, user: string, description = describe(code)): void {
    const success = this.#outcomes.indexOf(SUCCEEDED);
    if (success >= 0) this.#outcomes.splice(success, 1);
    this.failUser(code, user, description);
  }

  failList(code: number, list: string, description = describe(code)): void {
    this.#outcomes.push({ kind: "ContactList", id: list, code, description });
  }

  /** A ProtocolError about one list becomes a failure of that list. */
  failListWith(error: unknown, list: string): void {
    if (!(error instanceof ProtocolError)) throw error;
    this.failList(error.code, list, error.message || describe(error.code));
  }

  /** 200; one code with DetailedResults when everything failed alike; else 201. */
  result(): ElementObject {
    return resultOf(summarise(this.#outcomes, PRESENCE_STYLE));
  }

  status(): Primitive {
    return { name: "Status", body: { Result: this.result() } };
  }
}
