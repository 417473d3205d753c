/**
 * Subscribing and unsubscribing one watcher to one user, shared by SubscribePresence (users and
 * whole contact lists) and ListManage (contacts added to an auto-subscribed list).
 */
import type { ServerContext } from "../../session/server_context.ts";
import type { Mutation } from "../../store/kv.ts";
import { type AttributeSelection, intersect, visiblePart } from "./attributes.ts";
import { decideFor } from "./authorization.ts";
import { askOwner, notificationEntry, queueFor } from "./notify.ts";
import { DIRECT, type PresenceRepo } from "./repo.ts";

/**
 * Subscribes `watcher` to `target` for `reasons` ("direct" and/or contact-list ids). Allowed: the
 * current presence is queued at once (as Baraza does, fixture 014/015). Undecided: the target is
 * asked (once; again at each login until answered). Unknown users and denied watchers are
 * answered the same way, and nothing is queued for them.
 */
export async function subscribe(
  server: ServerContext,
  repo: PresenceRepo,
  watcher: string,
  target: string,
  attributes: AttributeSelection,
  reasons: readonly string[],
): Promise<Mutation[]> {
  if (!await server.users.get(target)) return [];
  const [existing, decision] = await Promise.all([
    repo.watch(target, watcher),
    decideFor(repo, target, watcher, server.config.presenceAutoGrant),
  ]);
  const via = [...new Set([...existing?.via ?? [], ...reasons])];
  const mutations = repo.setWatch(target, watcher, {
    attributes,
    via,
    since: existing?.since ?? Date.now(),
  });
  if (!existing) {
    for (const session of await server.sessions.repo.listByUser(watcher)) {
      mutations.push(repo.addListener(target, watcher, session.id));
    }
  }
  if (decision.kind === "granted") {
    const visible = intersect(decision.attributes, attributes);
    if (visible === "all" || visible.length > 0) {
      const presence = visiblePart(await repo.presence(target), visible);
      mutations.push(
        ...await queueFor(server, new Map([[watcher, notificationEntry(target, presence)]])),
      );
    }
  } else if (decision.kind === "undecided" && (await repo.auth(target, watcher)) === undefined) {
    mutations.push(
      repo.setAuth(target, watcher, { state: "pending", attributes, at: Date.now() }),
      ...await askOwner(server, target, watcher, attributes),
    );
  }
  return mutations;
}

/** Drops `reasons` from a subscription ("direct" drops them all); the last one ends it. */
export async function unsubscribe(
  repo: PresenceRepo,
  watcher: string,
  target: string,
  reasons: readonly string[],
): Promise<Mutation[]> {
  const existing = await repo.watch(target, watcher);
  if (!existing) return [];
  const via = reasons.includes(DIRECT) ? [] : existing.via.filter((r) => !reasons.includes(r));
  if (via.length === existing.via.length) return [];
  return via.length === 0
    ? await repo.deleteWatch(target, watcher)
    : repo.setWatch(target, watcher, { ...existing, via });
}
