/**
 * Attribute lists (AttListFunc), the targets they name and the watchers they tell, shared by
 * CreateAttributeList, DeleteAttributeList and GetAttributeList: which attributes the owner shows
 * to a user, to the contacts of one of the owner's lists, or by default to everyone. They are the
 * proactive form of authorisation (the one Baraza uses, fixture 013); see authorization.ts for how
 * they combine.
 * 1.3 DefaultNotify/UserNotify/ContactListNotify tell the watchers concerned (AC).
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { RequestContext } from "../../session/handler.ts";
import type { Mutation } from "../../store/kv.ts";
import { bool } from "../../session/values.ts";
import { attributeNameList } from "./attributes.ts";
import type { ContactListRecord, PresenceStorage } from "./storage.ts";
import { Outcome, ownList, readTargets, resolveUser } from "./targets.ts";
import { notifySessions } from "./notification.ts";

export interface Targets {
  users: string[];
  lists: ContactListRecord[];
  defaultList: boolean;
}

/** The users (any domain) and own lists named; bad ones go to `outcome`. */
export async function attributeListTargets(
  ctx: RequestContext,
  repo: PresenceStorage,
  body: ElementObject,
  outcome: Outcome,
): Promise<Targets> {
  const raw = readTargets(body);
  const users: string[] = [];
  for (const id of raw.users) {
    const target = resolveUser(id, ctx.server.config.domain);
    if (target.kind === "invalid") outcome.failUser(531, id, "Invalid user ID");
    else {
      users.push(target.id);
      outcome.succeed();
    }
  }
  const lists: ContactListRecord[] = [];
  for (const id of raw.lists) {
    try {
      lists.push(await ownList(ctx, repo, id));
      outcome.succeed();
    } catch (error) {
      outcome.failListWith(error, id);
    }
  }
  const defaultList = bool(body.DefaultList) === true;
  if (defaultList) outcome.succeed();
  return { users, lists, defaultList };
}

/**
 * 1.3 UserNotify / ContactListNotify / DefaultNotify T: the users named, the contacts of the
 * lists named, or (default list) everyone subscribed are told with Notification-Request AC that
 * the owner changed what they may see (inferred: the digest lists the flags and AC, not their
 * link). The flags are acted on, not stored, so GetAttributeList does not return them.
 */
export async function tellAuthorised(
  ctx: RequestContext,
  repo: PresenceStorage,
  body: ElementObject,
  targets: Targets,
  names: string[],
): Promise<Mutation[]> {
  const owner = ctx.session!.userId;
  const told = new Set<string>();
  if (bool(body.UserNotify) === true) { for (const user of targets.users) told.add(user); }
  if (bool(body.ContactListNotify) === true) {
    for (const list of targets.lists) {
      for (const contact of await repo.contacts(owner, list.id)) told.add(contact.userId);
    }
  }
  if (bool(body.DefaultNotify) === true && targets.defaultList) {
    for (const watcher of (await repo.watchers(owner)).keys()) told.add(watcher);
  }
  told.delete(owner);
  const content = {
    UserIDList: { UserID: [owner] },
    PresenceSubList: { "@attrs": { xmlns: "" }, ...attributeNameList(names) },
  };
  const notes = await Promise.all(
    [...told].map((user) => notifySessions(ctx.server, user, "AC", content)),
  );
  return notes.flat();
}
