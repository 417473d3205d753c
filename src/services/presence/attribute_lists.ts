/**
 * Attribute lists (AttListFunc): which attributes the owner shows to a user, to the contacts of
 * one of the owner's lists, or by default to everyone. They are the proactive form of
 * authorisation (the one Baraza uses, fixture 013); see authorization.ts for how they combine.
 * 1.3 DefaultNotify/UserNotify/ContactListNotify tell the watchers concerned (AC).
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { PrimitiveModule, RequestContext } from "../../session/handler.ts";
import type { Mutation } from "../../store/kv.ts";
import { ProtocolError } from "../../session/status.ts";
import { bool } from "../../session/values.ts";
import { attributeNameList, grantedAttributes } from "./attributes.ts";
import { commitAll } from "./notify.ts";
import { notifySessions } from "./notifications.ts";
import { renotifyWatchers } from "./publish.ts";
import { type ContactListRecord, PresenceRepo } from "./repo.ts";
import { Outcome, ownList, readTargets, resolveUser } from "./targets.ts";
import type { Presence } from "./element.ts";

interface Targets {
  users: string[];
  lists: ContactListRecord[];
  defaultList: boolean;
}

/** The users (any domain) and own lists named; bad ones go to `outcome`. */
async function attributeListTargets(
  ctx: RequestContext,
  repo: PresenceRepo,
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
async function tellAuthorised(
  ctx: RequestContext,
  repo: PresenceRepo,
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

export function createAttributeListRequest(p: Presence): PrimitiveModule {
  return {
    name: "CreateAttributeList-Request",
    function: ["PresenceFeat", "AttListFunc", "CALI"],
    async handle(ctx, body) {
      const { repo } = p;
      const owner = ctx.session!.userId;
      const names = grantedAttributes(body.PresenceSubList);
      const outcome = new Outcome();
      const targets = await attributeListTargets(ctx, repo, body, outcome);
      const at = Date.now();
      const mutations: Mutation[] = [
        ...targets.users.map((user) =>
          repo.setAuth(owner, user, { state: "granted", attributes: names, at })
        ),
        ...targets.lists.map((list) => repo.setList(owner, { ...list, grant: names })),
      ];
      if (targets.defaultList) {
        mutations.push(
          repo.setSettings(owner, { ...await repo.settings(owner), defaultGrant: names }),
        );
      }
      if (mutations.length === 0 && outcome.result().Code === 200) {
        throw new ProtocolError(400, "No UserID, ContactList or DefaultList");
      }
      await commitAll(ctx.server.store, mutations);
      // Watchers who may now see more (a waiting subscription, say) get the presence at once.
      await renotifyWatchers(p, owner);
      await commitAll(ctx.server.store, await tellAuthorised(ctx, repo, body, targets, names));
      return outcome.status();
    },
  };
}

export function deleteAttributeListRequest(p: Presence): PrimitiveModule {
  return {
    name: "DeleteAttributeList-Request",
    function: ["PresenceFeat", "AttListFunc", "DALI"],
    async handle(ctx, body) {
      const { repo } = p;
      const owner = ctx.session!.userId;
      const outcome = new Outcome();
      const targets = await attributeListTargets(ctx, repo, body, outcome);
      const auths = await repo.auths(owner);
      const mutations: Mutation[] = [
        ...targets.users.filter((user) => auths.get(user)?.state === "granted")
          .map((user) => repo.deleteAuth(owner, user)),
        ...targets.lists.map((list) => repo.setList(owner, { ...list, grant: undefined })),
      ];
      if (targets.defaultList) {
        mutations.push(
          repo.setSettings(owner, { ...await repo.settings(owner), defaultGrant: undefined }),
        );
      }
      await commitAll(ctx.server.store, mutations);
      return outcome.status();
    },
  };
}

/** With no target and DefaultList not T, every attribute list of the caller is returned. */
export function getAttributeListRequest(p: Presence): PrimitiveModule {
  return {
    name: "GetAttributeList-Request",
    function: ["PresenceFeat", "AttListFunc", "GALS"],
    async handle(ctx, body) {
      const { repo } = p;
      const owner = ctx.session!.userId;
      const outcome = new Outcome();
      const targets = await attributeListTargets(ctx, repo, body, outcome);
      const everything = targets.users.length === 0 && targets.lists.length === 0 &&
        !targets.defaultList && outcome.result().Code === 200;
      const [auths, settings, lists] = await Promise.all([
        repo.auths(owner),
        repo.settings(owner),
        everything ? repo.lists(owner) : Promise.resolve(targets.lists),
      ]);
      const users = everything ? [...auths.keys()] : targets.users;
      const presences: ElementObject[] = [];
      for (const user of users) {
        const auth = auths.get(user);
        if (auth?.state !== "granted") continue;
        presences.push({ UserID: user, PresenceSubList: attributeNameList(auth.attributes) });
      }
      for (const list of lists) {
        if (list.grant) {
          presences.push({ ContactList: list.id, PresenceSubList: attributeNameList(list.grant) });
        }
      }
      const answer: ElementObject = { Result: outcome.result() };
      if ((everything || targets.defaultList) && settings.defaultGrant) {
        answer.DefaultAttributeList = { PresenceSubList: attributeNameList(settings.defaultGrant) };
      }
      if (presences.length) answer.Presence = presences;
      return { name: "GetAttributeList-Response", body: answer };
    },
  };
}
