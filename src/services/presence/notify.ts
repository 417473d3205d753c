/**
 * What presence sends to sessions through their outbox: PresenceNotification-Request to watchers
 * and the owner's authorisation requests. Everything here returns mutations; callers commit them
 * with their own writes (`commitAll`), so a 200 answer means the notifications are queued too.
 */
import type { ElementObject, Primitive } from "../../codec/csp/message.ts";
import type { ServerContext } from "../../session/server_context.ts";
import type { Mutation, Store } from "../../store/kv.ts";
import type { NewOutboxEntry } from "../../store/outbox.ts";
import type { SessionRecord } from "../../store/sessions.ts";
import {
  attributeNameList,
  type AttributeSelection,
  intersect,
  type PresenceAttributes,
  selects,
  visiblePart,
} from "./attributes.ts";
import { type Decision, decisionsFor } from "./authorization.ts";
import type { PresenceRepo, WatchRecord } from "./repo.ts";

/** Mutations per write: well under KV's 1000 per atomic commit and its size limit. */
const MUTATIONS_PER_WRITE = 400;

/** Commits mutations in writes of bounded size, all in flight together; resolves when durable. */
export async function commitAll(store: Store, mutations: Mutation[]): Promise<void> {
  const writes: Promise<void>[] = [];
  for (let i = 0; i < mutations.length; i += MUTATIONS_PER_WRITE) {
    writes.push(store.write(...mutations.slice(i, i + MUTATIONS_PER_WRITE)));
  }
  await Promise.all(writes);
}

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

/** Queues one entry for every live session of every user given. */
export async function queueFor(
  server: ServerContext,
  entries: Map<string, NewOutboxEntry>,
): Promise<Mutation[]> {
  const users = [...entries.keys()];
  const sessions = await Promise.all(users.map((u) => server.sessions.repo.listByUser(u)));
  return await server.outbox.enqueueManyMutations(
    users.flatMap((user, i) =>
      sessions[i].map((session) => ({ sessionId: session.id, entry: entries.get(user)! }))
    ),
  );
}

/** The outbox entry of a notification about `user`: unpolled ones coalesce, latest state wins. */
export function notificationEntry(user: string, attributes: PresenceAttributes): NewOutboxEntry {
  return { primitive: presenceNotification(user, attributes), coalesceKey: `presence:${user}` };
}

/**
 * Notifications to the watchers of `owner` after a change of the attributes in `changed` (or of
 * who may see what: "all"). Each watcher gets what it subscribed to and is allowed to see, and
 * only if that includes something that changed. `only` narrows the watchers considered.
 */
export async function notifyWatchers(
  server: ServerContext,
  repo: PresenceRepo,
  owner: string,
  presence: PresenceAttributes,
  changed: AttributeSelection,
  only?: ReadonlySet<string>,
): Promise<Mutation[]> {
  const [watchers, listeners, decide] = await Promise.all([
    repo.watchers(owner),
    repo.listeners(owner),
    decisionsFor(repo, owner, server.config.presenceAutoGrant),
  ]);
  const items: { sessionId: string; entry: NewOutboxEntry }[] = [];
  for (const [watcher, sessions] of listeners) {
    const watch = watchers.get(watcher);
    if (!watch || (only && !only.has(watcher))) continue;
    const visible = visibleTo(decide(watcher), watch);
    if (!visible) continue;
    const names = visible === "all" ? Object.keys(presence) : visible;
    if (!names.some((name) => selects(changed, name) && Object.hasOwn(presence, name))) continue;
    const entry = notificationEntry(owner, visiblePart(presence, visible));
    for (const sessionId of sessions) items.push({ sessionId, entry });
  }
  return await server.outbox.enqueueManyMutations(items);
}

/** What a watcher sees of a subscription, or undefined when nothing. */
function visibleTo(
  decision: Decision,
  watch: WatchRecord,
): AttributeSelection | undefined {
  if (decision.kind !== "granted") return undefined;
  const visible = intersect(decision.attributes, watch.attributes);
  return visible === "all" || visible.length > 0 ? visible : undefined;
}

/**
 * Asks `owner` to authorise `watcher`: PresenceAuth-Request in CSP 1.1/1.2; in 1.3, where that
 * primitive is gone, a Notification-Request of type ANU (Authorization-Needed-User), which the
 * owner answers with an attribute list or ListManage AuthorizeAndGrant (digest §2.4, inferred).
 */
export async function askOwner(
  server: ServerContext,
  owner: string,
  watcher: string,
  attributes: AttributeSelection,
  onlySession?: SessionRecord,
): Promise<Mutation[]> {
  const sessions = onlySession ? [onlySession] : await server.sessions.repo.listByUser(owner);
  const names = {
    "@attrs": { xmlns: "" },
    ...(attributes === "all" ? {} : attributeNameList(attributes)),
  };
  return await server.outbox.enqueueManyMutations(sessions.map((session) => ({
    sessionId: session.id,
    entry: {
      coalesceKey: `auth:${watcher}`,
      primitive: session.version === "1.3"
        ? {
          name: "Notification-Request",
          body: {
            NotificationType: "ANU",
            PresenceSubList: names,
            UserIDList: { UserID: [watcher] },
          },
        }
        : { name: "PresenceAuth-Request", body: { UserID: watcher, PresenceSubList: names } },
    },
  })));
}
