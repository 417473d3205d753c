/**
 * Every user a presence request names, directly or through one of the caller's lists, visited in
 * turn; users of other domains go to the relay.
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { RequestContext } from "../../session/handler.ts";
import type { AttributeSelection } from "./attributes.ts";
import type { RemoteOperation, RemoteTarget } from "./remote.ts";
import { DIRECT } from "./storage.ts";
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
export async function reasonsByUser(
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
