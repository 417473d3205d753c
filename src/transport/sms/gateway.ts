/**
 * The SMS gateway path: SMS from phones arrive through Kannel's `sms-service` HTTP callback on
 * `POST /sms` (authenticated by a shared secret, an address allow-list, or both); each is either
 * PTS (the CSP SMS binding: a data SMS to the PTS port, or text with a `WV…` preamble), put back
 * together from its parts and run as one exchange, or a CLP command. Answers, and what the
 * server hands a session living on a phone, go out through the gateway's `sendsms` interface.
 *
 * A session living on a phone is woken as CIR wakes the others: the outbox tells, after each
 * commit, which sessions and users got something new (store/outbox.ts `onWaiting`), and what
 * waits goes out as SMS at once, after any SMS of the same phone being answered. The SMS are the
 * push itself, so such sessions agree no CIR method (services/access/capability.ts). What the
 * outbox cannot tell is looked for every RECHECK_MS: what went unacknowledged and is due again,
 * what an hour's budget or a gateway failure held back, and, on a KV shared with other
 * instances, what they committed (then every SWEEP_MS, as it is the only way to hear of it).
 *
 * Bounded: SMS accepted from a number and sent to one per hour, the length of an SMS, PTS parts
 * and messages in progress; numbers no user is registered with get at most one SMS a day, and
 * PTS only where IMPS_SMS_OPEN allows it. Nothing an SMS says can crash the server: every path
 * ends in an error answer or silence.
 */
import type { Context, Hono } from "hono";
import { ClpService } from "../../clp/service.ts";
import {
  DATA_SMS,
  isGsmText,
  PREAMBLE,
  type PtsLimits,
  PtsSyntaxError,
  SegmentAssembler,
  type SmsCapacity,
  splitPts,
  TEXT_SMS,
} from "../../codec/sms/mod.ts";
import { parsePts, quote } from "../../codec/sms/syntax.ts";
import { portUdh, readUdh } from "../../codec/sms/udh.ts";
import type { CspMessage } from "../../codec/csp/message.ts";
import type { SmsBindingConfig } from "../../config.ts";
import { failure, log } from "../../observe/log.ts";
import { dispatch } from "../../session/dispatcher.ts";
import type { ServerContext, SmsSessions } from "../../session/handler.ts";
import { RESEND_AFTER_MS } from "../../store/outbox.ts";
import { type SmsBinding, SmsRepo } from "../../store/sms.ts";
import { AddressList } from "../../util/address_list.ts";
import { constantTimeEqual } from "../../util/crypto.ts";
import { isMsisdn } from "../../util/msisdn.ts";
import { parseUserId } from "../../services/shared/ids.ts";
import { limitBody } from "../body_limit.ts";
import { type IncomingSms, readCallback, smsText } from "./callback.ts";
import { exchangePts, writeAnswer } from "./pts.ts";
import { HourlyBudget } from "./budget.ts";
import type { OutgoingSms, SmsSender } from "./kannel.ts";

/** How often waiting parts are timed out. */
const SWEEP_MS = 5_000;
/** How often sessions on phones are looked at for what no wake-up sent: as often as the outbox
 * hands out again what went unacknowledged. */
const RECHECK_MS = RESEND_AFTER_MS;
/** PTS messages in progress per number and in all. */
const PARTS_PER_SENDER = 4;
const PARTS_TOTAL = 10_000;
/** An unregistered number hears so once a day; all of them together, this many times an hour. */
const UNKNOWN_REPLIES_PER_HOUR = 60;

export type { SmsBindingConfig };

