/**
 * Outbound SSP work, kept in KV until the peer has it: ["relay", "out", domain, id]. Each peer's
 * queue is worked by one loop that sends a batch at once (pipelined on the connection pair),
 * deletes what the peer took, and while the peer is unreachable retries with growing pauses until
 * the work's give-up time. What becomes of a job (the peer's answer, or that it was given up) is
 * heard by the handler the element that queued it registered (`onSettled`): IM reports a message
 * nobody took to its sender, the group element takes out members whose server is gone.
 *
 * Work that only the latest version of matters (a presence notification for one watcher) is kept
 * under a fixed coalescing key instead of a fresh id: a newer one replaces what is still waiting,
 * so a flapping user cannot flood a peer, and one key is never in flight twice, so the peer gets
 * them in order.
 */
import { failure, log } from "../observe/log.ts";
import { traced, traceparent } from "../observe/tracing.ts";
import {
  type DeliveryStatus,
  deliveryStatusReport,
  type RelayedMessage,
  sendMessageRequest,
  statusCode,
} from "../codec/ssp/mod.ts";
import type { XmlElement } from "../codec/xml/tree.ts";
import { check, CommitConflict, del, type Mutation, set, type Store } from "../store/kv.ts";
import { randomHex, sortableId } from "../util/ids.ts";
import { type Federation, PeerRefused, PeerUnavailable } from "./federation.ts";
import { BATCH, RETRY_FIRST_MS, RETRY_MAX_MS } from "./limits.ts";

/** One SSP primitive for a peer domain. */
export interface RelayJob {
  /** `request`: the peer answers it; `notify`: it does not (presence notifications, reports). */
  kind: "request" | "notify";
  primitive: XmlElement;
  /** When trying stops while the peer stays unreachable, epoch ms. */
  giveUpAt: number;
  /** Who hears what became of it: the name its handler is registered under, and its data. */
  settle?: { by: string; data?: unknown };
  /** The trace context of the request that queued the work (OpenTelemetry on). */
  traceparent?: string;
}

/** What an element hears of the jobs it queued under its handler's name. */
export interface SettleHandler {
  /** The peer answered a request (whatever its status). Without this, an answer other than 200
   * or 201 is logged. */
  answered?(domain: string, job: RelayJob, answer: XmlElement): Promise<void>;
  /** The job was given up: the domain is refused (516), or stayed unreachable until the job's
   * give-up time (542). */
  gaveUp?(domain: string, job: RelayJob, code: number, description: string): Promise<void>;
}

/**
 * Jobs as earlier versions wrote them: an IM message or delivery report kept as data (made into
 * SSP when sent), and requests that carried a group message copy or an AutoJoin.
 */
type EarlierJob =
  & (
    | { kind: "message"; message: RelayedMessage; giveUpAt: number }
    | { kind: "report"; report: DeliveryStatus; giveUpAt: number }
    | {
      kind: "request";
      primitive: XmlElement;
      giveUpAt: number;
      groupCopy?: unknown;
      joins?: unknown;
    }
  )
  & { traceparent?: string };

/** The handler names those jobs settle by (registered by IM and the group element). */
export const MESSAGE_SETTLED = "im.message";
export const GROUP_COPY_SETTLED = "group.copy";
export const GROUP_JOIN_SETTLED = "group.join";

const outPrefix = ["relay", "out"];
/**
 * Which instance works a domain's queue (shared mode): ["relay", "lease", domain] → Lease. Kept
 * without expireIn: the lease of an instance that is gone stays until another takes it over, so
 * that `takeOver` finds it (one range read of the leases).
 */
const leasePrefix = ["relay", "lease"];
/**
 * How long a lease holds unless renewed, ms: how long the queue of an instance that died waits
 * before another takes it over. The holder renews it every RENEW_MS while it works (sending,
 * awaiting answers, pausing between tries), so a round may last longer than a lease.
 */
export const LEASE_MS = 5_000;
/** How often the holder renews its lease, ms: three times a lease, so one late renewal loses
 * nothing. */
const RENEW_MS = LEASE_MS / 3;
/** How often an instance whose domain another instance works looks again, ms. */
const LEASE_LOOK_MS = 250;
/** How often an instance that keeps timers looks for leases that ran out (`watch`), ms. */
export const TAKE_OVER_LOOK_MS = 1_000;

