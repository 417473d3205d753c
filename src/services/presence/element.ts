/**
 * What the presence element works with: the server, its hooks, its storage, and the presence
 * work of each user run one at a time.
 */
import type { ServerContext } from "../../session/handler.ts";
import { type BlockRecord, emptyEntityList } from "../shared/privacy.ts";
import type { PresenceHooks } from "./hooks.ts";
import type { RemotePresence } from "./remote.ts";
import type { PresenceStorage } from "./storage.ts";

export class Presence {
  /** Users of other domains, over the SSP transport (set when federation is on). */
  remote?: RemotePresence;
  /** Per user, the tail of the chain of their presence work. */
  readonly #chains = new Map<string, Promise<void>>();

  constructor(
    readonly server: ServerContext,
    readonly hooks: PresenceHooks,
    readonly repo: PresenceStorage,
  ) {}

  /** Runs `task` after the presence work already started for `user` has ended. */
  oneAtATime<T>(user: string, task: () => Promise<T>): Promise<T> {
    const run = (this.#chains.get(user) ?? Promise.resolve()).then(task);
    const tail = run.then(() => {}, () => {});
    this.#chains.set(user, tail);
    tail.then(() => {
      if (this.#chains.get(user) === tail) this.#chains.delete(user);
    });
    return run;
  }

  /** `owner`'s block and grant lists; none in use without the element that keeps them. */
  async blockList(owner: string): Promise<BlockRecord> {
    return await this.hooks.blockList?.(owner) ?? {
      blockInUse: false,
      grantInUse: false,
      block: emptyEntityList(),
      grant: emptyEntityList(),
    };
  }
}
