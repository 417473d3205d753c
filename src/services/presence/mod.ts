/**
 * The presence service element (CSP 1.1–1.3, digest §2.4 and §7): contact lists, attribute lists,
 * subscriptions, authorisation and presence delivery through the session outbox. Watchers and
 * watched users of other domains are reached through the SSP transport (`federation.ts`).
 */
import type { ServerContext, ServiceElement, UserDataSpec } from "../../session/handler.ts";
import type { Store } from "../../store/kv.ts";
import {
  createAttributeListRequest,
  deleteAttributeListRequest,
  getAttributeListRequest,
} from "./attribute_lists.ts";
import {
  cancelAuthRequest,
  getReactiveAuthStatusRequest,
  getWatcherListRequest,
  presenceAuthUser,
} from "./authorization_requests.ts";
import { createListRequest, deleteListRequest, getListRequest } from "./contact_lists.ts";
import { Presence } from "./element.ts";
import { PresenceFederation } from "./federation.ts";
import { getPresenceRequest } from "./get_presence.ts";
import type { PresenceHooks } from "./hooks.ts";
import { listManageRequest } from "./list_manage.ts";
import { installNetworkPresence } from "./network.ts";
import { subscribeNotificationRequest, unsubscribeNotificationRequest } from "./notifications.ts";
import { subscribePresenceRequest, unsubscribePresenceRequest } from "./subscribe.ts";
import { updatePresenceRequest } from "./update_presence.ts";

export interface PresenceElement extends ServiceElement {
  readonly hooks: PresenceHooks;
}

export function createPresence(server: ServerContext, hooks: PresenceHooks = {}): PresenceElement {
  const p = new Presence(server, hooks);
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
