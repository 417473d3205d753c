/**
 * Builds the server from its configuration: storage, session layer, service modules and the
 * Hono app with its routes. `main.ts` serves it; tests drive `app.request` or a real port.
 */
import { Hono } from "hono";
import type { Config } from "./config.ts";
import { DEFAULT_XML_LIMITS, type XmlLimits, type XmlTreeSource } from "./codec/xml/tree.ts";
import type { WbxmlTreeSource } from "./codec/wbxml/mod.ts";
import { TsWbxmlTokenizer } from "./core/wbxml_tokenizer_ts.ts";
import { wbxmlTreeSource } from "./core/wbxml_tree.ts";
import { SspRelay } from "./federation/relay.ts";
import { finishRemovals, removeUser } from "./services/accounts.ts";
import { createElements, elementList, type Elements } from "./services/mod.ts";
import type { ServerContext } from "./session/handler.ts";
import { SessionLifecycle } from "./session/lifecycle.ts";
import { Registry } from "./session/registry.ts";
import { claimStoreDomain } from "./store/domain.ts";
import { InstanceInbox } from "./store/instance_inbox.ts";
import { Store } from "./store/kv.ts";
import { OutboxRepo } from "./store/outbox.ts";
import { SessionRepo } from "./store/sessions.ts";
import { loadServerKey, type ServerKey } from "./store/server_key.ts";
import { UserRepo } from "./store/users.ts";
import { adminRoutes } from "./admin/api.ts";
import { failure, log } from "./observe/log.ts";
import { Metrics } from "./observe/metrics.ts";
import { RateLimits } from "./session/rates.ts";
import { routeFor } from "./transport/bindings.ts";
import { limitBody } from "./transport/body_limit.ts";
import { type Cir, startCir } from "./transport/cir/mod.ts";
import { cspHandler } from "./transport/csp_http.ts";
import { landingRoutes } from "./transport/landing.ts";
import { metricsRoute, observeRequests } from "./transport/observe_http.ts";
import { SmsGateway } from "./transport/sms/gateway.ts";
import { KannelClient } from "./transport/sms/kannel.ts";
import { Sealer } from "./util/crypto.ts";

export interface ImpsServer {
  app: Hono;
  context: ServerContext;
  /** The service elements, made for this server (`services/mod.ts`). */
  elements: Elements;
  /** The SSP transport, when federation is on. */
  federation?: SspRelay;
  /** The key sealing passwords for digest login, and where it is kept. */
  key: ServerKey;
  /** Removes a user's account at once (see `services/accounts.ts`). */
  removeUser(userId: string): Promise<void>;
  /** Finishes the removals begun (by the admin command, or cut short): the users removed. */
  finishRemovals(): Promise<string[]>;
  /**
   * One round of the background work: sessions whose time ran out end (their users go offline),
   * ends a crash interrupted are finished, removed accounts are deleted, and on a shared store
   * relay queues no live instance works are taken over. The server runs it on a
   * timer (`sweepIntervalMs`); where no timer may be relied on (Deno Deploy), `Deno.cron` does.
   */
  sweep(): Promise<void>;
  /** The CIR channels, when any is enabled. */
  cir?: Cir;
  /** Stops background work and closes the store once pending writes are committed. */
  close(): Promise<void>;
}

export interface ServerOptions {
  /** XML reader for CSP bodies (the core chosen by IMPS_CORE). */
  parseXml: XmlTreeSource;
  /** WBXML reader for CSP bodies (the core chosen by IMPS_CORE); the TypeScript core's if absent. */
  parseWbxml?: WbxmlTreeSource;
  /** How often `sweep` runs, ms; 0 turns the timer off (tests, or a host that calls `sweep`). */
  sweepIntervalMs?: number;
  /** Whether each HTTP request is counted and gets an access line (default true); false only
   * to measure what that costs (`scripts/bench_overhead.ts`). */
  observeRequests?: boolean;
}

