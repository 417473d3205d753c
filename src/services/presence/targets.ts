/**
 * The users and contact lists a presence request names, in any version's form (≤1.2 `User*`,
 * `UserID*`, `ContactList*`; 1.3 `UserIDList`, `ContactListIDList`), and the answer that says
 * which of them failed (201 with DetailedResults, digest §2.1).
 */
import type { ElementObject, Primitive } from "../../codec/csp/message.ts";
import type { RequestContext } from "../../session/handler.ts";
import { describe, ProtocolError, result } from "../../session/status.ts";
import { all, obj, str, strs } from "../../session/values.ts";
import { parseUserId } from "../shared/ids.ts";
import { type ContactListAddress, parseContactListId } from "./ids.ts";
import type { ContactListRecord, PresenceRepo } from "./repo.ts";
import { LIMITS } from "./limits.ts";

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
  repo: PresenceRepo,
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

interface Failure {
  description: string;
  users: string[];
  lists: string[];
}

/** Collects per-target failures of a request and turns them into its Result. */
export class Outcome {
  readonly #failures = new Map<number, Failure>();
  #succeeded = 0;

  succeed(): void {
    this.#succeeded++;
  }

  failUser(code: number, user: string, description = describe(code)): void {
    this.#failure(code, description).users.push(user);
  }

  /** A user counted as a success turned out to fail after all. */
  failUserAfterAll(code: number, user: string, description = describe(code)): void {
    this.#succeeded--;
    this.failUser(code, user, description);
  }

  failList(code: number, list: string, description = describe(code)): void {
    this.#failure(code, description).lists.push(list);
  }

  /** A ProtocolError about one list becomes a failure of that list. */
  failListWith(error: unknown, list: string): void {
    if (!(error instanceof ProtocolError)) throw error;
    this.failList(error.code, list, error.message || describe(error.code));
  }

  #failure(code: number, description: string): Failure {
    let failure = this.#failures.get(code);
    if (!failure) this.#failures.set(code, failure = { description, users: [], lists: [] });
    return failure;
  }

  /** 200; one code with DetailedResults when everything failed alike; else 201. */
  result(): ElementObject {
    if (this.#failures.size === 0) return result(200);
    const details = [...this.#failures].map(([code, f]) => {
      const detail: ElementObject = { ...result(code, f.description) };
      if (f.users.length) detail.UserID = f.users;
      if (f.lists.length) detail.ContactList = f.lists;
      return detail;
    });
    const [onlyCode] = this.#failures.keys();
    const code = this.#succeeded === 0 && this.#failures.size === 1 ? onlyCode : 201;
    return { ...result(code), DetailedResult: details };
  }

  status(): Primitive {
    return { name: "Status", body: { Result: this.result() } };
  }
}
