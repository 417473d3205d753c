/**
 * The presence service element (CSP 1.1–1.3, digest §2.4 and §7): contact lists, attribute lists,
 * subscriptions, authorisation and presence delivery through the session outbox.
 */
import type { Store } from "../../store/kv.ts";
import type { UserDataSpec } from "../accounts.ts";
import type { ServiceElement } from "../mod.ts";
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
import { getPresenceRequest } from "./get_presence.ts";
import { listManageRequest } from "./list_manage.ts";
import { subscribeNotificationRequest, unsubscribeNotificationRequest } from "./notifications.ts";
import { installNetworkPresence } from "./network.ts";
import { subscribePresenceRequest, unsubscribePresenceRequest } from "./subscribe.ts";
import { updatePresenceRequest } from "./update_presence.ts";

export const presenceElement: ServiceElement = {
  name: "presence",
  modules: [
    getListRequest,
    createListRequest,
    deleteListRequest,
    listManageRequest,
    createAttributeListRequest,
    deleteAttributeListRequest,
    getAttributeListRequest,
    subscribePresenceRequest,
    unsubscribePresenceRequest,
    getPresenceRequest,
    updatePresenceRequest,
    presenceAuthUser,
    cancelAuthRequest,
    getReactiveAuthStatusRequest,
    getWatcherListRequest,
    subscribeNotificationRequest,
    unsubscribeNotificationRequest,
  ],
  install: installNetworkPresence,
  userData: presenceUserData,
};

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