export async function createServer(config: Config, options: ServerOptions): Promise<ImpsServer> {
  const store = await Store.open(config.dataPath, { lock: true, shared: config.shared });
  let key: ServerKey;
  try {
    await claimStoreDomain(store, config.dataPath, config.domain);
    key = await loadServerKey(config);
  } catch (error) {
    await store.close();
    throw error;
  }
  const outbox = new OutboxRepo(store);
  const sessions = new SessionLifecycle(config, store, new SessionRepo(store), outbox);
  const registry = new Registry();
  const metrics = new Metrics();
  store.commits.observe((seconds, writes) => {
    metrics.kvCommit(seconds, writes);
  });
  const context: ServerContext = {
    config,
    store,
    users: new UserRepo(store),
    sessions,
    outbox,
    registry,
    sealer: await Sealer.fromSecret(key.secret),
    metrics,
    rates: new RateLimits(config),
    instances: store.exclusive ? undefined : new InstanceInbox(store, {
      wake: config.sharedWake,
      lookMs: config.sharedLookMs,
    }),
  };
  storeGauges(context);
  const federation = config.federation
    ? new SspRelay(config, store, metrics, context.instances)
    : undefined;
  const elements = createElements(context, federation);
  const list = elementList(elements);
  for (const element of list) {
    registry.add(...element.modules).addAck(...element.acks ?? []);
  }
  if (key.created && await context.users.any()) {
    key.warning = "a new server key was made for a store that already has users: they gain " +
      "digest login at their next password login (or `deno task admin user passwd`); if the " +
      "store had a key before, stop and restore it from the backup instead";
  }
  let cir: Cir | undefined;
  try {
    cir = await startCir(config, context);
  } catch (error) {
    for (const element of list) await element.close?.();
    await federation?.close();
    await context.instances?.close();
    await store.close();
    throw error;
  }
  context.cir = cir?.dispatcher;

  const limits: XmlLimits = { ...DEFAULT_XML_LIMITS, maxBytes: config.maxBodyBytes };
  const app = new Hono();
  const cspLimit = limitBody({
    maxSize: config.maxBodyBytes,
    onError: (c) => c.text("Request body too large", 413),
  });
  const csp = cspHandler({
    server: context,
    parseXml: options.parseXml,
    parseWbxml: options.parseWbxml ?? wbxmlTreeSource(new TsWbxmlTokenizer()),
    limits,
  });
  app.post("/csp", cspLimit, csp);
  landingRoutes(app, config);
  app.get(
    "/healthz",
    async (c) => await store.healthy() ? c.text("ok") : c.text("store unreachable", 503),
  );
  for (const element of list) element.routes?.(app);
  federation?.routes(app);
  const sweepMs = options.sweepIntervalMs ?? 15_000;
  federation?.start({ watch: sweepMs > 0 });
  cir?.routes(app);
  metricsRoute(app, config, metrics);
  adminRoutes(app, context, {
    groups: elements.group.admin,
    notices: elements.im.notices,
    finishRemovals: () => finishRemovals(context, list),
  });
  const sms = await startSms(context, app);
  // CSP on any other path too, told by its Content-Type (after the elements' own routes).
  app.post("*", routeFor("csp", cspLimit, csp));
  app.onError((error, c) => {
    log.error("request failed", { path: c.req.path, ...failure(error) });
    return c.text("Internal server error", 500);
  });
  // Every request counted and logged, whoever serves the app (app.request in tests too).
  if (options.observeRequests !== false) app.fetch = observeRequests(app.fetch, metrics);

  const sweep = async () => {
    await sessions.sweep();
    await finishRemovals(context, list);
    await federation?.sweep();
  };
  const sweeper = sweepMs > 0
    ? setInterval(
      () => sweep().catch((e) => log.error("session sweep failed", failure(e))),
      sweepMs,
    )
    : undefined;

  return {
    app,
    context,
    elements,
    federation,
    key,
    removeUser: (userId) => removeUser(context, list, userId),
    finishRemovals: () => finishRemovals(context, list),
    sweep,
    cir,
    async close() {
      if (sweeper !== undefined) clearInterval(sweeper);
      await sms?.close();
      await cir?.close();
      for (const element of list) await element.close?.();
      await federation?.close();
      await context.instances?.close();
      await store.close();
    },
  };
}

/** `imps_sessions` (live sessions by CSP version and CIR method) and `imps_outbox_entries` (server-originated
 * transactions waiting for sessions), counted from the store (so every instance sharing a KV sees
 * them all) at most every 15 s. */
function storeGauges(context: ServerContext): void {
  context.metrics.storeGauge(
    "imps_sessions",
    "Live CSP sessions in the store, by version and preferred CIR method (none: polling)",
    ["version", "cir"],
    () => context.sessions.countByKind(),
  );
  context.metrics.storeGauge(
    "imps_outbox_entries",
    "Server-originated transactions (notifications, reports, invitations) waiting for sessions",
    [],
    async () => [[{}, await context.outbox.depth()]],
  );
}

/** SMS from phones (POST /sms), when configured: the SMS binding and CLP through Kannel. */
async function startSms(context: ServerContext, app: Hono): Promise<SmsGateway | undefined> {
  const { sms, smsIn } = context.config;
  if (!sms || !smsIn) return undefined;
  const gateway = new SmsGateway(
    context,
    new KannelClient(sms),
    (msisdn) => context.users.byMsisdn(msisdn),
    smsIn,
  );
  await gateway.start();
  context.smsSessions = gateway;
  gateway.routes(app);
  return gateway;
}
