/**
 * Outbound SSP work, kept in KV until the peer has it: ["relay", "out", domain, id]. Each peer's
 * queue is worked by one loop that sends a batch at once (pipelined on the connection pair),
 * deletes what the peer took, and while the peer is unreachable retries with growing pauses until
 * the work's give-up time, when the sender is told (DeliveryReport 542).
 *
 * Work that only the latest version of matters (a presence notification for one watcher) is kept
 * under a fixed coalescing key instead of a fresh id: a newer one replaces what is still waiting,
 * so a flapping user cannot flood a peer, and one key is never in flight twice, so the peer gets
 * them in order.
 */
import { failure, log } from "../../observe/log.ts";
import { traced, traceparent } from "../../observe/tracing.ts";
import {
  type DeliveryStatus,
  deliveryStatusReport,
  detailedResults,
  type RelayedMessage,
  sendMessageRequest,
  statusCode,
  statusDescription,
} from "../../codec/ssp/mod.ts";
import { type Federation, PeerRefused, PeerUnavailable } from "../../federation/federation.ts";
import type { XmlElement } from "../../codec/xml/tree.ts";
import type { ServerContext } from "../../session/server_context.ts";
import { check, CommitConflict, del, type Mutation, set } from "../../store/kv.ts";
import { sortableId } from "../../util/ids.ts";
import { BATCH, RETRY_FIRST_MS, RETRY_MAX_MS } from "./limits.ts";
import { reportToLocalSender, sentKey, type SentRecord } from "./reports.ts";

export type RelayJob =
  & (
    | { kind: "message"; message: RelayedMessage; giveUpAt: number }
    | { kind: "report"; report: DeliveryStatus; giveUpAt: number }
    /**
     * Any SSP request; its response is only checked for success (logged otherwise). `groupCopy`:
     * it carries one of our groups' messages to these joined users of the peer's domain.
     */
    | {
      kind: "request";
      primitive: XmlElement;
      giveUpAt: number;
      groupCopy?: { groupId: string; receivers: string[] };
      /** A JoinGroupRequest made for AutoJoin: the user is in once the group's server says yes. */
      joins?: GroupJoin;
    }
    /** Any SSP request the peer sends no response to (a presence notification). */
    | { kind: "notify"; primitive: XmlElement; giveUpAt: number }
  )
  /** The trace context of the request that queued the work (OpenTelemetry on). */
  & { traceparent?: string };

export interface GroupJoin {
  user: string;
  groupId: string;
  screenName: string;
}

const outPrefix = ["relay", "out"];
/** Prefix of coalescing keys: after every sortable (hex) id, so FIFO work goes first. */
const COALESCED = "~";

export class RelayQueue {
  readonly #server: ServerContext;
  readonly #federation: Federation;
  readonly #running = new Map<string, Promise<void>>();
  readonly #again = new Set<string>();
  readonly #sleeps = new Set<{ timer: ReturnType<typeof setTimeout>; wake(): void }>();
  #closed = false;
  /** Jobs tried and found their peer unreachable, to be tried again (metrics). */
  retries = 0;
  /** Told of a group message copy given up: its receivers' server is gone or refused. */
  onGroupCopyLost?: (domain: string, groupId: string, receivers: string[]) => Promise<void>;
  /** Told of a queued JoinGroupRequest the group's server took. */
  onJoined?: (join: GroupJoin) => Promise<void>;

  constructor(server: ServerContext, federation: Federation) {
    this.#server = server;
    this.#federation = federation;
  }

  /**
   * The mutation that queues `job` for `domain` (committed with the caller's own writes); with
   * `coalesceKey`, it replaces the job of that key still waiting.
   */
  enqueue(domain: string, job: RelayJob, coalesceKey?: string): Mutation {
    // The work goes on in the trace of the request that queued it.
    const trace = traceparent();
    return set(
      [...outPrefix, domain, coalesceKey ? `${COALESCED}${coalesceKey}` : sortableId()],
      trace ? { ...job, traceparent: trace } : job,
    );
  }

