/**
 * PresenceNotification-Request, queued to watchers' sessions through their outbox. Everything here
 * returns mutations; callers commit them with their own writes (`commitAll`), so a 200 answer
 * means the notifications are queued too.
 */
import type { ElementObject, Primitive } from "../../codec/csp/message.ts";
import type { ServerContext } from "../../session/handler.ts";
import type { Mutation } from "../../store/kv.ts";
import type { NewOutboxEntry } from "../../store/outbox.ts";
import {
  type AttributeSelection,
  intersect,
  type PresenceAttributes,
  selects,
  visiblePart,
} from "./attributes.ts";
import { type Decision, decisionsFor } from "./authorization.ts";
import type { Presence } from "./element.ts";
import { LIMITS } from "./limits.ts";
import type { Listener, PresenceStorage } from "./storage.ts";

/** The Presence element for `user` showing `attributes`. Notifications carry the PA namespace
 * on PresenceSubList, GetPresence answers do not (as Baraza sends them, fixtures 015/019). */
export function presenceElement(
  user: string,
  attributes: PresenceAttributes,
  withNamespace: boolean,
): ElementObject {
  const list: ElementObject = withNamespace ? { "@attrs": { xmlns: "" } } : {};
  return { UserID: user, PresenceSubList: { ...list, ...attributes } };
}

export function presenceNotification(user: string, attributes: PresenceAttributes): Primitive {
  return {
    name: "PresenceNotification-Request",
    body: { Presence: [presenceElement(user, attributes, true)] },
  };
}

/** A notification for one watcher's session. */
export interface Delivery {
  listener: Listener;
  presence: PresenceAttributes;
}

/**
 * Mutations that queue each notification, replacing the one queued before for the same session:
 * while a watcher has not polled, it holds one notification per user it watches, the latest.
 * Nothing is read: each listener record (read by the caller with all the others in one range)
 * knows the entry it replaces, its own `pending` or else the owner's `lastFanOut`. Deliveries
 * showing the same attributes share one entry object.
 *
 * Which listener records must change depends on how the new sequence is remembered. Narrow:
 * each notified listener keeps it as its own `pending`. Broad (a whole fan-out, where `skipped`
 * lists the listeners not notified): it becomes the owner's `lastFanOut`, so only the notified
 * listeners that had their own `pending` (it goes) and the skipped ones that had none (they keep
 * the previous `lastFanOut` as their own) are written. The cheaper one is used: an update seen
 * by every watcher writes one outbox entry per session and one record in all.
 */
export function notificationMutations(
  server: ServerContext,
  repo: PresenceStorage,
  owner: string,
  lastFanOut: string | undefined,
  deliveries: readonly Delivery[],
  skipped?: readonly Listener[],
): Mutation[] {
  if (deliveries.length === 0) return [];
  const entries = new Map<PresenceAttributes, NewOutboxEntry>();
  const queued = server.outbox.replaceManyMutations(deliveries.map(({ listener, presence }) => {
    let entry = entries.get(presence);
    if (!entry) entries.set(presence, entry = { primitive: presenceNotification(owner, presence) });
    return { sessionId: listener.session, entry, replaces: listener.record.pending ?? lastFanOut };
  }));
  const mutations = queued.mutations;
  const withOwn = deliveries.filter((d) => d.listener.record.pending !== undefined);
  const keepingOld = lastFanOut === undefined
    ? []
    : (skipped ?? []).filter((l) => l.record.pending === undefined);
  if (skipped && withOwn.length + keepingOld.length < deliveries.length) {
    mutations.push(repo.setLastFanOut(owner, queued.seq));
    for (const { listener } of withOwn) {
      mutations.push(
        repo.setListener(owner, {
          ...listener,
          record: { attributes: listener.record.attributes },
        }),
      );
    }
    for (const listener of keepingOld) {
      mutations.push(
        repo.setListener(owner, {
          ...listener,
          record: { ...listener.record, pending: lastFanOut },
        }),
      );
    }
  } else {
    for (const { listener } of deliveries) {
      mutations.push(
        repo.setListener(owner, {
          ...listener,
          record: { ...listener.record, pending: queued.seq },
        }),
      );
    }
  }
  return mutations;
}

/**
 * Notifications to the watchers of `owner` after a change of the attributes in `changed` (or of
 * who may see what: "all"). Each watcher gets what it subscribed to and is allowed to see, and
 * only if that includes something that changed. `only` narrows the watchers considered. Reads
 * a few ranges and keys whatever the number of watchers, plus a few sessions (see
 * `dropDeadListeners`).
 */
export async function notifyWatchers(
  p: Presence,
  owner: string,
  presence: PresenceAttributes,
  changed: AttributeSelection,
  only?: ReadonlySet<string>,
): Promise<Mutation[]> {
  const { server, repo } = p;
  const [listeners, decide, lastFanOut] = await Promise.all([
    repo.listeners(owner),
    decisionsFor(p, owner),
    repo.lastFanOut(owner),
  ]);
  const mutations = await dropDeadListeners(server, repo, owner, listeners);
  const parts = new Map<string, PresenceAttributes>();
  const deliveries: Delivery[] = [];
  const skipped: Listener[] = [];
  for (const listener of listeners) {
    const visible = only && !only.has(listener.watcher)
      ? undefined
      : visibleTo(decide(listener.watcher), listener.record.attributes);
    const names = visible === "all" ? Object.keys(presence) : visible;
    if (!names?.some((name) => selects(changed, name) && Object.hasOwn(presence, name))) {
      skipped.push(listener);
      continue;
    }
    // Watchers seeing the same attributes share one cut of the presence (and so one entry).
    const key = visible === "all" ? "" : visible!.join(" ");
    let part = parts.get(key);
    if (!part) parts.set(key, part = visiblePart(presence, visible!));
    deliveries.push({ listener, presence: part });
  }
  mutations.push(
    ...notificationMutations(server, repo, owner, lastFanOut, deliveries, skipped),
  );
  return mutations;
}

/**
 * Checks a few listeners, picked at random, for a live session, and removes (from `listeners`
 * too) those whose session is gone, with what was queued for it since: a session that ended in a
 * crash, before its end hook ran, leaves its listener records behind. Every fan-out checks a
 * few, so they are found without a session read per watcher.
 */
async function dropDeadListeners(
  server: ServerContext,
  repo: PresenceStorage,
  owner: string,
  listeners: Listener[],
): Promise<Mutation[]> {
  const sample = new Set<number>();
  const want = Math.min(LIMITS.listenerChecks, listeners.length);
  while (sample.size < want) sample.add(Math.floor(Math.random() * listeners.length));
  const picked = [...sample];
  const sessions = await Promise.all(
    picked.map((i) => server.sessions.repo.get(listeners[i].session)),
  );
  const dead = picked.filter((_, n) => sessions[n] === undefined).sort((a, b) => b - a);
  const mutations: Mutation[] = [];
  for (const i of dead) {
    const [listener] = listeners.splice(i, 1);
    mutations.push(
      repo.removeListener(owner, listener.watcher, listener.session),
      ...await server.outbox.clearMutations(listener.session),
    );
  }
  return mutations;
}

/** What a watcher sees of a subscription, or undefined when nothing. */
function visibleTo(
  decision: Decision,
  subscribed: AttributeSelection,
): AttributeSelection | undefined {
  if (decision.kind !== "granted") return undefined;
  const visible = intersect(decision.attributes, subscribed);
  return visible === "all" || visible.length > 0 ? visible : undefined;
}