/** Sessions living on phones, told when one of them is heard from over HTTP. */
export class SmsGateway implements SmsSessions {
  readonly repo: SmsRepo;
  readonly clp: ClpService;
  readonly #assembler: SegmentAssembler;
  readonly #allow: AddressList;
  readonly #incoming: HourlyBudget;
  readonly #outgoing: HourlyBudget;
  /** Numbers told they are not registered (each once), and how many told this hour. */
  readonly #toldUnknown = new Map<string, number>();
  readonly #unknownAll = new HourlyBudget(UNKNOWN_REPLIES_PER_HOUR);
  /** Each number's SMS are handled one after the other, in the order they came. */
  readonly #queues = new Map<string, Promise<void>>();
  /** Sessions being drained, and those that got news meanwhile. */
  readonly #draining = new Set<string>();
  readonly #again = new Set<string>();
  /** Bound sessions, checked on every HTTP request with a session, and each user's. */
  readonly #bound = new Map<string, SmsBinding>();
  readonly #boundOfUser = new Map<string, Set<string>>();
  /** The sessions whose drain is queued. */
  readonly #wakeQueued = new Set<string>();
  #recheckedAt = Date.now();
  readonly #recheckMs: number;
  readonly #ptsLimits: PtsLimits;
  #sweeper?: ReturnType<typeof setInterval>;
  #work = new Set<Promise<unknown>>();
  #closed = false;

