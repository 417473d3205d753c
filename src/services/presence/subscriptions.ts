/**
 * Subscribing and unsubscribing one watcher to one user, shared by SubscribePresence (users and
 * whole contact lists) and ListManage (contacts added to an auto-subscribed list).
 */
import { CommitConflict, type Mutation } from "../../store/kv.ts";
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

/** Tries of one subscription whose owner's decision kept changing under it. */
const SUBSCRIBE_ATTEMPTS = 5;

/**
 * Subscribes `watcher` to `target` for `reasons` ("direct" and/or contact-list ids), committed
 * with `alongside` in one write. Allowed: the current presence is queued at once for every live
 * session of the watcher (as Baraza does, fixture 014/015). Undecided: the target is asked (once;
 * again at each login until answered). Unknown users and denied watchers are answered the same
 * way, and nothing is queued for them; resolves with whether `target` is a user.
 *
 * The write holds only while the owner's decision about the watcher is the one it was built on,
 * else it is built again: a grant committed meanwhile, whose notification found no subscription
 * yet, would otherwise be overwritten by the "pending" record and the watcher never shown.
 */
export async function subscribe(
  p: Presence,
  watcher: string,
  target: string,
  attributes: AttributeSelection,
  reasons: readonly string[],
  alongside: readonly Mutation[] = [],
): Promise<boolean> {
  if (!await p.server.users.get(target)) return false;
  for (let attempt = 1;; attempt++) {
    const mutations = await subscription(p, watcher, target, attributes, reasons);
    try {
      await p.server.store.write(...mutations, ...alongside);
      return true;
    } catch (error) {
      if (!(error instanceof CommitConflict) || attempt >= SUBSCRIBE_ATTEMPTS) throw error;
    }
  }
}

async function subscription(
  p: Presence,
  watcher: string,
  target: string,
  attributes: AttributeSelection,
  reasons: readonly string[],
): Promise<Mutation[]> {
  const { server, repo } = p;
  const auth = await repo.authEntry(target, watcher);
  const [existing, decision, known, sessions, lastFanOut] = await Promise.all([
    repo.watch(target, watcher),
    decideFor(p, target, watcher, { auth: auth?.value }),
    repo.listenersOf(target, watcher),
    server.sessions.repo.listByUser(watcher),
    repo.lastFanOut(target),
  ]);
  const via = [...new Set([...existing?.via ?? [], ...reasons])];
  const mutations = [
    repo.authUnchanged(target, watcher, auth?.versionstamp ?? null),
    ...repo.setWatch(target, watcher, {
      attributes,
      via,
      since: existing?.since ?? Date.now(),
    }),
  ];
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
  if (decision.kind === "undecided" && auth === undefined) {
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
