/**
 * Presence across domains (SSP transactions of digest §9.3), on the SSP transport.
 *
 * Watcher's side: a local user's SubscribePresence or UnsubscribePresence of remote users is
 * stored here (["relay", "presence", "watching", watcher, owner]) and queued as an SSP
 * Subscribe/UnsubscribeRequest before the client's 200; GetPresence waits for the peer's
 * GetPresenceResponse. A peer's PresenceNotification is queued to the watcher's live sessions as
 * a PresenceNotification-Request, only for owners of that peer the watcher subscribed to here.
 *
 * Owner's side: a peer's SubscribeRequest goes through presence's own `subscribe`, so the remote
 * watcher is authorised exactly like a local one (attribute lists, reactive authorisation or
 * auto-grant, blocking) and shows in GetWatcherList; it is also indexed here (["relay",
 * "presence", "watcher", owner, watcher]) so that a presence change reads one short range to find
 * the watchers elsewhere. Their notifications are coalesced per (owner, watcher) in the relay
 * queue: the latest state wins, in order.
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import { encodeElement } from "../../codec/csp/element.ts";
import {
  getPresenceRequest,
  getPresenceResponse,
  notificationRecipients,
  presenceNotification as sspPresenceNotification,
  type PresenceValue,
  readPresenceRequest,
  readPresenceValues,
  status,
  subscribeRequest,
  unsubscribeRequest,
} from "../../codec/ssp/mod.ts";
import { DEFAULT_XML_LIMITS, type XmlElement } from "../../codec/xml/tree.ts";
import type { Core } from "../../core/mod.ts";
import type { SspTransport } from "../../federation/relay.ts";
import type { RequestContext } from "../../session/handler.ts";
import { describe } from "../../session/status.ts";
import { del, type Mutation, set } from "../../store/kv.ts";
import { ATTRIBUTE_NAME, parseUserId, type UserAddress } from "../shared/ids.ts";
import {
  type AttributeSelection,
  intersect,
  type PresenceAttributes,
  selects,
  visiblePart,
} from "./attributes.ts";
import { decideFor, decisionsFor } from "./authorization.ts";
import type { Presence } from "./element.ts";
import { readPresence } from "./federation_values.ts";
import { GET_PRESENCE_TIMEOUT_MS, PRESENCE_TARGETS } from "./limits.ts";
import { renotifyWatchers } from "./publish.ts";
import type { RemoteOperation, RemotePresence, RemoteTarget } from "./remote.ts";
import { DIRECT } from "./storage.ts";
import { subscribe, unsubscribe } from "./subscriptions.ts";
import type { Outcome } from "./targets.ts";
import { commitAll } from "./commit.ts";
import { presenceElement, presenceNotification } from "./presence_notification.ts";

/** A local user's subscription to a remote user, kept on the watcher's side. */
interface RemoteSubscription {
  attributes: AttributeSelection;
  since: number;
}

/** A remote watcher of a local user, kept on the owner's side. */
interface RemoteWatcher {
  attributes: AttributeSelection;
}

const watchingKey = (watcher: string, owner: string) => [
  "relay",
  "presence",
  "watching",
  watcher,
  owner,
];
const watcherPrefix = (owner: string) => ["relay", "presence", "watcher", owner];
const watcherKey = (owner: string, watcher: string) => [...watcherPrefix(owner), watcher];

const encoder = new TextEncoder();

/** Presence across domains: serves the peers' presence requests from the moment it is made. */
export class PresenceFederation implements RemotePresence {
  readonly #presence: Presence;
  readonly #transport: SspTransport;
  readonly #core: Promise<Core>;
  /** Per remote watcher, the tail of its (un)subscriptions being served, and per peer the tail
   * of its notifications being applied, so that each applies in the order it arrived. */
  readonly #chains = new Map<string, Promise<unknown>>();

