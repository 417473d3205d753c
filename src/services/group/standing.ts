/**
 * Finding the group a request names and where the caller stands in it (role, joined, rejected),
 * the checks every primitive shares, and the per-version shape of user lists in requests.
 */
import type { ElementObject, Primitive } from "../../codec/csp/message.ts";
import type { HandlerReply, RequestContext } from "../../session/handler.ts";
import { describe, ProtocolError } from "../../session/status.ts";
import { all, obj, str, strs } from "../../session/values.ts";
import { parseGroupId, parseUserId } from "../shared/ids.ts";
import { type RecipientOutcome, resultOf, summarise } from "../shared/outcomes.ts";
import { GROUP_DOES_NOT_EXIST, GROUP_TEXT, INSUFFICIENT_PRIVILEGES } from "./codes.ts";
import { MAX_USERS_PER_REQUEST } from "./limits.ts";
import { atLeast, type Role } from "./properties.ts";
import { type GroupRecord, GroupRepo, type JoinedRecord, serialised } from "./repo.ts";
import { toRemoteGroup } from "./remote.ts";

export interface Standing {
  repo: GroupRepo;
  group: GroupRecord;
  user: string;
  /** The caller's role as an explicit member; undefined for everyone else. */
  role?: Role;
  joined?: JoinedRecord;
  rejected: boolean;
}

export const repoOf = (ctx: RequestContext) => new GroupRepo(ctx.server.store);

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

async function standingIn(ctx: RequestContext, groupId: string): Promise<Standing> {
  const repo = repoOf(ctx);
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
 * Runs a group primitive: reads its GroupID, hands a group of another domain to the relay seam,
 * and calls `act` with the caller's standing. Changes (`exclusive`) run one at a time per group.
 */
export async function onGroup(
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
  if (address.domain !== domain) {
    return await toRemoteGroup(ctx, address.id, address.domain, request);
  }
  const run = async () => await act(await standingIn(ctx, address.id));
  return exclusive ? await serialised(ctx.server.store, address.id, run) : await run();
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

/** `UserList{User{UserID}*}`: how answers list users. */
export const userList = (users: Iterable<string>): ElementObject => ({
  User: [...users].map((UserID) => ({ UserID })),
});

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
