/**
 * The service elements this server runs, made for one server: each one is created with the
 * server's context, and what it needs of another element (declared in its `hooks.ts`) is filled
 * in here. Elements are made in the order their session hooks run.
 */
import type { SspRelay } from "../federation/relay.ts";
import type { ServerContext, ServiceElement } from "../session/handler.ts";
import { createAccess } from "./access/mod.ts";
import { type ContentElement, createContent } from "./content/mod.ts";
import { createGroupElement, type GroupElement } from "./group/mod.ts";
import { createIm, type ImElement } from "./im/mod.ts";
import { createInvite, type InviteElement } from "./invite/mod.ts";
import type { LegacyElement } from "./legacy.ts";
import { presenceElement } from "./presence/mod.ts";
import { createRelayElement } from "./relay/mod.ts";
import { createSearch, type SearchElement } from "./search/mod.ts";

/** The elements of one server, by name. */
export interface Elements {
  access: ServiceElement;
  presence: ServiceElement;
  im: ImElement;
  group: GroupElement;
  search: SearchElement;
  content: ContentElement;
  invite: InviteElement;
  relay: ServiceElement;
}

/** Every element of a server, with the SSP transport when federation is on. */
export function createElements(server: ServerContext, federation?: SspRelay): Elements {
  const elements: Elements = {
    access: createAccess(server),
    presence: adopt(server, presenceElement),
    im: createIm(server, { federation }),
    group: createGroupElement(server, { federation }),
    search: createSearch(server),
    content: createContent(server),
    invite: createInvite(server, { federation }),
    relay: createRelayElement(server, federation),
  };
  server.hooks.groupDirectory = elements.group.directory;
  elements.im.hooks.groups = elements.group.messaging;
  elements.im.hooks.content = elements.content.sharing;
  elements.content.hooks.groups = elements.group.directory;
  elements.search.hooks.groups = elements.group.directory;
  server.hooks.presenceChanged = elements.search.indexPresence;
  elements.invite.hooks.groups = elements.group.directory;
  elements.invite.hooks.content = elements.content.sharing;
  server.hooks.sharedContent = elements.content.sharing;
  return elements;
}

/** The elements in the order they were made. */
export function elementList(elements: Elements): ServiceElement[] {
  return Object.values(elements);
}

function adopt(server: ServerContext, element: LegacyElement): ServiceElement {
  element.install?.(server);
  const { routes, userData } = element;
  return {
    name: element.name,
    modules: element.modules,
    acks: element.acks,
    routes: routes && ((app) => routes(app, server)),
    userData: userData && ((userId) => userData(server.store, userId)),
  };
}
