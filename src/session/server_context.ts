/** Everything a primitive handler may use, built once per server. */
import type { Config } from "../config.ts";
import type { Store } from "../store/kv.ts";
import type { OutboxRepo } from "../store/outbox.ts";
import type { UserRepo } from "../store/users.ts";
import type { Sealer } from "../util/crypto.ts";
import type { SessionLifecycle } from "./lifecycle.ts";
import type { Registry } from "./registry.ts";

export interface ServerContext {
  config: Config;
  store: Store;
  users: UserRepo;
  sessions: SessionLifecycle;
  outbox: OutboxRepo;
  registry: Registry;
  /** Present when IMPS_SECRET is set: seals passwords for digest login. */
  sealer?: Sealer;
}
