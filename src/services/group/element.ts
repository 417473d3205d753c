/**
 * What the group element works with: the server, its hooks, its storage, the changes of each
 * group run one at a time, and the notices for other domains waiting for their commit.
 */
import type { XmlElement } from "../../codec/xml/tree.ts";
import type { ServerContext } from "../../session/handler.ts";
import type { Mutation } from "../../store/kv.ts";
import { leased } from "../../store/serialised.ts";
import { KeyedQueue } from "../../util/keyed_queue.ts";
import { parseUserId } from "../shared/ids.ts";
import type { GroupHooks } from "./hooks.ts";
import type { GroupStorage } from "./storage.ts";

export class Groups {
  readonly #changes = new KeyedQueue();
  /** Changes of one group run one at a time (keyed by its id), so two joins cannot take the same
   * screen name nor both pass MaxActiveUsers; across instances too in shared mode. */
  readonly changes = {
    run: <T>(group: string, task: () => Promise<T>): Promise<T> =>
      this.#changes.run(group, leased(this.server.store, group, task)),
  };
  /** Domains with notices queued by mutations not committed yet (see `commit`). */
  readonly #pending = new Set<string>();

  constructor(
    readonly server: ServerContext,
    readonly hooks: GroupHooks,
    readonly repo: GroupStorage,
  ) {}

  /** Commits a change (in writes of bounded size), then sends what it queued for other
   * domains: a queue never looks before the work it is kicked for is there. */
  async commit(mutations: readonly Mutation[]): Promise<void> {
    await this.server.store.writeAll(mutations);
    const transport = this.hooks.federation;
    for (const domain of this.#pending) transport?.send(domain);
    this.#pending.clear();
  }

  /** The mutation queueing a notice (no answer, as Baraza answers none) for `domain`, sent at
   * the next `commit`. */
  notifyRemote(domain: string, primitive: XmlElement): Mutation[] {
    const transport = this.hooks.federation;
    if (!transport) return [];
    this.#pending.add(domain);
    return [
      transport.enqueue(domain, { kind: "notify", primitive, giveUpAt: transport.giveUpAt() }),
    ];
  }

  /** Users of other domains we federate with, by domain. */
  byDomain(users: readonly string[]): Map<string, string[]> {
    const byDomain = new Map<string, string[]>();
    const transport = this.hooks.federation;
    if (!transport) return byDomain;
    for (const user of users) {
      const address = parseUserId(user, this.server.config.domain);
      if (!address || !transport.allowed(address.domain)) continue;
      byDomain.set(address.domain, [...byDomain.get(address.domain) ?? [], address.id]);
    }
    return byDomain;
  }

  /** Whether `user` (a normalised UserID) is one of this server's users. */
  isLocal(user: string): boolean {
    return parseUserId(user, this.server.config.domain)?.domain === this.server.config.domain;
  }
}