interface Lease {
  instance: string;
  /** Epoch ms. */
  until: number;
}
/** A lease held while a domain's queue is worked. */
interface KeptLease {
  renew(): Promise<boolean>;
  /** Stops renewing (once a renewal under way is done). */
  stop(): Promise<void>;
}
/** Prefix of coalescing keys: after every sortable (hex) id, so FIFO work goes first. */
const COALESCED = "~";

export class RelayQueue {
  readonly #store: Store;
  readonly #domain: string;
  readonly #federation: Federation;
  readonly #settlers = new Map<string, SettleHandler>();
  readonly #running = new Map<string, Promise<void>>();
  readonly #again = new Set<string>();
  readonly #sleeps = new Set<{ timer: ReturnType<typeof setTimeout>; wake(): void }>();
  #closed = false;
  #watch?: ReturnType<typeof setInterval>;
  /** This process's name in leases. */
  readonly #instance: string;
  /** Jobs tried and found their peer unreachable, to be tried again (metrics). */
  retries = 0;

  /** `instance`: this instance's id in leases (shared mode: its inbox's, named at start). */
  constructor(store: Store, federation: Federation, instance = randomHex(4)) {
    this.#store = store;
    this.#domain = federation.domain;
    this.#federation = federation;
    this.#instance = instance;
  }

  /** Lets `handler` hear what becomes of the jobs queued with `settle.by` = `name`. */
  onSettled(name: string, handler: SettleHandler): void {
    this.#settlers.set(name, handler);
  }

  /**
   * The mutation that queues `job` for `domain` (committed with the caller's own writes, then
   * `kick`); with `coalesceKey`, it replaces the job of that key still waiting.
   */
  enqueue(domain: string, job: RelayJob, coalesceKey?: string): Mutation {
    // The work goes on in the trace of the request that queued it.
    const trace = traceparent();
    return set(
      [...outPrefix, domain, coalesceKey ? `${COALESCED}${coalesceKey}` : sortableId()],
      trace ? { ...job, traceparent: trace } : job,
    );
  }

  /** Whether this is the only instance on its store (no leases). */
  get exclusive(): boolean {
    return this.#store.exclusive;
  }

