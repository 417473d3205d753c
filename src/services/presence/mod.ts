/**
 * The presence service element (CSP 1.1–1.3, digest §2.4 and §7): contact lists, attribute lists,
 * subscriptions, authorisation and presence delivery through the session outbox.
 */
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
};
