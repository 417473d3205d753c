/**
 * Changing a user's presence and telling the watchers. The stored presence is changed with a
 * version check (repo.changePresence), so two changes at once never lose each other's
 * attributes, also across server instances sharing a KV. Within this server, the changes and
 * re-notifications of one user also run one at a time, so their notifications are committed in
 * the order of the changes and the last one queued shows the latest presence.
 */
import type { ServerContext } from "../../session/server_context.ts";
import type { Store } from "../../store/kv.ts";
import { changedAttributes, type PresenceAttributes } from "./attributes.ts";
import { commitAll, notifyWatchers } from "./notify.ts";
import { PresenceRepo } from "./repo.ts";

/** Per store (one per server), the tail of each user's chain of presence work. */
const chains = new WeakMap<Store, Map<string, Promise<void>>>();

/** Runs `task` after the presence work already started for `user` on this store has ended. */
function oneAtATime<T>(store: Store, user: string, task: () => Promise<T>): Promise<T> {
  let users = chains.get(store);
  if (!users) chains.set(store, users = new Map());
  const run = (users.get(user) ?? Promise.resolve()).then(task);
  const tail = run.then(() => {}, () => {});
  users.set(user, tail);
  tail.then(() => {
    if (users.get(user) === tail) users.delete(user);
  });
  return run;
}

/**
 * Changes `user`'s presence (`change` answers the new one, or undefined for no change) and
 * queues the notifications for watchers allowed to see one of the `changed` attributes (with
 * "diff", those whose values the change made different); resolves once both are committed.
 */
export function publishPresence(
  server: ServerContext,
  user: string,
  changed: readonly string[] | "diff",
  change: (current: PresenceAttributes) => PresenceAttributes | undefined,
): Promise<void> {
  return oneAtATime(server.store, user, async () => {
    const repo = new PresenceRepo(server.store);
    let names = changed === "diff" ? [] : changed;
    const presence = await repo.changePresence(user, (current) => {
      const next = change(current);
      if (next !== undefined && changed === "diff") names = changedAttributes(current, next);
      return next;
    });
    if (presence === undefined || names.length === 0) return;
    // The search index's writes (if that element is installed) share the fan-out's commits.
    const [indexed, notes] = await Promise.all([
      server.hooks.presenceChanged?.(user, presence) ?? [],
      notifyWatchers(server, repo, user, presence, names),
    ]);
    await commitAll(server.store, [...indexed, ...notes]);
    await server.hooks.remotePresence?.presenceChanged(user, presence, names);
  });
}

/**
 * Tells watchers of `owner` (all, or those in `only`) the presence they may see now, after a
 * change of who may see what.
 */
export function renotifyWatchers(
  server: ServerContext,
  owner: string,
  only?: ReadonlySet<string>,
): Promise<void> {
  return oneAtATime(server.store, owner, async () => {
    const repo = new PresenceRepo(server.store);
    const presence = await repo.presence(owner);
    await commitAll(server.store, await notifyWatchers(server, repo, owner, presence, "all", only));
    await server.hooks.remotePresence?.presenceChanged(owner, presence, "all", only);
  });
}
