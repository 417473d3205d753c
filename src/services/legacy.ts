/** Elements not made per server yet (a step of the move to per-server elements). */
import type { Hono } from "hono";
import type {
  AckModule,
  PrimitiveModule,
  ServerContext,
  UserDataSpec,
} from "../session/handler.ts";
import type { Store } from "../store/kv.ts";

export interface LegacyElement {
  name: string;
  modules: PrimitiveModule[];
  acks?: AckModule[];
  install?(server: ServerContext): void;
  routes?(app: Hono, server: ServerContext): void;
  userData?(store: Store, userId: string): Promise<UserDataSpec[]>;
}

declare module "../session/handler.ts" {
  interface ServiceHooks {
    sharedContent?: import("./content/sharing.ts").Sharing;
    groupDirectory?: import("./group/directory.ts").GroupDirectory;
    presenceChanged?: import("./search/mod.ts").SearchElement["indexPresence"];
  }
}
