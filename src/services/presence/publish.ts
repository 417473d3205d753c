/**
 * Changing a user's presence and telling the watchers. The stored presence is changed with a
 * version check (repo.changePresence), so two changes at once never lose each other's
 * attributes, also across server instances sharing a KV. Within this server, the changes and
 * re-notifications of one user also run one at a time, so their notifications are committed in
 * the order of the changes and the last one queued shows the latest presence.
 */
import { changedAttributes, type PresenceAttributes } from "./attributes.ts";
import type { Presence } from "./element.ts";
import { commitAll } from "./commit.ts";
import { notifyWatchers } from "./presence_notification.ts";

/**
 * Changes `user`'s presence (`change` answers the new one, or undefined for no change) and
 * queues the notifications for watchers allowed to see one of the `changed` attributes (with
 * "diff", those whose values the change made different); resolves once both are committed.
 */
export function publishPresence(
  p: Presence,
  user: string,
  changed: readonly string[] | "diff",
  change: (current: PresenceAttributes) => PresenceAttributes | undefined,
): Promise<void> {
  return p.oneAtATime(user, async () => {
    let names = changed === "diff" ? [] : changed;
    const presence = await p.repo.changePresence(user, (current) => {
      const next = change(current);
      if (next !== undefined && changed === "diff") names = changedAttributes(current, next);
      return next;
    });
    if (presence === undefined || names.length === 0) return;
    // The search index's writes (if that element is installed) share the fan-out's commits.
    const [indexed, notes] = await Promise.all([
      p.hooks.presenceChanged?.(user, presence) ?? [],
      notifyWatchers(p, user, presence, names),
    ]);
    await commitAll(p.server.store, [...indexed, ...notes]);
    await p.remote?.presenceChanged(user, presence, names);
  });
}

/**
 * Tells watchers of `owner` (all, or those in `only`) the presence they may see now, after a
 * change of who may see what.
 */
export function renotifyWatchers(
  p: Presence,
  owner: string,
  only?: ReadonlySet<string>,
): Promise<void> {
  return p.oneAtATime(owner, async () => {
    const presence = await p.repo.presence(owner);
    await commitAll(p.server.store, await notifyWatchers(p, owner, presence, "all", only));
    await p.remote?.presenceChanged(owner, presence, "all", only);
  });
}