  constructor(
    private readonly server: ServerContext,
    private readonly sender: SmsSender,
    private readonly userOfMsisdn: (msisdn: string) => Promise<string | undefined>,
    readonly config: SmsBindingConfig,
  ) {
    this.repo = new SmsRepo(server.store);
    this.clp = new ClpService(server, { idleSeconds: config.clpIdleS, userOfMsisdn });
    this.#allow = new AddressList(config.allow);
    this.#assembler = new SegmentAssembler({
      timeoutMs: config.partsTimeoutS * 1000,
      perSender: PARTS_PER_SENDER,
      total: PARTS_TOTAL,
    });
    this.#incoming = new HourlyBudget(config.perHour);
    this.#outgoing = new HourlyBudget(config.perHour);
    this.#ptsLimits = {
      maxLength: config.maxLength * config.maxParts,
      maxDepth: 16,
      maxValues: 4096,
    };
    this.#recheckMs = server.store.exclusive ? RECHECK_MS : SWEEP_MS;
  }

  /** Loads the bindings, follows the outbox, and starts timing out parts. */
  async start(): Promise<void> {
    for (const binding of await this.repo.bindings()) this.#index(binding);
    this.server.outbox.onWaitingSessions({
      has: (sessionId) => this.#bound.has(sessionId),
      ofUser: (userId) => this.#boundOfUser.get(userId),
    }, (sessionIds) => {
      for (const sessionId of sessionIds) this.#wake(sessionId);
    });
    this.#sweeper = setInterval(() => this.#track(this.sweep()), SWEEP_MS);
  }

  async close(): Promise<void> {
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper);
    this.#closed = true;
    await this.idle();
  }

  /** Resolves once every SMS being handled and every wake-up under way is done. */
  async idle(): Promise<void> {
    while (this.#work.size > 0) await Promise.allSettled([...this.#work]);
  }

  routes(app: Hono): void {
    // A UCS-2 SMS takes two bytes a character as Kannel hands it on.
    const limit = limitBody({
      maxSize: this.config.maxLength * 2 + 1024,
      onError: (c) => c.text("SMS too long", 413),
    });
    app.post("/sms", limit, (c) => this.#callback(c));
    app.get("/sms", (c) => this.#callback(c));
  }

  async #callback(c: Context): Promise<Response> {
    const url = new URL(c.req.url);
    const address = (c.env as { remoteAddr?: { hostname?: string } } | undefined)?.remoteAddr
      ?.hostname;
    if (!this.#authorised(url, address)) return c.text("Forbidden", 403);
    const body = new Uint8Array(await c.req.arrayBuffer());
    const sms = readCallback(url, c.req.header("content-type"), body);
    if (typeof sms === "string") return c.text(`Not an SMS: ${sms}`, 400);
    this.receive(sms);
    // Answers go out through sendsms: the callback's own answer is empty (max-messages = 0).
    return c.body(null, 202);
  }

  #authorised(url: URL, address: string | undefined): boolean {
    if (!this.#allow.empty && !this.#allow.includes(address)) return false;
    if (this.config.secret === undefined) return true;
    const given = new TextEncoder().encode(url.searchParams.get("secret") ?? "");
    return constantTimeEqual(given, new TextEncoder().encode(this.config.secret));
  }

  /** Handles one SMS, after those the same number sent before it. */
  receive(sms: IncomingSms): Promise<void> {
    return this.#inTurn(sms.from, () => this.#receive(sms), `an SMS from ${sms.from}`);
  }

  /** Runs `task` after whatever the number's phone sent or is sent before it. */
  #inTurn(msisdn: string, task: () => Promise<void>, what: string): Promise<void> {
    const previous = this.#queues.get(msisdn) ?? Promise.resolve();
    const turn = previous.then(task).catch((error) => {
      log.error(`sms: ${what} failed`, failure(error));
    });
    this.#queues.set(msisdn, turn);
    turn.finally(() => {
      if (this.#queues.get(msisdn) === turn) this.#queues.delete(msisdn);
    });
    return this.#track(turn);
  }

  async #receive(sms: IncomingSms): Promise<void> {
    if (!isMsisdn(sms.from)) return;
    if (sms.data.length > this.config.maxLength) return;
    if (!this.#incoming.take(sms.from)) return;
    const port = readUdh(sms.udh).destinationPort;
    const pts = port === this.config.ptsPort ||
      (sms.coding !== 1 && PREAMBLE.test(smsText(sms).trimStart()));
    const userId = await this.userOfMsisdn(sms.from);
    if (pts) return await this.#pts(sms, userId, port === this.config.ptsPort);
    if (sms.coding === 1) return; // binary, and not PTS: nothing a person typed
    if (!userId) return await this.#unknown(sms.from);
    const outcome = await this.clp.run({ userId, msisdn: sms.from }, smsText(sms));
    for (const reply of outcome.replies) await this.#sendText(sms.from, reply);
    if (outcome.sessionId) {
      if (!this.#bound.has(outcome.sessionId)) {
        await this.#bind({ sessionId: outcome.sessionId, userId, msisdn: sms.from, kind: "clp" });
      }
      // What waits goes with the answer: at login, all that came meanwhile.
      await this.#drain(outcome.sessionId);
    }
  }

  async #unknown(msisdn: string): Promise<void> {
    const now = Date.now();
    const told = this.#toldUnknown.get(msisdn);
    if (told !== undefined && now - told < 86_400_000) return;
    if (!this.#unknownAll.take("all")) return;
    if (this.#toldUnknown.size >= 100_000) this.#toldUnknown.clear();
    this.#toldUnknown.set(msisdn, now);
    await this.#sendText(msisdn, "This number is not registered with this IM service.");
  }

  async #pts(sms: IncomingSms, userId: string | undefined, asData: boolean): Promise<void> {
    const bytes = sms.coding === 1 ? sms.data : new TextEncoder().encode(smsText(sms));
    const assembled = this.#assembler.add(sms.from, bytes, asData ? "data" : "text");
    if (assembled.kind !== "whole") {
      if (assembled.kind === "refused") log.warn(`sms: from ${sms.from}: ${assembled.reason}`);
      return;
    }
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(assembled.bytes);
    } catch {
      return await this.#ptsError(sms.from, asData, preambleOf(assembled.bytes), "not UTF-8");
    }
    if (!userId && !this.config.open) return await this.#unknown(sms.from);
    const refusal = userId ? this.#refusal(text, userId) : undefined;
    if (refusal) {
      await this.#sendPts(sms.from, asData, [refusal]);
      return;
    }
    let exchange;
    try {
      exchange = await exchangePts(this.server, this.repo, text, {
        limits: this.#ptsLimits,
        origin: { bearer: "SMS" },
      });
    } catch (error) {
      if (!(error instanceof PtsSyntaxError)) throw error;
      return; // no preamble to answer (the assembler saw one, so this cannot happen)
    }
    await this.#sendPts(sms.from, asData, exchange.answers);
    await this.#follow(sms.from, asData, exchange.request, exchange.reply);
    const sessionId = exchange.reply?.sessionId;
    if (sessionId && this.#bound.has(sessionId)) await this.#drain(sessionId);
  }

  /** A phone registered to a user logs in as that user only. */
  #refusal(text: string, userId: string): string | undefined {
    let parsed;
    try {
      parsed = parsePts(text, this.#ptsLimits);
    } catch {
      return undefined; // the exchange says what is wrong with it
    }
    if (parsed.code !== "LR") return undefined;
    const named = parsed.params.find(([name]) => name.toUpperCase() === "UI")?.[1];
    const wanted = typeof named === "string"
      ? parseUserId(named, this.server.config.domain)?.id
      : undefined;
    if (wanted === undefined || wanted === userId) return undefined;
    return `WV${parsed.version}RL${parsed.transactionId} ST=(920,"This phone belongs to another user")`;
  }

  /** After an exchange: a login binds its session to the phone, a logout ends that. */
  async #follow(
    msisdn: string,
    asData: boolean,
    request: CspMessage | undefined,
    reply: CspMessage | null,
  ): Promise<void> {
    const answer = reply?.transactions[0]?.primitive;
    if (!request || !answer) return;
    const asked = request.transactions[0]?.primitive.name;
    const code = Number(String((answer.body.Result as { Code?: unknown })?.Code ?? 0));
    if (asked === "Login-Request" && code === 200 && typeof answer.body.SessionID === "string") {
      const session = await this.server.sessions.repo.get(answer.body.SessionID);
      if (!session) return;
      await this.#bind({
        sessionId: session.id,
        userId: session.userId,
        msisdn,
        kind: "pts",
        port: asData ? this.config.ptsPort : undefined,
      });
    } else if (asked === "Logout-Request" && request.sessionId) {
      await this.#unbind(request.sessionId);
    }
  }

  async #ptsError(msisdn: string, asData: boolean, text: string, reason: string) {
    const m = PREAMBLE.exec(text);
    if (!m) return;
    const [, version, , tid] = m;
    await this.#sendPts(msisdn, asData, [`WV${version}ST${tid} ST=(400,${quote(reason)})`]);
  }

  /** Sends PTS messages, each in as many parts as it takes (up to the limit). */
  async #sendPts(msisdn: string, asData: boolean, messages: string[]): Promise<boolean> {
    const capacity: SmsCapacity = asData ? DATA_SMS : TEXT_SMS;
    for (const message of messages) {
      const parts = splitPts(message, capacity);
      if (!parts || parts.length > this.config.maxParts) {
        log.warn(`sms: a PTS answer to ${msisdn} is too long for ${this.config.maxParts} SMS`);
        continue;
      }
      for (const part of parts) {
        if (!this.#outgoing.take(msisdn)) return false;
        await this.sender.send(
          asData
            ? {
              to: msisdn,
              data: new TextEncoder().encode(part),
              udh: portUdh(this.config.ptsPort),
            }
            : { to: msisdn, text: part, unicode: !isGsmText(part) },
        );
      }
    }
    return true;
  }

  async #sendText(msisdn: string, text: string): Promise<boolean> {
    if (!this.#outgoing.take(msisdn)) return false;
    return await this.#send({ to: msisdn, text, unicode: !isGsmText(text) });
  }

  /** False when the gateway did not take it (what it was to carry then waits, or is lost if
   * it was only an answer). */
  async #send(sms: OutgoingSms): Promise<boolean> {
    try {
      await this.sender.send(sms);
      return true;
    } catch (error) {
      log.error(`sms: to ${sms.to}: ${(error as Error).message}`);
      return false;
    }
  }

  async #bind(binding: SmsBinding): Promise<void> {
    await this.repo.bind(binding);
    this.#index(binding);
  }

  #index(binding: SmsBinding): void {
    this.#bound.set(binding.sessionId, binding);
    let sessions = this.#boundOfUser.get(binding.userId);
    if (!sessions) this.#boundOfUser.set(binding.userId, sessions = new Set());
    sessions.add(binding.sessionId);
  }

  async #unbind(sessionId: string): Promise<void> {
    await this.repo.unbind(sessionId);
    const binding = this.#bound.get(sessionId);
    this.#bound.delete(sessionId);
    if (!binding) return;
    const sessions = this.#boundOfUser.get(binding.userId);
    sessions?.delete(sessionId);
    if (sessions?.size === 0) this.#boundOfUser.delete(binding.userId);
  }

  /** Sends what waits for the session, after what its phone is being answered; once, however
   * often it is told of before that turn comes. */
  #wake(sessionId: string): Promise<void> | undefined {
    const binding = this.#bound.get(sessionId);
    if (!binding || this.#closed || this.#wakeQueued.has(sessionId)) return;
    this.#wakeQueued.add(sessionId);
    return this.#inTurn(binding.msisdn, () => {
      this.#wakeQueued.delete(sessionId);
      return this.#drain(sessionId);
    }, `handing out to session ${sessionId}`);
  }

  /** The session went on over HTTP (Android's "SMS authentication"): no more SMS for it. A
   * terminal's session is never seen outside the server. */
  seenOverHttp(sessionId: string): void {
    if (this.#bound.get(sessionId)?.kind === "pts") this.#track(this.#unbind(sessionId));
  }

  /**
   * Sends what waits for a bound session: for a terminal, as CLP text; for a PTS client, as the
   * server-originated transactions its poll would get (it acknowledges them by number). Sent
   * only within the number's hourly budget; what is not sent waits.
   */
  async #drain(sessionId: string): Promise<void> {
    if (this.#draining.has(sessionId)) {
      this.#again.add(sessionId);
      return;
    }
    this.#draining.add(sessionId);
    try {
      do {
        this.#again.delete(sessionId);
        await this.#drainOnce(sessionId);
      } while (this.#again.has(sessionId));
    } catch (error) {
      // Not the SessionID: it would let anyone who reads the log use the session.
      log.error("sms: handing out to a session failed", failure(error));
    } finally {
      this.#draining.delete(sessionId);
    }
  }

  async #drainOnce(sessionId: string): Promise<void> {
    const binding = await this.repo.binding(sessionId);
    if (!binding) return;
    if (this.#outgoing.exhausted(binding.msisdn)) return;
    if (binding.kind === "clp") {
      const drained = await this.clp.drain(sessionId);
      let sent = true;
      for (const text of drained.texts) sent = sent && await this.#sendText(binding.msisdn, text);
      if (sent) await drained.ack();
      if (drained.ended) await this.#unbind(sessionId);
      return;
    }
    const check = await this.server.sessions.check(sessionId);
    if (check.state !== "valid" && check.state !== "disconnect") {
      await this.#unbind(sessionId);
      return;
    }
    const session = "session" in check ? check.session : undefined;
    const polled = await dispatch(this.server, {
      version: session?.version ?? "1.2",
      sessionType: "Inband",
      sessionId,
      transactions: [{
        mode: "Request",
        transactionId: "0",
        primitive: { name: "Polling-Request", body: {} },
      }],
    });
    if (!polled) return;
    const handed = polled.transactions.filter((tx) => tx.mode === "Request");
    if (handed.length === 0) return;
    polled.transactions = handed;
    await this.#sendPts(
      binding.msisdn,
      binding.port !== undefined,
      await writeAnswer(this.repo, polled),
    );
    if (check.state === "disconnect") await this.#unbind(sessionId);
  }

  /** Times out waiting parts (answering their transaction), and rechecks the sessions on phones
   * when it is time to. */
  async sweep(): Promise<void> {
    for (const incomplete of this.#assembler.expire()) {
      await this.#ptsError(
        incomplete.sender,
        incomplete.tag === "data",
        incomplete.preamble,
        `only ${incomplete.received} of ${incomplete.parts} parts came`,
      ).catch((error) => log.error("sms: answering an incomplete message failed", failure(error)));
    }
    if (Date.now() - this.#recheckedAt >= this.#recheckMs) await this.recheck();
  }

  /** Sends what waits for sessions on phones that no wake-up sent (see the module's doc). */
  async recheck(): Promise<void> {
    const now = this.#recheckedAt = Date.now();
    const wakes: Promise<void>[] = [];
    for (const sessionId of [...this.#bound.keys()]) {
      if (!await this.server.outbox.hasDeliverable(sessionId, now)) continue;
      const wake = this.#wake(sessionId);
      if (wake) wakes.push(wake);
    }
    await Promise.all(wakes);
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#work.add(promise);
    promise.finally(() => this.#work.delete(promise)).catch(() => {});
    return promise;
  }
}

function preambleOf(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes.subarray(0, 16));
}
