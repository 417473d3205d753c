/**
 * Who may see which of a user's attributes. The rules, narrowest first:
 *
 * 1. a user sees all of their own presence;
 *    a user the owner blocks (BlockEntity: block list, or a grant list in use that leaves them
 *    out) is denied, whatever else says;
 * 2. the owner's decision about this watcher (an attribute list for the user, a reactive
 *    PresenceAuth-User, CancelAuth) — granted attributes, or denied;
 * 3. the attribute lists of the owner's contact lists that hold the watcher (their union);
 * 4. the owner's default attribute list;
 * 5. IMPS_PRESENCE_AUTOGRANT: everything;
 * 6. otherwise nothing yet: the watcher is "undecided" and the owner is asked.
 *
 * Hidden, denied and undecided watchers all see the same thing: nothing.
 */
import { type BlockRecord, blocks } from "../shared/privacy.ts";
import type { AttributeSelection } from "./attributes.ts";
import type { Presence } from "./element.ts";
import type { AuthRecord, ContactListRecord, PresenceSettings } from "./storage.ts";

export type Decision =
  | { kind: "granted"; attributes: AttributeSelection }
  | { kind: "denied" }
  | { kind: "undecided" };

interface OwnerRules {
  owner: string;
  /** The owner's block and grant lists: a user shut out there is denied presence too. */
  blockList: BlockRecord;
  settings: PresenceSettings;
  listGrants: Map<string, readonly string[]>;
  autoGrant: boolean;
}

function decide(
  rules: OwnerRules,
  watcher: string,
  auth: AuthRecord | undefined,
  watcherLists: readonly string[],
): Decision {
  if (watcher === rules.owner) return { kind: "granted", attributes: "all" };
  if (blocks(rules.blockList, watcher)) return { kind: "denied" };
  if (auth?.state === "granted") return { kind: "granted", attributes: auth.attributes };
  if (auth?.state === "denied") return { kind: "denied" };
  const fromLists = new Set<string>();
  let inGrantingList = false;
  for (const list of watcherLists) {
    const grant = rules.listGrants.get(list);
    if (!grant) continue;
    inGrantingList = true;
    for (const name of grant) fromLists.add(name);
  }
  if (inGrantingList) return { kind: "granted", attributes: [...fromLists] };
  if (rules.settings.defaultGrant) {
    return { kind: "granted", attributes: rules.settings.defaultGrant };
  }
  if (rules.autoGrant) return { kind: "granted", attributes: "all" };
  return { kind: "undecided" };
}

function listGrants(lists: ContactListRecord[]): Map<string, readonly string[]> {
  return new Map(lists.filter((l) => l.grant).map((l) => [l.id, l.grant!]));
}

/**
 * The decision about one watcher (a subscription, a GetPresence); `held` is the owner's own
 * decision when the caller has read it already (to commit only while it is unchanged).
 */
export async function decideFor(
  p: Presence,
  owner: string,
  watcher: string,
  held?: { auth: AuthRecord | undefined },
): Promise<Decision> {
  if (watcher === owner) return { kind: "granted", attributes: "all" };
  const { repo } = p;
  const autoGrant = p.server.config.presenceAutoGrant;
  const [settings, lists, auth, watcherLists, blockList] = await Promise.all([
    repo.settings(owner),
    repo.lists(owner),
    held ? held.auth : repo.auth(owner, watcher),
    repo.listsContaining(owner, watcher),
    p.blockList(owner),
  ]);
  return decide(
    { owner, blockList, settings, listGrants: listGrants(lists), autoGrant },
    watcher,
    auth,
    watcherLists,
  );
}

/**
 * Decisions about many watchers of one owner (an update fanned out): four range reads in all,
 * whatever the number of watchers.
 */
export async function decisionsFor(
  p: Presence,
  owner: string,
): Promise<(watcher: string) => Decision> {
  const { repo } = p;
  const autoGrant = p.server.config.presenceAutoGrant;
  const [settings, lists, auths, memberships, blockList] = await Promise.all([
    repo.settings(owner),
    repo.lists(owner),
    repo.auths(owner),
    repo.memberships(owner),
    p.blockList(owner),
  ]);
  const rules = { owner, blockList, settings, listGrants: listGrants(lists), autoGrant };
  const listsOf = new Map<string, string[]>();
  for (const { user, list } of memberships) {
    const held = listsOf.get(user);
    if (held) held.push(list);
    else listsOf.set(user, [list]);
  }
  return (watcher) => decide(rules, watcher, auths.get(watcher), listsOf.get(watcher) ?? []);
}
