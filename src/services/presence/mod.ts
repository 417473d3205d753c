/**
 * The presence service element (CSP 1.1–1.3, digest §2.4 and §7): contact lists, attribute lists,
 * subscriptions, authorisation and presence delivery through the session outbox. Watchers and
 * watched users of other domains are reached through the SSP transport (`federation.ts`).
 */
import type { ServerContext, ServiceElement, UserDataSpec } from "../../session/handler.ts";
import type { Store } from "../../store/kv.ts";
import { cancelAuthRequest } from "./cancel_auth.ts";
import { createAttributeListRequest } from "./create_attribute_list.ts";
import { createListRequest } from "./create_list.ts";
import { deleteAttributeListRequest } from "./delete_attribute_list.ts";
import { deleteListRequest } from "./delete_list.ts";
import { Presence } from "./element.ts";
import { PresenceFederation } from "./federation.ts";
import { getAttributeListRequest } from "./get_attribute_list.ts";
import { getListRequest } from "./get_list.ts";
import { getPresenceRequest } from "./get_presence.ts";
import { getReactiveAuthStatusRequest } from "./get_reactive_auth_status.ts";
import { getWatcherListRequest } from "./get_watcher_list.ts";
import type { PresenceHooks } from "./hooks.ts";
import { listManageRequest } from "./list_manage.ts";
import { installNetworkPresence } from "./network.ts";
import { presenceAuthUser } from "./presence_auth_user.ts";
import { PresenceRepo } from "./repo.ts";
import { subscribeNotificationRequest } from "./subscribe_notification.ts";
import { subscribePresenceRequest } from "./subscribe_presence.ts";
import { unsubscribeNotificationRequest } from "./unsubscribe_notification.ts";
import { unsubscribePresenceRequest } from "./unsubscribe_presence.ts";
import { updatePresenceRequest } from "./update_presence.ts";

export interface PresenceElement extends ServiceElement {
  readonly hooks: PresenceHooks;
}

export function createPresence(server: ServerContext, hooks: PresenceHooks = {}): PresenceElement {
  const p = new Presence(server, hooks, new PresenceRepo(server.store));
  installNetworkPresence(p);
  if (hooks.federation) p.remote = new PresenceFederation(p, hooks.federation);
  return {
    name: "presence",
    modules: [
      getListRequest(p),
      createListRequest(p),
      deleteListRequest(p),
      listManageRequest(p),
      createAttributeListRequest(p),
      deleteAttributeListRequest(p),
      getAttributeListRequest(p),
      subscribePresenceRequest(p),
      unsubscribePresenceRequest(p),
      getPresenceRequest(p),
      updatePresenceRequest(p),
      presenceAuthUser(p),
      cancelAuthRequest(p),
      getReactiveAuthStatusRequest(p),
      getWatcherListRequest(p),
      subscribeNotificationRequest,
      unsubscribeNotificationRequest,
    ],
    hooks,
    userData: (userId) => presenceUserData(server.store, userId),
  };
}

/** The user's own presence, lists and decisions; their entries in the records of those they
 * watch; and the decisions others made about this id (a later account of that id is someone
 * else). What they watch is read from last. */
async function presenceUserData(store: Store, userId: string): Promise<UserDataSpec[]> {
  const watched = await store.list(["presence", "watching", userId]);
  return [
    ...watched.flatMap(({ key }) => [
      { prefix: ["presence", "watcher", key[3], userId] },
      { prefix: ["presence", "listener", key[3], userId] },
    ]),
    { scan: ["presence", "auth"], part: 3 },
    ...["state", "settings", "list", "contact", "member", "auth", "watcher", "fanout", "former"]
      .concat(["access", "listener", "watching"])
      .map((kind) => ({ prefix: ["presence", kind, userId] })),
  ];
}
