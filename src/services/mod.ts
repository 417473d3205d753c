/**
 * The service elements this server runs. Each one brings its primitive modules, the handlers of
 * its acknowledgements, an `install` step for hooks into the session life (e.g. presence
 * updates OnlineStatus when a session starts or ends), and the HTTP routes it serves besides
 * `POST /csp` (shared content, the server-to-server binding).
 */
import type { Hono } from "hono";
import type { AckModule, PrimitiveModule } from "../session/handler.ts";
import type { ServerContext } from "../session/server_context.ts";
import type { Store } from "../store/kv.ts";
import type { UserDataSpec } from "./accounts.ts";
import { accessModules } from "./access/mod.ts";
import { contentElement } from "./content/mod.ts";
import { groupElement } from "./group/mod.ts";
import { imElement } from "./im/mod.ts";
import { inviteElement } from "./invite/mod.ts";
import { presenceElement } from "./presence/mod.ts";
import { relayElement } from "./relay/mod.ts";
import { searchElement } from "./search/mod.ts";

export interface ServiceElement {
  name: string;
  modules: PrimitiveModule[];
  acks?: AckModule[];
  install?(server: ServerContext): void;
  routes?(app: Hono, server: ServerContext): void;
  /** Stops the element's background work (connections, timers) before the store closes. */
  close?(server: ServerContext): Promise<void>;
  /**
   * Where the element keeps what belongs to a user, for removing the account (see
   * `accounts.ts`): read from the store alone, in the order to delete, the entries it reads to
   * find the rest (indexes) last, so that a removal cut short finds the rest again.
   */
  userData?(store: Store, userId: string): Promise<UserDataSpec[]>;
}

export const serviceElements: ServiceElement[] = [
  {
    name: "access",
    modules: accessModules,
    userData: (_store, userId) => Promise.resolve([{ prefix: ["login_nonce", userId] }]),
  },
  presenceElement,
  imElement,
  groupElement,
  searchElement,
  contentElement,
  inviteElement,
  relayElement,
];