  /** Jobs waiting over all peers (a whole scan: for metrics, now and then). */
  async depth(): Promise<number> {
    return (await this.#server.store.count(outPrefix)).get("") ?? 0;
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
    return (await this.#server.store.list([...outPrefix, domain], { limit: 10_000 })).length;
  }

  /** Restarts the queues of every domain with work left (after a restart). */
  async resume(): Promise<void> {
    const domains = new Set<string>();
    for (const { key } of await this.#server.store.list(outPrefix)) domains.add(String(key[2]));
    for (const domain of domains) this.kick(domain);
  }

  async #run(domain: string): Promise<void> {
    let pause = RETRY_FIRST_MS;
    while (!this.#closed) {
      const jobs = await this.#server.store.list<RelayJob>([...outPrefix, domain], {
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

  /** One try at one job; false when the peer could not be reached (try again later). */
  async #attempt(domain: string, key: Deno.KvKey, job: RelayJob): Promise<boolean> {
    try {
      if (job.kind === "message") {
        const answer = await this.#federation.request(
          domain,
          sendMessageRequest(this.#server.config.domain, job.message),
        );
        await this.#answered(job.message, answer);
      } else if (job.kind === "report") {
        await this.#federation.notify(
          domain,
          deliveryStatusReport(this.#server.config.domain, job.report),
        );
      } else if (job.kind === "request") {
        const answer = await this.#federation.request(domain, job.primitive);
        const code = statusCode(answer);
        if (job.joins && code === 200) await this.onJoined?.(job.joins);
        if (code !== 200 && code !== 201) {
          log.warn("relay: refused by peer", {
            peer: domain,
            primitive: job.primitive.name,
            code: code ?? "none",
          });
        }
      } else {
        await this.#federation.notify(domain, job.primitive);
      }
    } catch (error) {
      if (error instanceof PeerRefused) {
        await this.#failed(domain, job, 516, error.message);
      } else {
        // Any other failure of a POST (unreachable, connection closed without a reply, no
        // answer in time) is retried with backoff until the work's give-up time.
        if (!(error instanceof PeerUnavailable)) {
          log.warn(`relay to ${domain}: ${(error as Error).message}`);
        }
        if (Date.now() < job.giveUpAt) return false;
        this.#federation.gaveUp(domain, `relayed work given up: ${(error as Error).message}`);
        await this.#failed(domain, job, 542, `Not delivered: ${(error as Error).message}`);
      }
    }
    await this.#done(key, job);
    return true;
  }

  /** Removes a job the peer took, unless a coalesced one was replaced meanwhile (it goes next). */
  async #done(key: Deno.KvKey, job: RelayJob): Promise<void> {
    if (!String(key[3]).startsWith(COALESCED)) return await this.#server.store.write(del(key));
    const entry = await this.#server.store.kv.get<RelayJob>(key);
    if (entry.versionstamp === null || JSON.stringify(entry.value) !== JSON.stringify(job)) return;
    try {
      await this.#server.store.write(check(key, entry.versionstamp), del(key));
    } catch (error) {
      if (!(error instanceof CommitConflict)) throw error;
    }
  }

  /** The peer's SendMessageResponse: recipients it refused are reported to the sender. */
  async #answered(message: RelayedMessage, answer: XmlElement) {
    const code = statusCode(answer) ?? 500;
    if (code === 200) return;
    const details = detailedResults(answer);
    const named = new Set(details.flatMap((d) => d.userIds ?? []));
    for (const d of details) {
      for (const id of d.userIds ?? []) await this.#report(message, id, d.code);
    }
    if (code !== 201) {
      for (const r of message.recipients) if (!named.has(r)) await this.#report(message, r, code);
    }
    if (code !== 201 && details.length === 0) {
      log.warn("relay: message refused", {
        message: message.messageId,
        code,
        description: statusDescription(answer),
      });
    }
  }

  async #failed(domain: string, job: RelayJob, code: number, description: string) {
    if (job.kind === "request" && job.groupCopy) {
      const { groupId, receivers } = job.groupCopy;
      await this.onGroupCopyLost?.(domain, groupId, receivers);
    }
    // Reports, subscriptions and notifications that cannot be sent are lost with their peer.
    if (job.kind !== "message") return;
    log.warn("relay: giving up", { message: job.message.messageId, reason: description });
    for (const r of job.message.recipients) await this.#report(job.message, r, code);
  }

  async #report(message: RelayedMessage, recipient: string, code: number): Promise<void> {
    if (!message.deliveryReport) return;
    const sent = await this.#server.store.get<SentRecord>(sentKey(message.messageId));
    if (sent) await reportToLocalSender(this.#server, sent, message.messageId, recipient, code);
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
    for (const s of this.#sleeps) {
      clearTimeout(s.timer);
      s.wake();
    }
    this.#sleeps.clear();
    await Promise.all([...this.#running.values()]);
  }
}
