/**
 * JoinGroup-Request and LeaveGroup-Request, and the server's own joins and leaves around
 * sessions: joined is a state of the user (one screen name per group), which lasts until they
 * leave, are taken out, or their last session ends; AutoJoin brings them back at their next
 * login. Neither primitive has a function leaf of its own (digest §2.2): they need some part of
 * GroupUseFunc agreed.
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { PrimitiveModule, RequestContext } from "../../session/handler.ts";
import type { ServerContext } from "../../session/server_context.ts";
import { ProtocolError } from "../../session/status.ts";
import { bool, obj } from "../../session/values.ts";
import type { SessionRecord } from "../../store/sessions.ts";
import { onGroup, type Standing } from "./access.ts";
import {
  ALREADY_JOINED,
  GROUP_TEXT,
  INSUFFICIENT_PRIVILEGES,
  NOT_JOINED,
  REJECTED,
} from "./codes.ts";
import { screenNameFor } from "./create_group.ts";
import { defaultScreenName, joinMutations, leaveMutations } from "./membership.ts";
import { commitChunked, joinedList, seesUserIds } from "./notices.ts";
import { DEFAULT_OWN_PROPERTIES, readOwnProperties, welcomeNoteElement } from "./properties.ts";
import { GroupRepo, serialised } from "./repo.ts";

function requireGroupUse(ctx: RequestContext): void {
  const agreed = ctx.session?.services;
  if (agreed && !agreed.some((key) => key.startsWith("GroupFeat/GroupUseFunc/"))) {
    throw new ProtocolError(506, "GroupUseFunc was not agreed");
  }
}

/** Why `s`'s user may not join, if anything: banned, or outside a restricted group. */
function joinRefusal(s: Standing): ProtocolError | undefined {
  if (s.rejected) return new ProtocolError(REJECTED, GROUP_TEXT[REJECTED]);
  if (s.joined) return new ProtocolError(ALREADY_JOINED, GROUP_TEXT[ALREADY_JOINED]);
  const restricted = s.group.properties.Accesstype === "Restricted" ||
    s.group.properties.Type === "Private";
  if (restricted && s.role === undefined) {
    return new ProtocolError(INSUFFICIENT_PRIVILEGES, "Only members may join this group");
  }
  return undefined;
}

export const joinGroupRequest: PrimitiveModule = {
  name: "JoinGroup-Request",
  async handle(ctx, body) {
    requireGroupUse(ctx);
    return await onGroup(ctx, { name: "JoinGroup-Request", body }, async (s) => {
      const refusal = joinRefusal(s);
      if (refusal) throw refusal;
      const screenName = screenNameFor(ctx, obj(body.ScreenName), s.group.id) ??
        defaultScreenName(s.user);
      const mutations = await joinMutations(ctx.server, s.repo, s.group, {
        user: s.user,
        screenName,
        subscribed: bool(body.SubscribeNotification) ?? false,
        joinedAt: Date.now(),
      });
      if (body.OwnProperties !== undefined) {
        const own = {
          ...DEFAULT_OWN_PROPERTIES,
          ...await s.repo.own(s.group.id, s.user),
          ...readOwnProperties(obj(body.OwnProperties)),
        };
        mutations.push(...s.repo.ownMutations(s.group.id, s.user, own, screenName));
      }
      await commitChunked(ctx.server, mutations);

      const answer: ElementObject = {};
      if (bool(body.JoinedRequest)) {
        const joined = (await s.repo.joined(s.group.id))
          .map((j) => ({ screenName: j.screenName, user: j.user }));
        const list = joinedList(ctx.version, s.group.id, joined, seesUserIds(s.group, s.role));
        // 1.3 wraps the list in Joined; 1.1 and 1.2 send it bare (digest §2.6).
        Object.assign(answer, ctx.version === "1.3" ? { Joined: list } : list);
      }
      if (ctx.version === "1.3") answer.ScreenName = { SName: screenName, GroupID: s.group.id };
      if (s.group.welcomeNote) answer.WelcomeNote = welcomeNoteElement(s.group.welcomeNote);
      return { name: "JoinGroup-Response", body: answer };
    });
  },
};

export const leaveGroupRequest: PrimitiveModule = {
  name: "LeaveGroup-Request",
  async handle(ctx, body) {
    requireGroupUse(ctx);
    return await onGroup(ctx, { name: "LeaveGroup-Request", body }, async (s) => {
      if (!s.joined) throw new ProtocolError(NOT_JOINED, GROUP_TEXT[NOT_JOINED]);
      await commitChunked(
        ctx.server,
        await leaveMutations(ctx.server, s.repo, s.group, s.joined),
      );
      return {
        name: "LeaveGroup-Response",
        body: { GroupID: s.group.id, Result: { Code: 200, Description: "Successful" } },
      };
    });
  },
};

/** The user's last session ended: they leave every group they were joined to. */
export async function leaveAllGroups(server: ServerContext, session: SessionRecord) {
  if (await server.sessions.repo.hasSessions(session.userId)) return;
  const repo = new GroupRepo(server.store);
  for (const groupId of await repo.joinedBy(session.userId)) {
    await serialised(server.store, groupId, async () => {
      const [group, record] = await Promise.all([
        repo.group(groupId),
        repo.joinedRecord(groupId, session.userId),
      ]);
      if (!group || !record) return;
      await commitChunked(server, await leaveMutations(server, repo, group, record));
    });
  }
}

/** A new session: the user rejoins the groups they set AutoJoin for, where still allowed. */
export async function autoJoin(server: ServerContext, session: SessionRecord) {
  const repo = new GroupRepo(server.store);
  const user = session.userId;
  for (const { groupId, screenName } of await repo.autoJoins(user)) {
    await serialised(server.store, groupId, async () => {
      const [group, role, joined, rejected] = await Promise.all([
        repo.group(groupId),
        repo.role(groupId, user),
        repo.joinedRecord(groupId, user),
        repo.isRejected(groupId, user),
      ]);
      if (!group) return;
      const standing: Standing = { repo, group, user, role, joined, rejected };
      if (joinRefusal(standing)) return;
      try {
        const record = { user, screenName, subscribed: false, joinedAt: Date.now() };
        await commitChunked(server, await joinMutations(server, repo, group, record));
      } catch (error) {
        // Full, or the name was taken meanwhile: the user joins by hand instead.
        if (!(error instanceof ProtocolError)) throw error;
      }
    });
  }
}
