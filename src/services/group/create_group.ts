/**
 * CreateGroup-Request. Any local user may create groups, up to MAX_GROUPS_PER_USER, under their
 * own name: the GroupID must be `wv:<user>/<name>@<domain>` (as Baraza requires, fixture 040;
 * anything else is 806). The creator owns the group: an Admin no one can demote, remove or ban,
 * and the only one who may delete it. A group of another domain is created by its server.
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { PrimitiveModule, RequestContext } from "../../session/handler.ts";
import { ProtocolError, status } from "../../session/status.ts";
import { bool, nested, obj, str } from "../../session/values.ts";
import { parseGroupId } from "../shared/ids.ts";
import { GROUP_EXISTS, GROUP_TEXT, INVALID_GROUP, TOO_MANY_GROUPS } from "./codes.ts";
import type { Groups } from "./element.ts";
import { forward } from "./federation_member.ts";
import { MAX_GROUPS_PER_USER } from "./limits.ts";
import { checkScreenName, defaultScreenName, joinMutations } from "./membership.ts";
import {
  checkSearchable,
  DEFAULT_GROUP_PROPERTIES,
  DEFAULT_OWN_PROPERTIES,
  readGroupProperties,
  readOwnProperties,
  readWelcomeNote,
} from "./properties.ts";
import type { GroupRecord } from "./repo.ts";

/** The SName of a ScreenName element whose GroupID (if given) names `groupId`. */
export function screenNameFor(
  ctx: RequestContext,
  element: ElementObject | undefined,
  groupId: string,
): string | undefined {
  if (!element) return undefined;
  const named = str(element.GroupID);
  if (named !== undefined && parseGroupId(named, ctx.server.config.domain)?.id !== groupId) {
    throw new ProtocolError(402, "ScreenName names another group");
  }
  return checkScreenName(str(element.SName) ?? "");
}

export function createGroup(g: Groups): PrimitiveModule {
  return {
    name: "CreateGroup-Request",
    function: ["GroupFeat", "GroupMgmtFunc", "CREAG"],
    charges: () => [{ kind: "groups", cost: 1 }],
    handle: (ctx, body) => create(g, ctx, body),
  };
}

async function create(g: Groups, ctx: RequestContext, body: ElementObject) {
  const raw = str(body.GroupID)?.trim();
  if (!raw) throw new ProtocolError(400, "GroupID missing");
  const { domain } = ctx.server.config;
  const address = parseGroupId(raw, domain);
  if (!address) throw new ProtocolError(INVALID_GROUP, "Invalid GroupID");
  if (address.domain !== domain) {
    return await forward(g, ctx, address.id, { name: "CreateGroup-Request", body });
  }
  const creator = ctx.session!.userId;
  if (address.owner !== defaultScreenName(creator)) {
    throw new ProtocolError(
      INVALID_GROUP,
      `A new group's ID is ${creator.replace("@", "/<name>@")}`,
    );
  }
  const properties = readGroupProperties(obj(body.GroupProperties));
  const all = { ...DEFAULT_GROUP_PROPERTIES, ...properties };
  checkSearchable(all, properties);
  const welcomeNote = readWelcomeNote(obj(nested(body, "GroupProperties", "WelcomeNote")));
  const own = { ...DEFAULT_OWN_PROPERTIES, ...readOwnProperties(obj(body.OwnProperties)) };
  const joins = bool(body.JoinGroup) ?? false;
  const screenName = screenNameFor(ctx, obj(body.ScreenName), address.id) ??
    defaultScreenName(creator);

  const { repo } = g;
  return await g.changes.run(address.id, async () => {
    if (await repo.group(address.id)) {
      throw new ProtocolError(GROUP_EXISTS, GROUP_TEXT[GROUP_EXISTS]);
    }
    if ((await repo.ownedBy(creator)).length >= MAX_GROUPS_PER_USER) {
      throw new ProtocolError(TOO_MANY_GROUPS, GROUP_TEXT[TOO_MANY_GROUPS]);
    }
    const group: GroupRecord = {
      id: address.id,
      owner: creator,
      createdAt: Date.now(),
      properties: all,
      ...(welcomeNote ? { welcomeNote } : {}),
    };
    const mutations = [
      ...repo.createMutations(group),
      ...repo.ownMutations(group.id, creator, own, screenName),
    ];
    if (joins) {
      mutations.push(
        ...await joinMutations(g, group, {
          user: creator,
          screenName,
          subscribed: bool(body.SubscribeNotification) ?? false,
          joinedAt: Date.now(),
        }),
      );
    }
    await ctx.server.store.write(...mutations);
    return status(200);
  });
}
