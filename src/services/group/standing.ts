/**
 * Finding the group a request names and where the caller stands in it (role, joined, rejected),
 * the checks every primitive shares, the per-version shape of user lists in requests, and the
 * Result of a request about several users.
 */
import type { ElementObject, Primitive } from "../../codec/csp/message.ts";
import type { HandlerReply, RequestContext } from "../../session/handler.ts";
import { describe, ProtocolError } from "../../session/status.ts";
import { all, obj, str, strs } from "../../session/values.ts";
import { parseGroupId, parseUserId } from "../shared/ids.ts";
import { type RecipientOutcome, resultOf, summarise } from "../shared/outcomes.ts";
import { GROUP_DOES_NOT_EXIST, GROUP_TEXT, INSUFFICIENT_PRIVILEGES, REJECTED } from "./codes.ts";
import { MAX_USERS_PER_REQUEST } from "./limits.ts";
import type { Groups } from "./element.ts";
import { forward } from "./federation_member.ts";
import { atLeast, type Role } from "./properties.ts";
import type { GroupRecord, GroupStorage, JoinedRecord } from "./storage.ts";

export interface Standing {
  repo: GroupStorage;
  group: GroupRecord;
  user: string;
  /** The caller's role as an explicit member; undefined for everyone else. */
  role?: Role;
  joined?: JoinedRecord;
  rejected: boolean;
}

/** A member or a joined user: may see who is in the group. */
export const isInsider = (s: Standing) => s.role !== undefined || s.joined !== undefined;

/** The role that decides what the caller may do: joined non-members act as Users. */
export const effectiveRole = (s: Standing): Role | undefined =>
  s.role ?? (s.joined ? "User" : undefined);

export function requireRole(s: Standing, least: Role, what: string): void {
  if (!atLeast(effectiveRole(s), least)) {
    throw new ProtocolError(INSUFFICIENT_PRIVILEGES, `${what} needs the ${least} role`);
  }
}

async function standingIn(
  { repo }: Groups,
  ctx: RequestContext,
  groupId: string,
): Promise<Standing> {
  const user = ctx.session!.userId;
  const [group, role, joined, rejected] = await Promise.all([
    repo.group(groupId),
    repo.role(groupId, user),
    repo.joinedRecord(groupId, user),
    repo.isRejected(groupId, user),
  ]);
  const standing = group && { repo, group, user, role, joined, rejected };
  // A private group does not exist for outsiders: they learn nothing of it.
  if (!standing || (group.properties.Type === "Private" && !isInsider(standing))) {
    throw new ProtocolError(GROUP_DOES_NOT_EXIST, GROUP_TEXT[GROUP_DOES_NOT_EXIST]);
  }
  return standing;
}

/**
 * Runs a group primitive: reads its GroupID, asks a group of another domain's server
 * (`federation_member.ts`), and calls `act` with the caller's standing. Changes (`exclusive`)
 * run one at a time per group.
 */
export async function onGroup(
  g: Groups,
  ctx: RequestContext,
  request: Primitive,
  act: (standing: Standing) => Promise<HandlerReply>,
  exclusive = true,
): Promise<HandlerReply> {
  const raw = str(request.body.GroupID)?.trim();
  if (!raw) throw new ProtocolError(400, "GroupID missing");
  const { domain } = ctx.server.config;
  const address = parseGroupId(raw, domain);
  if (!address) throw new ProtocolError(GROUP_DOES_NOT_EXIST, "Not a group ID");
  if (address.domain !== domain) return await forward(g, ctx, address.id, request);
  const run = async () => await act(await standingIn(g, ctx, address.id));
  return exclusive ? await g.changes.run(address.id, run) : await run();
}

/**
 * The users a request names: `UserList{User{UserID}}` (up to 1.2) or `UserIDList{UserID}`
 * (1.3); either is taken from any version, since clients mix them. Unparseable ids are kept
 * as written so the answer can name them.
 */
export function namedUsers(ctx: RequestContext, element: ElementObject | undefined): string[] {
  if (!element) return [];
  const raw = [
    ...all(obj(element.UserList)?.User).map((u) => str(obj(u)?.UserID)),
    ...strs(obj(element.UserIDList)?.UserID),
    ...strs(element.UserID),
  ].filter((id): id is string => id !== undefined);
  const ids = [...new Set(raw.map((id) => parseUserId(id, ctx.server.config.domain)?.id ?? id))];
  if (ids.length > MAX_USERS_PER_REQUEST) {
    throw new ProtocolError(402, `At most ${MAX_USERS_PER_REQUEST} users per request`);
  }
  return ids;
}

/**
 * The Result of a request about several users (shared/outcomes.ts): `failures` names the users
 * that failed and their codes; the others succeeded.
 */
export function perUserResult(
  users: Iterable<string>,
  failures: Map<string, number>,
): ElementObject {
  const outcomes: RecipientOutcome[] = [...users].map((id) => {
    const code = failures.get(id) ?? 200;
    return { kind: "UserID", id, code, description: GROUP_TEXT[code] ?? describe(code) };
  });
  return resultOf(summarise(outcomes));
}

/** The group rejected the caller: they may not even read it (809). */
export function requireNotRejected(s: Standing): void {
  if (s.rejected) throw new ProtocolError(REJECTED, GROUP_TEXT[REJECTED]);
}

/** Whether a named user can be a member: a local account, or anyone of another domain. */
export async function knownUser(ctx: RequestContext, id: string): Promise<boolean> {
  const address = parseUserId(id, ctx.server.config.domain);
  if (!address) return false;
  return address.domain !== ctx.server.config.domain || !!await ctx.server.users.get(address.id);
}

/** Why the caller may not change `user`'s membership or role, if so. */
export function untouchable(
  s: Standing,
  user: string,
  current: Role | undefined,
): number | undefined {
  if (user === s.group.owner) return INSUFFICIENT_PRIVILEGES;
  // A Mod manages Users only; an Admin manages everyone but the owner.
  if (effectiveRole(s) !== "Admin" && atLeast(current, "Mod")) return INSUFFICIENT_PRIVILEGES;
  return undefined;
}
