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
import { createPresence, type PresenceElement } from "./presence/mod.ts";
import { createSearch, type SearchElement } from "./search/mod.ts";

/** The elements of one server, by name. */
export interface Elements {
  access: ServiceElement;
  presence: PresenceElement;
  im: ImElement;
  group: GroupElement;
  search: SearchElement;
  content: ContentElement;
  invite: InviteElement;
}

/** Every element of a server, with the SSP transport when federation is on. */
export function createElements(server: ServerContext, federation?: SspRelay): Elements {
  const elements: Elements = {
    access: createAccess(server),
    presence: createPresence(server, { federation }),
    im: createIm(server, { federation }),
    group: createGroupElement(server, { federation }),
    search: createSearch(server),
    content: createContent(server),
    invite: createInvite(server, { federation }),
  };
  const { presence, im, group, search, content, invite } = elements;
  presence.hooks.blockList = im.blockList;
  presence.hooks.presenceChanged = search.indexPresence;
  im.hooks.groups = group.messaging;
  im.hooks.content = content.sharing;
  content.hooks.groups = group.directory;
  search.hooks.groups = group.directory;
  invite.hooks.groups = group.directory;
  invite.hooks.content = content.sharing;
  return elements;
}

/** The elements in the order they were made. */
export function elementList(elements: Elements): ServiceElement[] {
  return Object.values(elements);
}
