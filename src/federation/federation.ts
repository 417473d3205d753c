/**
 * The SSP session layer: per peer domain an SSP session set up by the SetupTransaction handshake
 * (digest §9.2), requests sent and their responses awaited, requests of the peer handed to the
 * registered handlers and answered. Everything we send travels on our own outbound connections
 * (connection 1 of each pair) and everything the peer sends arrives on `POST /ssp` (connection
 * 2), which carries both sessions of a domain pair (pair reuse, seed §5.2). Responses are matched
 * to requests by (peer, transaction id) in the core's correlation table, which also times them out.
 *
 * Authentication: each side sends a random SecretToken to the endpoint it found for the other
 * domain (static map or SRV), and the peer proves it received it: the LoginRequest digest is
 * Base64(MD5(token)) as Baraza computes it, or Base64(HMAC-MD5(shared secret, token)) when a
 * shared secret is configured for that peer, which a server that merely claims the domain cannot
 * produce.
 */
import { ValueOutOfBounds } from "../codec/csp/bounds.ts";
import { failure, log } from "../observe/log.ts";
import { SpanKind, traced, traceparent } from "../observe/tracing.ts";
import { createHash, createHmac } from "node:crypto";
import { Buffer } from "node:buffer";
import type { Core, CorrelationTable } from "../core/mod.ts";
import {
  encodeSsp,
  loginRequest,
  loginResponse,
  PEER_ID,
  readLoginRequest,
  readLoginResponse,
  readSendSecretToken,
  sendSecretToken,
  type SspMode,
  type SspTransaction,
  status,
} from "../codec/ssp/mod.ts";
import type { XmlElement } from "../codec/xml/tree.ts";
import type { InboundPost, Refusal, SspReceiver } from "../transport/ssp/inbound.ts";
import {
  ConnectionLost,
  PipelinedConnection,
  type PostHeaders,
} from "../transport/ssp/pipeline_client.ts";
import { randomHex } from "../util/ids.ts";
import { deferred, type PeerHealth, PeerLink } from "./link.ts";
import {
  BARAZA_LOGIN_DELAY_MS,
  CONNECT_TIMEOUT_MS,
  HANDSHAKE_STEP_TIMEOUT_MS,
  MAX_REDIRECTS,
  PIPELINE_DEPTH,
  POST_TIMEOUT_MS,
  RESPONSE_TIMEOUT_MS,
  SESSION_TTL_S,
  SWEEP_INTERVAL_MS,
  TOKEN_BYTES,
} from "./limits.ts";
import { PeerDirectory, type SrvResolver } from "./peers.ts";
import type { HandshakeClaims, SessionStore, StoredSession } from "./sessions.ts";
import type { InstanceInbox } from "../store/instance_inbox.ts";
import type { FederationConfig } from "./settings.ts";

/** Serves one kind of SSP request of a peer; returns the response primitive, if it has one. */
export type RequestHandler = (
  peer: string,
  primitive: XmlElement,
) => Promise<XmlElement | undefined>;

export interface HandlerOptions {
  /**
   * The HTTP answer to the peer's POST waits until the handler has run. A peer sends the updates
   * of one thing (a user's presence) one after another, each once the last was answered: so
   * they are applied in the order sent, whichever instance of a domain takes each.
   */
  appliedBeforeAnswer?: boolean;
}

/** The peer cannot be reached or refused us; the work may be retried later. */
export class PeerUnavailable extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PeerUnavailable";
  }
}

/** What operators see of one peer domain (GET /ssp/peers). */
export interface PeerState extends PeerHealth {
  domain: string;
  /** Whether an SSP session with it is up right now. */
  session: boolean;
}

/** We do not federate with that domain: retrying will not help. */
export class PeerRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PeerRefused";
  }
}

interface Waiter {
  resolve(primitive: XmlElement): void;
  reject(error: Error): void;
}

/**
 * Several instances of this domain on one store: an SSP answer, or a handshake step, that the
 * peer sent to an instance other than the one awaiting it is passed on through the awaiting
 * instance's inbox. Our transaction ids end in `.<instance id>` so that an answer names its
 * instance; a peer's handshake is claimed in the store by the instance that answers it.
 */
export interface Instances {
  inbox: InstanceInbox;
  claims: HandshakeClaims;
}

/** An SSP transaction passed from the instance it arrived at to the one awaiting it. */
interface Forwarded {
  /** The peer domain, for a session's response (a handshake step names its own). */
  domain?: string;
  transaction: SspTransaction;
}

/** The kind of the notes carrying forwarded SSP transactions. */
const FORWARDED = "ssp";
/** The instance an id of ours ends in (see Instances). */
const INSTANCE_SUFFIX = /\.([0-9a-f]{8})$/;
/** How long an instance holds the handshake with a peer, ms: its three steps, and a margin. */
const HANDSHAKE_CLAIM_MS = 4 * HANDSHAKE_STEP_TIMEOUT_MS;