  constructor(presence: Presence, transport: SspTransport) {
    this.#presence = presence;
    this.#transport = transport;
    this.#core = transport.core;
    transport.handle("SubscribeRequest", (peer, p) => this.#inOrder(peer, p, this.#subscribed));
    transport.handle(
      "UnsubscribeRequest",
      (peer, p) => this.#inOrder(peer, p, this.#unsubscribed),
    );
    transport.handle("GetPresenceRequest", (peer, p) => this.#presenceAsked(peer, p));
    // Each update applies before the peer hears it arrived (it sends the next only then), and
    // after those that arrived before it: applied as they came, an older one committed last
    // would hide the newer one.
    transport.handle(
      "PresenceNotification",
      (peer, p) => this.#after(`notifications from ${peer}`, () => this.#notified(peer, p)),
      { appliedBeforeAnswer: true },
    );
  }

  // ---- Watcher's side --------------------------------------------------------------------------

  async request(
    ctx: RequestContext,
    operation: RemoteOperation,
    targets: readonly RemoteTarget[],
    attributes: AttributeSelection,
    outcome: Outcome,
  ): Promise<ElementObject[]> {
    const watcher = ctx.session!.userId;
    const byDomain = new Map<string, string[]>();
    for (const target of targets) {
      if (!this.#transport.allowed(target.domain)) {
        outcome.failUser(516, target.id, `Domain ${target.domain} is not federated with`);
        continue;
      }
      const ids = byDomain.get(target.domain) ?? [];
      if (!ids.includes(target.id)) ids.push(target.id);
      byDomain.set(target.domain, ids);
    }
    if (operation === "get-presence") {
      return await this.#getPresence(watcher, byDomain, attributes, outcome);
    }

    const domain = this.#presence.server.config.domain;
    const giveUpAt = Date.now() + this.#presence.server.config.sspGiveUpS * 1000;
    const mutations: Mutation[] = [];
    for (const [peer, ids] of byDomain) {
      for (const id of ids) {
        outcome.succeed();
        mutations.push(
          operation === "subscribe"
            ? set(
              watchingKey(watcher, id),
              { attributes, since: Date.now() } satisfies RemoteSubscription,
            )
            : del(watchingKey(watcher, id)),
        );
      }
      const primitive = operation === "subscribe"
        ? subscribeRequest(domain, watcher, ids, names(attributes))
        : unsubscribeRequest(domain, watcher, ids);
      mutations.push(this.#transport.enqueue(peer, { kind: "request", primitive, giveUpAt }));
    }
    await commitAll(this.#presence.server.store, mutations);
    for (const peer of byDomain.keys()) this.#transport.send(peer);
    return [];
  }

  /** Asks every domain at once; users of a domain that does not answer in time get 503. */
  async #getPresence(
    watcher: string,
    byDomain: Map<string, string[]>,
    attributes: AttributeSelection,
    outcome: Outcome,
  ): Promise<ElementObject[]> {
    const domain = this.#presence.server.config.domain;
    const answers = await Promise.all([...byDomain].map(async ([peer, ids]) => {
      try {
        const answer = await withTimeout(
          this.#transport.request(
            peer,
            getPresenceRequest(domain, watcher, ids, names(attributes)),
          ),
          GET_PRESENCE_TIMEOUT_MS,
        );
        const shown = new Map<string, PresenceAttributes>();
        for (const value of readPresenceValues(answer)) {
          const owner = parseUserId(value.userId, peer);
          const presence = owner && ids.includes(owner.id)
            ? readPresence(value.list, peer)
            : undefined;
          if (presence) shown.set(owner!.id, visiblePart(presence, attributes));
        }
        // A user the peer did not answer for looks like one whose presence is hidden.
        return ids.map((id) => {
          outcome.succeed();
          return presenceElement(id, shown.get(id) ?? {}, false);
        });
      } catch (error) {
        for (const id of ids) {
          outcome.failUser(503, id, `Domain ${peer} did not answer: ${(error as Error).message}`);
        }
        return [];
      }
    }));
    return answers.flat();
  }

  /** A peer's PresenceNotification: to the sessions of watchers here subscribed to its owners. */
  async #notified(peer: string, p: XmlElement): Promise<undefined> {
    const domain = this.#presence.server.config.domain;
    const recipients = notificationRecipients(p)
      .map((raw) => parseUserId(raw, domain))
      .filter((r): r is UserAddress => r?.domain === domain);
    const mutations: Mutation[] = [];
    for (const value of readPresenceValues(p)) {
      const owner = parseUserId(value.userId, peer);
      const presence = owner?.domain === peer ? readPresence(value.list, peer) : undefined;
      if (!presence) continue;
      for (const watcher of recipients) {
        const subscription = await this.#presence.server.store.get<RemoteSubscription>(
          watchingKey(watcher.id, owner!.id),
        );
        if (!subscription) continue; // not asked for here: a peer cannot push presence at will
        const shown = visiblePart(presence, subscription.attributes);
        for (const session of await this.#presence.server.sessions.repo.listByUser(watcher.id)) {
          mutations.push(
            ...await this.#presence.server.outbox.enqueueMutations(session.id, {
              primitive: presenceNotification(owner!.id, shown),
              coalesceKey: `remote-presence:${owner!.id}`,
            }),
          );
        }
      }
    }
    await commitAll(this.#presence.server.store, mutations);
    return undefined; // PresenceNotification has no SSP response (Baraza sends none)
  }

  // ---- Owner's side ----------------------------------------------------------------------------

  async presenceChanged(
    owner: string,
    presence: PresenceAttributes,
    changed: AttributeSelection,
    only?: ReadonlySet<string>,
  ): Promise<void> {
    const store = this.#presence.server.store;
    const watchers = (await store.list<RemoteWatcher>(watcherPrefix(owner)))
      .map((e) => ({ id: String(e.key[4]), record: e.value }))
      .filter((w) => !only || only.has(w.id));
    if (watchers.length === 0) return;
    const decide = await decisionsFor(this.#presence, owner);
    const domain = this.#presence.server.config.domain;
    const giveUpAt = Date.now() + this.#presence.server.config.sspGiveUpS * 1000;
    const mutations: Mutation[] = [];
    const peers = new Set<string>();
    for (const watcher of watchers) {
      const decision = decide(watcher.id);
      if (decision.kind !== "granted") continue;
      const visible = intersect(decision.attributes, watcher.record.attributes);
      const names = visible === "all" ? Object.keys(presence) : visible;
      if (!names.some((name) => selects(changed, name) && Object.hasOwn(presence, name))) continue;
      const peer = parseUserId(watcher.id, domain)!.domain;
      const value: PresenceValue = {
        userId: owner,
        list: await this.#presenceTree(visiblePart(presence, visible)),
      };
      const primitive = sspPresenceNotification(domain, [watcher.id], [value]);
      mutations.push(
        this.#transport.enqueue(
          peer,
          { kind: "notify", primitive, giveUpAt },
          `presence ${owner} ${watcher.id}`,
        ),
      );
      peers.add(peer);
    }
    await commitAll(store, mutations);
    for (const peer of peers) this.#transport.send(peer);
  }

  /** Runs a peer's (un)subscription after the ones that arrived before it for the same watcher. */
  #inOrder(
    peer: string,
    p: XmlElement,
    serve: (
      this: PresenceFederation,
      peer: string,
      watcher: string,
      p: XmlElement,
    ) => Promise<XmlElement>,
  ): Promise<XmlElement> {
    const watcher = parseUserId(readPresenceRequest(p).requestor.userId ?? "", peer);
    if (!watcher || watcher.domain !== peer) {
      return Promise.resolve(status(402, "The requesting user is not of the requesting domain"));
    }
    return this.#after(`watcher ${watcher.id}`, () => serve.call(this, peer, watcher.id, p));
  }

  /** Runs `work` once what was queued before it under `chain` has run. */
  #after<T>(chain: string, work: () => Promise<T>): Promise<T> {
    const run = (this.#chains.get(chain) ?? Promise.resolve()).then(work);
    const tail = run.catch(() => {});
    this.#chains.set(chain, tail);
    tail.then(() => {
      if (this.#chains.get(chain) === tail) this.#chains.delete(chain);
    });
    return run;
  }

  /**
   * A remote watcher subscribes to local users: presence's own subscription (authorisation
   * asked or decided as for a local watcher), then what it may see now is sent at once.
   */
  async #subscribed(peer: string, watcher: string, p: XmlElement): Promise<XmlElement> {
    const request = readPresenceRequest(p);
    const attributes = selection(request.attributes);
    const { owners, foreign } = this.#localUsers(request.users);
    // Unknown users are answered like known ones (nothing says who exists), and watched by no one.
    const known = await Promise.all(
      owners.map((owner) =>
        subscribe(this.#presence, watcher, owner, attributes, [DIRECT], [
          set(watcherKey(owner, watcher), { attributes } satisfies RemoteWatcher),
        ])
      ),
    );
    for (const owner of owners.filter((_, i) => known[i])) {
      await renotifyWatchers(this.#presence, owner, new Set([watcher]));
    }
    return outcomeStatus(owners.length, foreign, peer);
  }

  async #unsubscribed(peer: string, watcher: string, p: XmlElement): Promise<XmlElement> {
    const { repo } = this.#presence;
    const { owners, foreign } = this.#localUsers(readPresenceRequest(p).users);
    const mutations: Mutation[] = [];
    for (const owner of owners) {
      mutations.push(
        ...await unsubscribe(repo, watcher, owner, [DIRECT]),
        del(watcherKey(owner, watcher)),
      );
    }
    await commitAll(this.#presence.server.store, mutations);
    return outcomeStatus(owners.length, foreign, peer);
  }

  /** A peer's GetPresence: each local user's presence as this watcher may see it (else none). */
  async #presenceAsked(peer: string, p: XmlElement): Promise<XmlElement> {
    const request = readPresenceRequest(p);
    const watcher = parseUserId(request.requestor.userId ?? "", peer);
    if (!watcher || watcher.domain !== peer) {
      return status(402, "The requesting user is not of the requesting domain");
    }
    const wanted = selection(request.attributes);
    const { repo } = this.#presence;
    const values: PresenceValue[] = [];
    for (const owner of this.#localUsers(request.users).owners) {
      const decision = await decideFor(this.#presence, owner, watcher.id);
      const shown = decision.kind === "granted" && await this.#presence.server.users.get(owner)
        ? visiblePart(await repo.presence(owner), intersect(decision.attributes, wanted))
        : {};
      values.push({ userId: owner, list: await this.#presenceTree(shown) });
    }
    return getPresenceResponse(values);
  }

  /** The users of this domain among `raw` ids (deduplicated, bounded), and the others. */
  #localUsers(raw: string[]): { owners: string[]; foreign: string[] } {
    const domain = this.#presence.server.config.domain;
    const owners = new Set<string>();
    const foreign: string[] = [];
    for (const id of raw.slice(0, PRESENCE_TARGETS)) {
      const address = parseUserId(id, domain);
      if (address?.domain === domain) owners.add(address.id);
      else foreign.push(id);
    }
    return { owners: [...owners], foreign };
  }

  /** A presence as the `PresenceSubList` tree SSP carries, written by the CSP codec (schema order). */
  async #presenceTree(presence: PresenceAttributes): Promise<XmlElement> {
    const xml = encodeElement("PresenceSubList", presence as ElementObject);
    return (await this.#core).parseXml(encoder.encode(xml), DEFAULT_XML_LIMITS);
  }
}

/** Status of a Subscribe/UnsubscribeRequest: users of other domains than ours get 516. */
function outcomeStatus(local: number, foreign: string[], peer: string): XmlElement {
  if (foreign.length === 0) return status(200, describe(200));
  const details = [{ code: 516, description: "Not a user of this domain", userIds: foreign }];
  return status(local > 0 ? 201 : 516, `Relayed from ${peer}`, details);
}

function names(attributes: AttributeSelection): "all" | string[] {
  return attributes === "all" ? "all" : [...attributes];
}

/** Attribute names a peer asks for; malformed names are dropped, none left means all. */
function selection(requested: "all" | string[]): AttributeSelection {
  if (requested === "all") return "all";
  const valid = requested.filter((name) => ATTRIBUTE_NAME.test(name));
  return valid.length === 0 ? "all" : valid;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
