/**
 * Asking an owner to authorise a watcher: PresenceAuth-Request (1.1/1.2) or Notification-Request
 * ANU/ANC (1.3).
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { Mutation } from "../../store/kv.ts";
import type { SessionRecord } from "../../store/sessions.ts";
import { attributeNameList, type AttributeSelection } from "./attributes.ts";
import type { Presence } from "./element.ts";
import type { PresenceStorage } from "./storage.ts";

/**
 * Asks `owner` to authorise `watcher`: PresenceAuth-Request in CSP 1.1/1.2; in 1.3, where that
 * primitive is gone, a Notification-Request (digest §2.4, inferred), answered with an attribute
 * list or ListManage AuthorizeAndGrant: ANC (Authorization-Needed-Contact-List) naming the
 * owner's lists that hold the watcher and have no attribute list yet, so that one answer can
 * cover the list, else ANU (Authorization-Needed-User).
 */
export async function askOwner(
  p: Presence,
  owner: string,
  watcher: string,
  attributes: AttributeSelection,
  onlySession?: SessionRecord,
): Promise<Mutation[]> {
  const { server, repo } = p;
  const sessions = onlySession ? [onlySession] : await server.sessions.repo.listByUser(owner);
  const names = {
    "@attrs": { xmlns: "" },
    ...(attributes === "all" ? {} : attributeNameList(attributes)),
  };
  const unauthorisedLists = sessions.some((s) => s.version === "1.3")
    ? await listsWithoutGrant(repo, owner, watcher)
    : [];
  const notification: ElementObject = unauthorisedLists.length > 0
    ? {
      NotificationType: "ANC",
      ContactListIDList: { ContactList: unauthorisedLists },
      PresenceSubList: names,
      UserIDList: { UserID: [watcher] },
    }
    : { NotificationType: "ANU", PresenceSubList: names, UserIDList: { UserID: [watcher] } };
  return await server.outbox.enqueueManyMutations(sessions.map((session) => ({
    sessionId: session.id,
    entry: {
      coalesceKey: `auth:${watcher}`,
      primitive: session.version === "1.3"
        ? { name: "Notification-Request", body: notification }
        : { name: "PresenceAuth-Request", body: { UserID: watcher, PresenceSubList: names } },
    },
  })));
}

/** The owner's lists holding `watcher` that have no attribute list. */
async function listsWithoutGrant(
  repo: PresenceStorage,
  owner: string,
  watcher: string,
): Promise<string[]> {
  const [holding, lists] = await Promise.all([
    repo.listsContaining(owner, watcher),
    repo.lists(owner),
  ]);
  const granting = new Set(lists.filter((l) => l.grant).map((l) => l.id));
  return holding.filter((id) => !granting.has(id));
}