/** The handshake code a wrong digest is answered with (CSP 409, invalid password). */
const WRONG_DIGEST = 409;
const encoder = new TextEncoder();

export class Federation implements SspReceiver {
  readonly peers: PeerDirectory;
  /** Most POSTs seen in flight on one connection: the pipelining depth reached. */
  maxDepth = 0;
  readonly #config: FederationConfig;
  readonly #core: Promise<Core>;
  readonly #store: SessionStore;
  #table?: CorrelationTable;
  readonly #waiters = new Map<number, Waiter>();
  #nextSlot = 1;
  readonly #links = new Map<string, PeerLink>();
  readonly #sessions = new Map<string, PeerLink>();
  readonly #setups = new Map<string, PeerLink>();
  readonly #handlers = new Map<string, RequestHandler>();
  readonly #appliedBeforeAnswer = new Set<string>();
  readonly #background = new Set<Promise<unknown>>();
  readonly #sweeper: ReturnType<typeof setInterval>;
  readonly #instances?: Instances;
  /** Releases the inbox while nothing awaits an answer (see #lookIn). */
  #inboxHold?: () => void;
  #closed = false;

  constructor(
    config: FederationConfig,
    core: Promise<Core>,
    store: SessionStore,
    srv?: SrvResolver,
    /** Given when other instances of this domain share the store. */
    instances?: Instances,
  ) {
    this.#config = config;
    this.#core = core;
    this.#store = store;
    this.#instances = instances;
    instances?.inbox.on(FORWARDED, (data) => this.#forwarded(data as Forwarded));
    this.peers = new PeerDirectory(config, srv);
    this.#sweeper = setInterval(() => this.#sweep(), SWEEP_INTERVAL_MS);
  }

  get domain(): string {
    return this.#config.domain;
  }

  /** Registers the handler of a request primitive (e.g. "SendMessageRequest"). */
  handle(name: string, handler: RequestHandler, options: HandlerOptions = {}): void {
    this.#handlers.set(name, handler);
    if (options.appliedBeforeAnswer) this.#appliedBeforeAnswer.add(name);
    else this.#appliedBeforeAnswer.delete(name);
  }

  /** Sends a request to `domain` and resolves with the peer's response primitive. */
  request(domain: string, primitive: XmlElement): Promise<XmlElement> {
    return traced(
      `SSP ${primitive.name}`,
      { "imps.ssp.peer": domain },
      () => this.#request(domain, primitive),
      { kind: SpanKind.CLIENT },
    );
  }

  async #request(domain: string, primitive: XmlElement): Promise<XmlElement> {
    for (let attempt = 0;; attempt++) {
      const link = await this.#established(domain);
      const tid = this.#newTid();
      const answer = await this.#expect(domain, tid, RESPONSE_TIMEOUT_MS);
      try {
        await this.#postSession(link, "Request", tid, primitive);
      } catch (error) {
        answer.cancel();
        // The peer forgot the session (it restarted): set up a new one once.
        if (error instanceof SessionUnknown && attempt === 0) continue;
        throw error;
      }
      return await answer.promise;
    }
  }

  /** Sends a request whose SSP response, if any, is not awaited (Baraza sends none to reports). */
  async notify(domain: string, primitive: XmlElement): Promise<void> {
    const link = await this.#established(domain);
    await this.#postSession(link, "Request", this.#newTid(), primitive);
  }

  /** Whether a session with `domain` is up (tests, diagnostics). */
  connected(domain: string): boolean {
    return this.#links.get(domain)?.established ?? false;
  }

