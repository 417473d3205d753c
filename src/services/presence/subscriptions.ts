/**
 * Subscribing and unsubscribing one watcher to one user, shared by SubscribePresence (users and
 * whole contact lists) and ListManage (contacts added to an auto-subscribed list).
 */
import type { Mutation } from "../../store/kv.ts";
import { type AttributeSelection, intersect, visiblePart } from "./attributes.ts";
import { decideFor } from "./authorization.ts";
import type { Presence } from "./element.ts";
import { LIMITS } from "./limits.ts";
import { DIRECT, type Listener, type PresenceStorage } from "./storage.ts";
import { askOwner } from "./presence_auth_request.ts";
import { notificationMutations } from "./presence_notification.ts";

/**
 * Who a watcher may still subscribe to within LIMITS.subscriptions: `admits(user)` is true for a
 * user already watched or while there is room (and then counts the user in).
 */
export async function subscriptionRoom(
  repo: PresenceStorage,
  watcher: string,
): Promise<{ admits(user: string): boolean }> {
  const watched = new Set((await repo.watching(watcher)).keys());
  return {
    admits(user) {
      if (watched.has(user)) return true;
      if (watched.size >= LIMITS.subscriptions) return false;
      watched.add(user);
      return true;
    },
  };
}

/**
 * Subscribes `watcher` to `target` for `reasons` ("direct" and/or contact-list ids). Allowed: the
 * current presence is queued at once for every live session of the watcher (as Baraza does,
 * fixture 014/015). Undecided: the target is asked (once; again at each login until answered).
 * Unknown users and denied watchers are answered the same way, and nothing is queued for them.
 */
export async function subscribe(
  p: Presence,
  watcher: string,
  target: string,
  attributes: AttributeSelection,
  reasons: readonly string[],
): Promise<Mutation[]> {
  const { server, repo } = p;
  if (!await server.users.get(target)) return [];
  const [existing, decision, known, sessions, lastFanOut] = await Promise.all([
    repo.watch(target, watcher),
    decideFor(p, target, watcher),
    repo.listenersOf(target, watcher),
    server.sessions.repo.listByUser(watcher),
    repo.lastFanOut(target),
  ]);
  const via = [...new Set([...existing?.via ?? [], ...reasons])];
  const mutations = repo.setWatch(target, watcher, {
    attributes,
    via,
    since: existing?.since ?? Date.now(),
  });
  // Every live session listens, with what is subscribed to now and its last notification kept.
  const records = new Map(known.map((l) => [l.session, l.record]));
  const listeners: Listener[] = sessions.map((session) => ({
    watcher,
    session: session.id,
    record: { ...records.get(session.id), attributes },
  }));
  const visible = decision.kind === "granted"
    ? intersect(decision.attributes, attributes)
    : undefined;
  if (visible === "all" || (visible && visible.length > 0)) {
    const presence = visiblePart(await repo.presence(target), visible);
    mutations.push(
      ...notificationMutations(
        server,
        repo,
        target,
        lastFanOut,
        listeners.map((listener) => ({ listener, presence })),
      ),
    );
  } else {
    mutations.push(...listeners.map((l) => repo.setListener(target, l)));
  }
  if (decision.kind === "undecided" && (await repo.auth(target, watcher)) === undefined) {
    mutations.push(
      repo.setAuth(target, watcher, { state: "pending", attributes, at: Date.now() }),
      ...await askOwner(p, target, watcher, attributes),
    );
  }
  return mutations;
}

/** Drops `reasons` from a subscription ("direct" drops them all); the last one ends it. */
export async function unsubscribe(
  repo: PresenceStorage,
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
