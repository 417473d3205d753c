/**
 * SubscribePresence-Request and UnsubscribePresence-Request, for users and for whole contact
 * lists. A list subscribed with AutoSubscribe T keeps following its contacts (ListManage adds and
 * removes subscriptions); without it, only the contacts present now are subscribed.
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { PrimitiveModule, RequestContext } from "../../session/handler.ts";
import type { Mutation } from "../../store/kv.ts";
import { bool } from "../../session/values.ts";
import { type AttributeSelection, requestedAttributes } from "./attributes.ts";
import { commitAll } from "./notify.ts";
import type { RemoteOperation, RemoteTarget } from "./remote.ts";
import { DIRECT } from "./repo.ts";
import { subscribe, subscriptionRoom, unsubscribe } from "./subscriptions.ts";
import { Outcome, ownList, readTargets, resolveUser } from "./targets.ts";
import type { Presence } from "./element.ts";

/**
 * Runs `forUser` for every user a request names, directly or through one of the caller's lists;
 * reports bad ids and lists to `outcome` and hands remote users to the relay seam.
 */
export async function forEachTarget(
  p: Presence,
  ctx: RequestContext,
  body: ElementObject,
  operation: RemoteOperation,
  attributes: AttributeSelection,
  outcome: Outcome,
  forUser: (user: string, list?: string) => Promise<void>,
  forList?: (list: string) => Promise<void>,
): Promise<ElementObject[]> {
  const { repo } = p;
  const domain = ctx.server.config.domain;
  const targets = readTargets(body);
  const remote: RemoteTarget[] = [];
  const visit = async (raw: string, list?: string) => {
    const target = resolveUser(raw, domain);
    if (target.kind === "invalid") return outcome.failUser(531, raw, "Invalid user ID");
    if (target.kind === "remote") return void remote.push(target);
    outcome.succeed();
    await forUser(target.id, list);
  };
  for (const raw of targets.users) await visit(raw);
  for (const raw of targets.lists) {
    try {
      const list = await ownList(ctx, repo, raw);
      for (const contact of await repo.contacts(ctx.session!.userId, list.id)) {
        await visit(contact.userId, list.id);
      }
      await forList?.(list.id);
      outcome.succeed();
    } catch (error) {
      outcome.failListWith(error, raw);
    }
  }
  // Remote users' Presence elements (get-presence) come back from the relay.
  return remote.length > 0
    ? await relayToRemoteDomains(p, ctx, operation, remote, attributes, outcome)
    : [];
}

/** Remote users of a request: relayed when federation is on, else 516 each. */
export async function relayToRemoteDomains(
  p: Presence,
  ctx: RequestContext,
  operation: RemoteOperation,
  targets: readonly RemoteTarget[],
  attributes: AttributeSelection,
  outcome: Outcome,
): Promise<ElementObject[]> {
  const relay = p.remote;
  if (relay) return await relay.request(ctx, operation, targets, attributes, outcome);
  for (const target of targets) {
    outcome.failUser(516, target.id, `Domain ${target.domain} is not reachable from this server`);
  }
  return [];
}

/** The users a request names, each with the reasons it is named: "direct" or list ids. */
async function reasonsByUser(
  p: Presence,
  ctx: RequestContext,
  body: ElementObject,
  operation: RemoteOperation,
  attributes: AttributeSelection,
  outcome: Outcome,
  forList: (list: string) => Promise<void>,
): Promise<Map<string, string[]>> {
  const reasons = new Map<string, string[]>();
  await forEachTarget(p, ctx, body, operation, attributes, outcome, (user, list) => {
    const held = reasons.get(user) ?? [];
    held.push(list ?? DIRECT);
    reasons.set(user, held);
    return Promise.resolve();
  }, forList);
  return reasons;
}

export function subscribePresenceRequest(p: Presence): PrimitiveModule {
  return {
    name: "SubscribePresence-Request",
    function: ["PresenceFeat", "PresenceDeliverFunc", "GETPR"],
    async handle(ctx, body) {
      const { repo } = p;
      const watcher = ctx.session!.userId;
      const attributes = requestedAttributes(body.PresenceSubList);
      const follow = bool(body.AutoSubscribe) === true;
      const outcome = new Outcome();
      const mutations: Mutation[] = [];
      const reasons = await reasonsByUser(
        p,
        ctx,
        body,
        "subscribe",
        attributes,
        outcome,
        async (listId) => {
          const list = (await repo.list(watcher, listId))!;
          mutations.push(
            repo.setList(watcher, { ...list, autoSubscribe: follow ? attributes : undefined }),
          );
        },
      );
      const room = await subscriptionRoom(repo, watcher);
      for (const [user, why] of reasons) {
        if (!room.admits(user)) outcome.failUserAfterAll(754, user, "Too many subscriptions");
        else mutations.push(...await subscribe(p, watcher, user, attributes, why));
      }
      await commitAll(ctx.server.store, mutations);
      return outcome.status();
    },
  };
}

export function unsubscribePresenceRequest(p: Presence): PrimitiveModule {
  return {
    name: "UnsubscribePresence-Request",
    function: ["PresenceFeat", "PresenceDeliverFunc", "GETPR"],
    async handle(ctx, body) {
      const { repo } = p;
      const watcher = ctx.session!.userId;
      const outcome = new Outcome();
      const mutations: Mutation[] = [];
      const reasons = await reasonsByUser(
        p,
        ctx,
        body,
        "unsubscribe",
        "all",
        outcome,
        async (listId) => {
          const list = (await repo.list(watcher, listId))!;
          mutations.push(repo.setList(watcher, { ...list, autoSubscribe: undefined }));
        },
      );
      for (const [user, why] of reasons) {
        mutations.push(...await unsubscribe(repo, watcher, user, why));
      }
      await commitAll(ctx.server.store, mutations);
      return outcome.status();
    },
  };
}