  /** Every peer domain this server has dealt with since it started, and how it stands. */
  peerStates(): PeerState[] {
    return [...this.#links.values()].map((link) => ({
      domain: link.domain,
      session: link.established,
      ...link.health,
    }));
  }

  /** Relayed work for `domain` was given up: said once, until the peer is reached again. */
  gaveUp(domain: string, reason: string): void {
    this.#setHealth(this.#link(domain), "down", "give-up", reason);
  }

  // ---- Inbound ---------------------------------------------------------------------------------

  async accept(post: InboundPost): Promise<Refusal | undefined> {
    if (this.#closed) return { status: 503, reason: "Server is shutting down" };
    const message = post.message;
    if (message.kind === "setup") {
      const refusal = this.#acceptSetup(message.transaction);
      // A step of a handshake another instance of ours holds: passed to it.
      if (refusal?.status === 403 && await this.#forwardSetup(message.transaction)) return;
      return refusal;
    }
    const link = await this.#sessionLink(post.sessionId ?? "");
    if (!link || await this.#sessionLink(message.sessionId) !== link) {
      // The peer's cue to set up a new session (our own client does on a 403 to a session post).
      return { status: 403, reason: "Unknown SSP session" };
    }
    for (const t of message.transactions) {
      if (t.mode === "Response") {
        if (!this.#settle(link.domain, t.transactionId, t.primitive)) {
          this.#spawn(this.#forward(t.transactionId.match(INSTANCE_SUFFIX)?.[1], {
            domain: link.domain,
            transaction: t,
          }));
        }
      } else {
        const served = traced(
          `SSP ${t.primitive.name}`,
          { "imps.ssp.peer": link.domain },
          () => this.#serve(link, t),
          { kind: SpanKind.SERVER, parent: post.traceparent },
        );
        this.#spawn(served);
        // A failure is logged where it is tracked; the answer is the same dummy 200.
        if (this.#appliedBeforeAnswer.has(t.primitive.name)) await served.catch(() => {});
      }
    }
    return undefined;
  }

  #acceptSetup(t: SspTransaction): Refusal | undefined {
    const p = t.primitive;
    if (t.mode === "Response") {
      const link = this.#setups.get(t.transactionId) ?? this.#initiatorFor(p);
      if (!link) return { status: 403, reason: "Unknown SetupTransaction" };
      this.#settle(link.domain, `S${link.setupTid}`, p);
      return undefined;
    }
    if (p.name === "SendSecretToken") {
      const offer = readSendSecretToken(p);
      if (!offer) return { status: 400, reason: "Malformed SendSecretToken" };
      if (!this.peers.allowed(offer.domain)) {
        return { status: 403, reason: `Domain ${offer.domain} is not federated with` };
      }
      if (this.#config.redirect) {
        return { status: 307, reason: "Redirected", location: this.#config.redirect };
      }
      const link = this.#link(offer.domain);
      // Both sides began at once: the smaller domain's handshake goes on, the other gives way.
      if (link.state === "handshaking" && link.role === "initiator" && this.domain < offer.domain) {
        return { status: 503, reason: "Handshake in progress" };
      }
      this.#reset(link, false);
      link.state = "handshaking";
      link.role = "responder";
      link.setupTid = t.transactionId;
      link.peerToken = offer.token;
      link.ownToken = randomHex(TOKEN_BYTES);
      this.#setups.set(t.transactionId, link);
      this.#spawn(this.#respondToken(link, t.transactionId));
      return undefined;
    }
    const link = this.#setups.get(t.transactionId);
    if (!link || link.role !== "responder") {
      return { status: 403, reason: "Unknown SetupTransaction" };
    }
    if (p.name === "LoginRequest") {
      const proof = readLoginRequest(p);
      if (!proof || proof.domain !== link.domain) {
        return { status: 400, reason: "Bad LoginRequest" };
      }
      if (!this.#digestMatches(link, proof.digest)) {
        this.#setHealth(link, "down", "wrong secret", this.#wrongDigest(link, proof.digest));
        // Checked before the dummy reply, so nothing can log in to this half-open session again.
        this.#setups.delete(t.transactionId);
        link.setupTid = undefined;
        this.#spawn(this.#refuseLogin(link, t.transactionId));
        return undefined;
      }
      this.#spawn(this.#answerLogin(link, t.transactionId));
      return undefined;
    }
    if (p.name === "LoginResponse") {
      const result = readLoginResponse(p);
      if (!result?.sessionId || !PEER_ID.test(result.sessionId) || result.code !== 200) {
        this.#fail(link, new PeerUnavailable("bad LoginResponse"));
        this.#setHealth(link, "down", "handshake refused", `LoginResponse ${result?.code ?? "?"}`);
        return { status: 400, reason: "Bad LoginResponse" };
      }
      this.#spawn(this.#completeAsResponder(link, t.transactionId, result));
      return undefined;
    }
    return { status: 400, reason: `Unexpected ${p.name.slice(0, 40)} in SetupTransaction` };
  }

  async #respondToken(link: PeerLink, tid: string): Promise<void> {
    try {
      // The peer's next steps may reach another instance of ours: they are passed here.
      if (this.#instances) {
        await this.#instances.claims.claimResponder(
          tid,
          this.#instances.inbox.id,
          HANDSHAKE_CLAIM_MS,
        );
        this.#lookIn();
      }
      await this.#postSetup(link, "Response", tid, sendSecretToken(this.domain, link.ownToken!));
    } catch (error) {
      this.#fail(link, error as Error);
    }
  }

  /** A wrong digest: the peer is told (409), then the half-open session and its connections go. */
  async #refuseLogin(link: PeerLink, tid: string): Promise<void> {
    try {
      await this.#postSetup(
        link,
        "Response",
        tid,
        loginResponse({ code: WRONG_DIGEST, description: "Wrong secret token digest" }),
      );
    } finally {
      this.#fail(link, new PeerUnavailable("peer's digest is wrong"));
    }
  }

  async #answerLogin(link: PeerLink, tid: string): Promise<void> {
    try {
      await this.#postSetup(
        link,
        "Response",
        tid,
        loginRequest(this.domain, SESSION_TTL_S, this.#digest(link.domain, link.peerToken!)),
      );
    } catch (error) {
      this.#fail(link, error as Error);
    }
  }

  async #completeAsResponder(
    link: PeerLink,
    tid: string,
    result: { sessionId?: string; timeToLive?: number },
  ): Promise<void> {
    try {
      const own = this.#newSessionId();
      const ttl = Math.min(result.timeToLive ?? SESSION_TTL_S, SESSION_TTL_S);
      await this.#establish(link, own, result.sessionId!, ttl);
      await this.#postSetup(
        link,
        "Response",
        tid,
        loginResponse({ sessionId: own, timeToLive: ttl }),
      );
      link.waiting?.resolve();
      link.waiting = undefined;
    } catch (error) {
      this.#fail(link, error as Error);
    }
  }

  async #serve(link: PeerLink, t: SspTransaction): Promise<void> {
    const handler = this.#handlers.get(t.primitive.name);
    let response: XmlElement | undefined;
    if (!handler) response = status(405, `${t.primitive.name.slice(0, 40)} is not supported`);
    else {
      try {
        response = await handler(link.domain, t.primitive);
      } catch (error) {
        if (error instanceof ValueOutOfBounds) response = status(402, error.message);
        else {
          log.error("SSP request failed", {
            peer: link.domain,
            primitive: t.primitive.name,
            ...failure(error),
          });
          response = status(500, "Internal server error");
        }
      }
    }
    if (!response) return;
    try {
      await this.#postSession(link, "Response", t.transactionId, response);
    } catch {
      // The peer times its request out and retries.
    }
  }

  // ---- Handshake as initiator ------------------------------------------------------------------

  async #established(domain: string): Promise<PeerLink> {
    if (this.#closed) throw new PeerUnavailable("server is shutting down");
    if (!this.peers.allowed(domain)) throw new PeerRefused(`${domain} is not federated with`);
    const link = this.#link(domain);
    if (link.established) return link;
    if (!link.waiting && link.state !== "handshaking") {
      // A session set up before a restart, or by another instance on a shared store.
      const stored = await this.#store.get(domain);
      // Another sender may have begun a handshake or taken a session meanwhile.
      if (stored && !link.established && !link.busy) this.#adopt(link, stored);
      if (link.established) return link;
    }
    if (!link.waiting) {
      link.waiting = deferred();
      this.#spawn(this.#initiate(link));
    }
    await link.waiting.promise;
    return link;
  }

  async #initiate(link: PeerLink): Promise<void> {
    const instances = this.#instances;
    if (!instances) return await this.#handshake(link);
    const me = instances.inbox.id;
    let claimed = false;
    try {
      claimed = await instances.claims.claimInitiator(link.domain, me, HANDSHAKE_CLAIM_MS);
    } catch (error) {
      return this.#fail(link, error as Error);
    }
    if (!claimed) return await this.#awaitOthersSession(link);
    try {
      await this.#handshake(link);
    } finally {
      await instances.claims.releaseInitiator(link.domain, me).catch(() => {});
    }
  }

  /**
   * Another instance of ours is setting up the session with the peer: this one takes it from
   * the store once it is there (or the peer's own handshake reaches this instance meanwhile).
   */
  async #awaitOthersSession(link: PeerLink): Promise<void> {
    const deadline = Date.now() + HANDSHAKE_CLAIM_MS;
    while (!this.#closed && Date.now() < deadline && link.waiting) {
      if (!link.established && link.state !== "handshaking") {
        const stored = await this.#store.get(link.domain);
        // The peer's own handshake may have reached this instance meanwhile.
        if (stored && link.state === "idle") this.#adopt(link, stored);
      }
      if (link.established) {
        link.waiting?.resolve();
        link.waiting = undefined;
        return;
      }
      await sleep(this.#config.lookMs);
    }
    if (link.waiting) {
      this.#fail(link, new PeerUnavailable("another instance's SSP handshake did not finish"));
    }
  }

  async #handshake(link: PeerLink): Promise<void> {
    this.#reset(link, true);
    const tid = this.#newTid();
    link.state = "handshaking";
    link.role = "initiator";
    link.setupTid = tid;
    link.ownToken = randomHex(TOKEN_BYTES);
    this.#setups.set(tid, link);
    const superseded = () => link.setupTid !== tid || link.role !== "initiator";
    try {
      const token = await this.#setupStep(link, tid, sendSecretToken(this.domain, link.ownToken));
      const offer = readSendSecretToken(token);
      if (!offer || offer.domain !== link.domain) throw new PeerUnavailable("bad SendSecretToken");
      link.peerToken = offer.token;
      const delay = Math.max(this.#config.loginDelayMs, link.loginDelayMs);
      if (delay > 0) await sleep(delay);
      let proof: XmlElement;
      try {
        proof = await this.#setupStep(
          link,
          tid,
          loginRequest(this.domain, SESSION_TTL_S, this.#digest(link.domain, offer.token)),
        );
      } catch (error) {
        // Baraza commits its half of the session only after its SendSecretToken was taken, and
        // drops a LoginRequest that comes sooner (digest §12): the next handshake waits.
        if (error instanceof PeerUnavailable && error.cause instanceof ConnectionLost) {
          link.loginDelayMs = BARAZA_LOGIN_DELAY_MS;
        }
        throw error;
      }
      const login = readLoginRequest(proof);
      if (!login || login.domain !== link.domain || !this.#digestMatches(link, login.digest)) {
        const refused = readLoginResponse(proof);
        if (refused) {
          this.#setHealth(
            link,
            "down",
            refused.code === WRONG_DIGEST ? "wrong secret" : "handshake refused",
            `${link.domain} refused our LoginRequest (${refused.code})` +
              (refused.code !== WRONG_DIGEST
                ? ""
                : this.#usesHmac(link.domain)
                ? ": it has another secret, or proves MD5(token) as Baraza does and wants the " +
                  "same of us (then list it in IMPS_SSP_MD5_PEERS)"
                : ": it wants HMAC-MD5 with a shared secret (IMPS_SSP_PEER_SECRETS)"),
          );
        } else if (login) {
          this.#setHealth(link, "down", "wrong secret", this.#wrongDigest(link, login.digest));
        }
        throw new PeerUnavailable(
          refused ? `peer refused our login (${refused.code})` : "peer's digest is wrong",
        );
      }
      const own = this.#newSessionId();
      const answer = readLoginResponse(
        await this.#setupStep(
          link,
          tid,
          loginResponse({ sessionId: own, timeToLive: SESSION_TTL_S }),
        ),
      );
      if (!answer?.sessionId || !PEER_ID.test(answer.sessionId) || answer.code !== 200) {
        throw new PeerUnavailable("peer did not confirm the session");
      }
      await this.#establish(link, own, answer.sessionId, answer.timeToLive ?? SESSION_TTL_S);
      link.waiting?.resolve();
      link.waiting = undefined;
    } catch (error) {
      if (superseded()) return;
      if (!link.health || link.health.state !== "down") {
        this.#setHealth(link, "down", "unreachable", (error as Error).message);
      }
      this.#fail(link, error as Error);
    }
  }

  /** Posts one SetupTransaction request and waits for the peer's answer on the other connection. */
  async #setupStep(link: PeerLink, tid: string, primitive: XmlElement): Promise<XmlElement> {
    const answer = await this.#expect(link.domain, `S${tid}`, HANDSHAKE_STEP_TIMEOUT_MS);
    try {
      await this.#postSetup(link, "Request", tid, primitive);
    } catch (error) {
      answer.cancel();
      throw error;
    }
    return await answer.promise;
  }

  /** The session is up: kept in storage before it is used, so any instance can serve it. */
  async #establish(link: PeerLink, own: string, peer: string, ttlS: number): Promise<void> {
    const expiresAt = Date.now() + ttlS * 1000;
    await this.#store.put({
      domain: link.domain,
      ownSessionId: own,
      peerSessionId: peer,
      expiresAt,
      ...(link.url ? { url: link.url.href } : {}),
    });
    if (link.setupTid) this.#setups.delete(link.setupTid);
    this.#adopt(link, { domain: link.domain, ownSessionId: own, peerSessionId: peer, expiresAt });
  }

  /** Makes `session` the link's session (set up here, before a restart, or by another instance). */
  #adopt(link: PeerLink, session: StoredSession): void {
    if (link.ownSessionId) this.#sessions.delete(link.ownSessionId);
    if (link.peerSessionId) this.#sessions.delete(link.peerSessionId);
    link.state = "established";
    link.ownSessionId = session.ownSessionId;
    link.peerSessionId = session.peerSessionId;
    link.expiresAt = session.expiresAt;
    link.silentCloses = 0;
    if (session.url && !link.url) link.url = new URL(session.url);
    this.#sessions.set(session.ownSessionId, link);
    this.#sessions.set(session.peerSessionId, link);
    this.#setHealth(link, "up", "session up", `SSP session ${session.ownSessionId}`);
  }

  /** The link a session id belongs to: in memory, else from storage. */
  async #sessionLink(sessionId: string): Promise<PeerLink | undefined> {
    const known = this.#sessions.get(sessionId);
    if (known?.established) return known;
    if (!PEER_ID.test(sessionId)) return undefined;
    const stored = await this.#store.byId(sessionId);
    if (!stored) return undefined;
    const link = this.#link(stored.domain);
    if (link.state === "handshaking") return undefined;
    this.#adopt(link, stored);
    return link;
  }

  /** Ids peers can find us by: Baraza reads the domain after the `@` (digest §9.1). */
  #newSessionId(): string {
    return `${randomHex(16)}@${this.domain}`;
  }

  /** A handshake response whose transaction id is the peer's own (Baraza's SendSecretToken):
   * the handshake we began with the domain it names. */
  #initiatorFor(p: XmlElement): PeerLink | undefined {
    const domain = p.name === "SendSecretToken"
      ? readSendSecretToken(p)?.domain
      : p.name === "LoginRequest"
      ? readLoginRequest(p)?.domain
      : undefined;
    const link = domain === undefined ? undefined : this.#links.get(domain);
    return link?.state === "handshaking" && link.role === "initiator" ? link : undefined;
  }

  /**
   * Records the peer's state; logged once per change of state or kind of reason, so a peer that
   * stays down fills no log.
   */
  #setHealth(link: PeerLink, state: PeerHealth["state"], kind: string, reason: string): void {
    const before = link.health;
    link.health = { state, kind, reason, since: Date.now() };
    if (before && before.state === state && before.kind === kind) {
      link.health.since = before.since;
      return;
    }
    const text = `SSP peer ${link.domain}: ${state} (${kind}): ${reason}`;
    if (state === "up") log.info(text);
    else log.warn(text);
  }

  /** Why a peer's digest does not match, with the likely cause. */
  #wrongDigest(link: PeerLink, digest: string): string {
    const plain = createHash("md5").update(Buffer.from(link.ownToken ?? "", "utf8")).digest(
      "base64",
    );
    const hmac = this.#usesHmac(link.domain);
    if (hmac && digest === plain) {
      return `${link.domain} proves MD5(token), as Baraza does, where we expect HMAC-MD5 with ` +
        `our shared secret: list it in IMPS_SSP_MD5_PEERS, or give it our secret`;
    }
    return hmac
      ? `${link.domain}'s digest is not HMAC-MD5 with our shared secret for it`
      : `${link.domain}'s digest is not MD5(token): it may use a shared secret we do not have`;
  }

  #usesHmac(domain: string): boolean {
    if (this.#config.md5Peers.some((d) => d === domain)) return false;
    return (this.#config.secrets[domain] ?? this.#config.secret) !== undefined;
  }

  #digest(domain: string, token: string): string {
    const secret = this.#usesHmac(domain)
      ? this.#config.secrets[domain] ?? this.#config.secret
      : undefined;
    const hash = secret ? createHmac("md5", secret) : createHash("md5");
    return hash.update(Buffer.from(token, "utf8")).digest("base64");
  }

  #digestMatches(link: PeerLink, digest: string): boolean {
    const expected = encoder.encode(this.#digest(link.domain, link.ownToken ?? ""));
    const given = encoder.encode(digest);
    if (expected.length !== given.length) return false;
    let diff = 0;
    for (let i = 0; i < given.length; i++) diff |= expected[i] ^ given[i];
    return diff === 0;
  }

  // ---- Sending ---------------------------------------------------------------------------------

  #postSetup(link: PeerLink, mode: SspMode, tid: string, primitive: XmlElement): Promise<void> {
    const body = encodeSsp({ kind: "setup", transaction: { mode, transactionId: tid, primitive } });
    // Only the first SendSecretToken of a connection may be redirected (seed §5.5).
    return this.#post(link, body, { transactionId: tid }, primitive.name === "SendSecretToken");
  }

  #postSession(link: PeerLink, mode: SspMode, tid: string, primitive: XmlElement): Promise<void> {
    const sessionId = link.ownSessionId!;
    const body = encodeSsp({
      kind: "session",
      sessionId,
      transactions: [{ mode, transactionId: tid, primitive }],
    });
    return this.#post(
      link,
      body,
      { transactionId: tid, sessionId, traceparent: traceparent() },
      false,
    );
  }

  async #post(link: PeerLink, body: string, headers: PostHeaders, redirectable: boolean) {
    let fresh = redirectable;
    for (let redirects = 0;; redirects++) {
      // Work that began before close() (an answer to a peer's request) goes nowhere after it.
      if (this.#closed) throw new PeerUnavailable("server is shutting down");
      // Taken without a pause when one will do, so that concurrent senders see each other's
      // POSTs in flight and spill over to another connection of the pair set.
      const conn = this.#reusable(link, fresh) ?? await this.#connection(link, fresh);
      const first = conn.posts === 0;
      let answer;
      try {
        answer = await conn.post(body, headers, POST_TIMEOUT_MS);
      } catch (error) {
        if (!(error instanceof ConnectionLost)) throw error;
        // Baraza closes the connection, without a reply, on a post for a session it does not
        // know: on two connections in a row (the POSTs pipelined on one fail together), and the
        // session is set up anew.
        if (headers.sessionId && link.lastSilentClose !== conn) {
          link.lastSilentClose = conn;
          if (++link.silentCloses >= 2) await this.#forget(link);
        }
        throw new PeerUnavailable(`${link.domain}: ${error.message}`, { cause: error });
      }
      this.maxDepth = Math.max(this.maxDepth, conn.inFlight + 1);
      if (headers.sessionId) link.silentCloses = 0;
      if (answer.status === 200) return;
      if (answer.status >= 300 && answer.status < 400) {
        conn.close();
        if (!redirectable || !first || !answer.location || redirects >= MAX_REDIRECTS) {
          throw new PeerUnavailable(`redirect (${answer.status}) where the binding forbids it`);
        }
        link.url = new URL(answer.location, link.url);
        fresh = true;
        continue;
      }
      if (answer.status === 403 && headers.sessionId) {
        await this.#forget(link);
        throw new SessionUnknown(`${link.domain} does not know our session`);
      }
      if (!headers.sessionId) {
        this.#setHealth(
          link,
          "down",
          "handshake refused",
          `${link.domain} answered HTTP ${answer.status} to ${
            headers.transactionId ? "our SendSecretToken" : "a handshake step"
          }`,
        );
      }
      throw new PeerUnavailable(`${link.domain} answered HTTP ${answer.status}`);
    }
  }

  /**
   * The least busy open connection to the peer, unless a new one is wanted (`fresh`) or all are
   * busy while the pair count allows another.
   */
  #reusable(link: PeerLink, fresh: boolean): PipelinedConnection | undefined {
    for (let i = link.connections.length - 1; i >= 0; i--) {
      if (link.connections[i].closed) link.connections.splice(i, 1);
    }
    if (fresh || link.connections.length === 0) return undefined;
    const idlest = link.connections.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
    const busy = idlest.inFlight >= PIPELINE_DEPTH / 8;
    return busy && link.connections.length < this.#config.pairs ? undefined : idlest;
  }

  /** A connection to the peer: a reusable one, or a new one (shared by concurrent senders). */
  async #connection(link: PeerLink, fresh: boolean): Promise<PipelinedConnection> {
    const reusable = this.#reusable(link, fresh);
    if (reusable) return reusable;
    if (link.opening && !fresh) return await link.opening;
    const opening = this.#open(link);
    link.opening = opening;
    try {
      const conn = await opening;
      link.connections.push(conn);
      return conn;
    } finally {
      if (link.opening === opening) link.opening = undefined;
    }
  }

  async #open(link: PeerLink): Promise<PipelinedConnection> {
    const core = await this.#core;
    const candidates = link.url ? [link.url] : await this.peers.endpoints(link.domain);
    if (candidates.length === 0) {
      this.#setHealth(link, "down", "no endpoint", `no SSP endpoint is known for ${link.domain}`);
      throw new PeerUnavailable(`no SSP endpoint for ${link.domain}`);
    }
    let lastError: Error | undefined;
    for (const url of candidates) {
      let conn: PipelinedConnection;
      try {
        conn = await PipelinedConnection.open(url, {
          core,
          connectTimeoutMs: CONNECT_TIMEOUT_MS,
          caCerts: this.#config.caCerts,
        });
      } catch (error) {
        lastError = error as Error;
        continue;
      }
      // A connection opened once close() has closed the others would be waited for forever.
      if (this.#closed) {
        conn.close();
        throw new PeerUnavailable("server is shutting down");
      }
      link.url = url;
      this.#spawn(conn.finished);
      return conn;
    }
    this.#setHealth(
      link,
      "down",
      "connection refused",
      lastError?.message ?? `cannot connect to ${link.domain}`,
    );
    throw new PeerUnavailable(lastError?.message ?? "cannot connect");
  }

  // ---- Correlation -----------------------------------------------------------------------------

  /** Registers interest in the response (peer, transaction) before the request goes out. */
  async #expect(domain: string, tid: string, timeoutMs: number) {
    // Once closed nothing sweeps or rejects waiters: a handshake still under way stops here.
    if (this.#closed) throw new PeerUnavailable("server is shutting down");
    const table = await this.#correlation();
    if (this.#closed) throw new PeerUnavailable("server is shutting down");
    const slot = this.#nextSlot++ >>> 0;
    const key = [encoder.encode(domain), encoder.encode(tid)] as const;
    const promise = new Promise<XmlElement>((resolve, reject) => {
      this.#waiters.set(slot, { resolve, reject });
    });
    // Swept before the caller awaits it (its POST still going out): not an unhandled rejection.
    promise.catch(() => {});
    table.insert(key[0], key[1], slot, Date.now() + timeoutMs);
    this.#lookIn();
    return {
      promise,
      cancel: () => {
        table.remove(key[0], key[1]);
        this.#waiters.delete(slot);
      },
    };
  }

  /** Hands a response to what awaits it; false when nothing here does. */
  #settle(domain: string, tid: string, primitive: XmlElement): boolean {
    const slot = this.#table?.remove(encoder.encode(domain), encoder.encode(tid)) ?? -1;
    const waiter = this.#waiters.get(slot);
    if (!waiter) return false; // late (timed out), never asked, or another instance's
    this.#waiters.delete(slot);
    waiter.resolve(primitive);
    return true;
  }

  // ---- Several instances -----------------------------------------------------------------------

  /** An id for a transaction of ours: its answer names the instance that awaits it. */
  #newTid(): string {
    const tid = randomHex(8);
    return this.#instances ? `${tid}.${this.#instances.inbox.id}` : tid;
  }

  /** Passes `forwarded` to the instance `id` (another one than this). */
  async #forward(id: string | undefined, forwarded: Forwarded): Promise<boolean> {
    if (!this.#instances || id === undefined || id === this.#instances.inbox.id) return false;
    await this.#instances.inbox.post(id, FORWARDED, forwarded);
    return true;
  }

  /** A handshake step this instance does not hold: passed to the instance that does, if any. */
  async #forwardSetup(t: SspTransaction): Promise<boolean> {
    const claims = this.#instances?.claims;
    if (!claims) return false;
    let owner: string | undefined;
    if (t.mode === "Request") owner = await claims.responder(t.transactionId);
    else {
      owner = t.transactionId.match(INSTANCE_SUFFIX)?.[1];
      // Baraza answers a SendSecretToken with its own transaction id: the domain tells.
      const p = t.primitive;
      const domain = p.name === "SendSecretToken"
        ? readSendSecretToken(p)?.domain
        : p.name === "LoginRequest"
        ? readLoginRequest(p)?.domain
        : undefined;
      if (owner === undefined && domain !== undefined) owner = await claims.initiator(domain);
    }
    return await this.#forward(owner, { transaction: t });
  }

  /** What another instance passed here: taken as if it had arrived here. */
  #forwarded(note: Forwarded): void {
    const t = note.transaction;
    if (note.domain !== undefined) this.#settle(note.domain, t.transactionId, t.primitive);
    else this.#acceptSetup(t);
  }

  /**
   * Keeps this instance's inbox looked into while it awaits an answer or holds a peer's
   * handshake (answers then may arrive at another instance); checked again at each sweep.
   */
  #lookIn(): void {
    if (!this.#instances) return;
    const waiting = !this.#closed && (this.#waiters.size > 0 || this.#setups.size > 0);
    if (waiting && !this.#inboxHold) this.#inboxHold = this.#instances.inbox.hold();
    else if (!waiting && this.#inboxHold) {
      this.#inboxHold();
      this.#inboxHold = undefined;
    }
  }

  async #correlation(): Promise<CorrelationTable> {
    if (!this.#table) {
      const core = await this.#core;
      this.#table ??= core.createCorrelationTable();
    }
    return this.#table;
  }

  #sweep(): void {
    this.#lookIn();
    if (!this.#table || this.#waiters.size === 0) return;
    for (const slot of this.#table.sweep(Date.now())) {
      const waiter = this.#waiters.get(slot);
      this.#waiters.delete(slot);
      waiter?.reject(new PeerUnavailable("no SSP response in time"));
    }
  }

  // ---- State -----------------------------------------------------------------------------------

  #link(domain: string): PeerLink {
    let link = this.#links.get(domain);
    if (!link) this.#links.set(domain, link = new PeerLink(domain));
    return link;
  }

  /** The peer no longer knows our session: it goes here and in storage, to be set up anew. */
  async #forget(link: PeerLink): Promise<void> {
    const { ownSessionId, peerSessionId } = link;
    this.#reset(link, true);
    if (ownSessionId && peerSessionId) {
      await this.#store.remove({ domain: link.domain, ownSessionId, peerSessionId, expiresAt: 0 });
    }
  }

  /** Forgets the session (and with `closeConnections`, drops the connections). */
  #reset(link: PeerLink, closeConnections: boolean): void {
    if (link.ownSessionId) this.#sessions.delete(link.ownSessionId);
    if (link.peerSessionId) this.#sessions.delete(link.peerSessionId);
    if (link.setupTid) this.#setups.delete(link.setupTid);
    link.state = "idle";
    link.ownSessionId = link.peerSessionId = link.setupTid = undefined;
    link.ownToken = link.peerToken = undefined;
    if (closeConnections) {
      for (const conn of link.connections.splice(0)) conn.close();
      link.url = undefined;
    }
  }

  /** A failed or refused handshake: the half-open session goes, with its connections. */
  #fail(link: PeerLink, error: Error): void {
    const waiting = link.waiting;
    link.waiting = undefined;
    this.#reset(link, true);
    waiting?.reject(
      error instanceof PeerUnavailable || error instanceof PeerRefused
        ? error
        : new PeerUnavailable(error.message),
    );
  }

  #spawn(task: Promise<unknown>): void {
    const tracked = task.catch((error) => {
      if (!(error instanceof ConnectionLost) && !(error instanceof PeerUnavailable)) {
        log.error("SSP background task failed", failure(error));
      }
    });
    this.#background.add(tracked);
    tracked.finally(() => this.#background.delete(tracked));
  }

  /** Closes every connection and timer; waits for background work to end. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    this.#lookIn();
    for (const link of this.#links.values()) {
      for (const conn of link.connections.splice(0)) conn.close();
      link.waiting?.reject(new PeerUnavailable("server is shutting down"));
      link.waiting = undefined;
    }
    for (const waiter of this.#waiters.values()) {
      waiter.reject(new PeerUnavailable("server is shutting down"));
    }
    this.#waiters.clear();
    while (this.#background.size > 0) await Promise.all([...this.#background]);
    this.#table?.free();
    this.#table = undefined;
  }
}

/** The peer answered 403 to a session POST: it no longer knows the session. */
class SessionUnknown extends PeerUnavailable {}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