  /** Jobs waiting over all peers (a whole scan: for metrics, now and then). */
  async depth(): Promise<number> {
    return (await this.#store.count(outPrefix)).get("") ?? 0;
  }

  /** Makes sure the domain's queue is being worked. */
  kick(domain: string): void {
    if (this.#closed) return;
    if (this.#running.has(domain)) {
      this.#again.add(domain);
      return;
    }
    const run = this.#run(domain).catch((error) =>
      log.error("relay failed", { peer: domain, ...failure(error) })
    )
      .finally(() => {
        this.#running.delete(domain);
        if (this.#again.delete(domain)) this.kick(domain);
      });
    this.#running.set(domain, run);
  }

  /** How many jobs wait for `domain` (counted up to 10,000). */
  async waiting(domain: string): Promise<number> {
    return (await this.#store.list([...outPrefix, domain], { limit: 10_000 })).length;
  }

  /**
   * Starts the queues of every domain with work left that no instance works (after a restart;
   * in shared mode also in each sweep, for work whose instance was gone before it started it).
   * One short read per domain with work, however long its queue.
   */
  async resume(): Promise<void> {
    const leases = this.#store.exclusive ? new Map<string, Lease>() : await this.#leases();
    const now = Date.now();
    for (const domain of await this.#queuedDomains()) {
      const lease = leases.get(domain);
      if (!this.#running.has(domain) && !(lease && lease.until > now)) this.kick(domain);
    }
  }

  /**
   * Shared mode: takes over the queues whose lease ran out, their instance gone (killed, its
   * machine lost) or stalled past it. One range read of the leases (one per peer being worked).
   */
  async takeOver(): Promise<void> {
    if (this.#store.exclusive || this.#closed) return;
    const now = Date.now();
    for (const [domain, lease] of await this.#leases()) {
      if (lease.until <= now && !this.#running.has(domain)) this.kick(domain);
    }
  }

  /** Shared mode: runs `takeOver` every TAKE_OVER_LOOK_MS until `close` (where the host keeps
   * timers; on Deploy the sweeps run it instead). */
  watch(): void {
    if (this.#store.exclusive || this.#closed || this.#watch !== undefined) return;
    this.#watch = setInterval(
      () => this.takeOver().catch((e) => log.error("relay take-over failed", failure(e))),
      TAKE_OVER_LOOK_MS,
    );
  }

  async #leases(): Promise<Map<string, Lease>> {
    const leases = new Map<string, Lease>();
    for (const { key, value } of await this.#store.list<Lease>(leasePrefix)) {
      leases.set(String(key[2]), value);
    }
    return leases;
  }

  /** The domains with work queued: a skip scan, one read of one key per domain. */
  async #queuedDomains(): Promise<string[]> {
    const domains: string[] = [];
    for (;;) {
      const last = domains.at(-1);
      // `true` sorts after every string key part: past the last job of `last`.
      const selector = last === undefined
        ? { prefix: outPrefix }
        : { prefix: outPrefix, start: [...outPrefix, last, true] };
      let next: string | undefined;
      for await (const { key } of this.#store.scan(selector, { limit: 1 })) next = String(key[2]);
      if (next === undefined) return domains;
      domains.push(next);
    }
  }

  async #run(domain: string): Promise<void> {
    // On a store other instances share, one of them at a time works a domain's queue: two would
    // send the same jobs.
    if (this.#store.exclusive) return await this.#work(domain);
    // Another instance works it: this one looks again while work waits, for as long as a lease
    // lasts (the other may be gone, its lease running out, or about to end its round before
    // this job); past that the other is alive, renewing its lease, and works the job itself.
    const patience = Date.now() + LEASE_MS + LEASE_LOOK_MS;
    try {
      while (!this.#closed) {
        if (await this.#lease(domain, LEASE_MS)) return await this.#work(domain);
        if (Date.now() > patience) return;
        if ((await this.#store.list([...outPrefix, domain], { limit: 1 })).length === 0) return;
        await this.#sleep(LEASE_LOOK_MS);
      }
    } finally {
      await this.#unlease(domain).catch(() => {});
    }
  }

  /** Takes or renews this instance's lease on `domain`'s queue for `ms`; false if another
   * instance holds it. */
  async #lease(domain: string, ms: number): Promise<boolean> {
    const key = [...leasePrefix, domain];
    const entry = await this.#store.getEntry<Lease>(key);
    const held = entry?.value;
    if (held && held.instance !== this.#instance && held.until > Date.now()) return false;
    try {
      await this.#store.write(
        check(key, entry?.versionstamp ?? null),
        set(key, { instance: this.#instance, until: Date.now() + ms } satisfies Lease),
      );
      return true;
    } catch (error) {
      if (error instanceof CommitConflict) return false;
      throw error;
    }
  }

  async #unlease(domain: string): Promise<void> {
    const key = [...leasePrefix, domain];
    const entry = await this.#store.getEntry<Lease>(key);
    if (entry?.value.instance !== this.#instance) return;
    try {
      await this.#store.write(check(key, entry.versionstamp), del(key));
    } catch (error) {
      if (!(error instanceof CommitConflict)) throw error;
    }
  }

  async #work(domain: string): Promise<void> {
    const lease = this.#store.exclusive ? undefined : this.#keepLease(domain);
    try {
      await this.#rounds(domain, lease);
    } finally {
      await lease?.stop();
    }
  }

  async #rounds(domain: string, lease?: KeptLease): Promise<void> {
    let pause = RETRY_FIRST_MS;
    while (!this.#closed) {
      // Lost (another instance took over while this one stalled past its lease) ends the work.
      if (lease && !await lease.renew()) return;
      const jobs = await this.#store.list<RelayJob | EarlierJob>([...outPrefix, domain], {
        limit: BATCH,
      });
      if (jobs.length === 0) return;
      const results = await Promise.all(jobs.map((j) =>
        traced(
          `relay ${j.value.kind}`,
          { "imps.ssp.peer": domain },
          () => this.#attempt(domain, j.key, j.value),
          { parent: j.value.traceparent },
        )
      ));
      if (results.every(Boolean)) {
        pause = RETRY_FIRST_MS;
        continue;
      }
      this.retries += results.filter((ok) => !ok).length;
      await this.#sleep(pause);
      pause = Math.min(pause * 2, RETRY_MAX_MS);
    }
  }

  /**
   * Keeps this instance's lease on `domain` renewed every RENEW_MS until `stop`; `renew` renews
   * it now (one renewal at a time: two at once would conflict with each other) and says whether
   * it is still held. A renewal that fails ends the holding: better another instance takes over
   * than two send.
   */
  #keepLease(domain: string): KeptLease {
    let held = true;
    let last = Promise.resolve(true);
    const renew = () =>
      last = last.then(async () => {
        if (!held) return false;
        try {
          held = await this.#lease(domain, LEASE_MS);
        } catch (error) {
          log.warn("relay: lease not renewed", { peer: domain, ...failure(error) });
          held = false;
        }
        return held;
      });
    const timer = setInterval(renew, RENEW_MS);
    return {
      renew,
      async stop() {
        clearInterval(timer);
        await last;
      },
    };
  }

  /** One try at one job; false when the peer could not be reached (try again later). */
  async #attempt(domain: string, key: Deno.KvKey, stored: RelayJob | EarlierJob): Promise<boolean> {
    const job = this.#current(stored);
    const settler = job.settle && this.#settlers.get(job.settle.by);
    try {
      if (job.kind === "request") {
        const answer = await this.#federation.request(domain, job.primitive);
        if (settler?.answered) await settler.answered(domain, job, answer);
        else {
          const code = statusCode(answer);
          if (code !== 200 && code !== 201) {
            log.warn("relay: refused by peer", {
              peer: domain,
              primitive: job.primitive.name,
              code: code ?? "none",
            });
          }
        }
      } else {
        await this.#federation.notify(domain, job.primitive);
      }
    } catch (error) {
      if (error instanceof PeerRefused) {
        await settler?.gaveUp?.(domain, job, 516, error.message);
      } else {
        // Any other failure of a POST (unreachable, connection closed without a reply, no
        // answer in time) is retried with backoff until the work's give-up time.
        if (!(error instanceof PeerUnavailable)) {
          log.warn(`relay to ${domain}: ${(error as Error).message}`);
        }
        if (Date.now() < job.giveUpAt) return false;
        this.#federation.gaveUp(domain, `relayed work given up: ${(error as Error).message}`);
        await settler?.gaveUp?.(domain, job, 542, `Not delivered: ${(error as Error).message}`);
      }
    }
    await this.#done(key, stored);
    return true;
  }

  /** A job as this version runs it, whichever version wrote it. */
  #current(job: RelayJob | EarlierJob): RelayJob {
    if (job.kind === "message") {
      return {
        kind: "request",
        primitive: sendMessageRequest(this.#domain, job.message),
        giveUpAt: job.giveUpAt,
        settle: { by: MESSAGE_SETTLED, data: job.message },
      };
    }
    if (job.kind === "report") {
      return {
        kind: "notify",
        primitive: deliveryStatusReport(this.#domain, job.report),
        giveUpAt: job.giveUpAt,
      };
    }
    if ("groupCopy" in job && job.groupCopy) {
      const { groupCopy, ...rest } = job;
      return { ...rest, settle: { by: GROUP_COPY_SETTLED, data: groupCopy } };
    }
    if ("joins" in job && job.joins) {
      const { joins, ...rest } = job;
      return { ...rest, settle: { by: GROUP_JOIN_SETTLED, data: joins } };
    }
    return job as RelayJob;
  }

  /** Removes a job the peer took, unless a coalesced one was replaced meanwhile (it goes next). */
  async #done(key: Deno.KvKey, job: RelayJob | EarlierJob): Promise<void> {
    if (!String(key[3]).startsWith(COALESCED)) return await this.#store.write(del(key));
    const entry = await this.#store.getEntry<RelayJob>(key);
    if (entry === undefined || JSON.stringify(entry.value) !== JSON.stringify(job)) return;
    try {
      await this.#store.write(check(key, entry.versionstamp), del(key));
    } catch (error) {
      if (!(error instanceof CommitConflict)) throw error;
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.#sleeps.delete(entry);
          resolve();
        }, ms),
        wake: resolve,
      };
      this.#sleeps.add(entry);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#watch);
    for (const s of this.#sleeps) {
      clearTimeout(s.timer);
      s.wake();
    }
    this.#sleeps.clear();
    await Promise.all([...this.#running.values()]);
  }
}
