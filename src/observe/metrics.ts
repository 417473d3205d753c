/**
 * The server's metrics, kept with prom-client (the maintained Prometheus client) and served as
 * the Prometheus text format on `GET /metrics`, or as JSON to the admin API. One `Metrics` per
 * server; every layer counts through the fields it is handed (`server.metrics`), and a service
 * element whose figures live in its own state (queue depths, peer states) registers a gauge read
 * at scrape time with `gauge()`.
 *
 * An update costs 0.2–0.5 µs (prom-client, measured on Deno; the OpenTelemetry SDK took 0.7–1 µs
 * for the same). Labels are bounded: a primitive a client made up counts as `other`.
 */
import client from "prom-client";

/** Transaction latency buckets, seconds: from a cached poll (~0.1 ms) to a slow federation step. */
const LATENCY_BUCKETS = [
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  10,
];
const COMMIT_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000];

/**
 * Counts by label values through children kept per key, so the hot path builds no label object
 * and prom-client hashes no labels: `bound.get(key, labels)` makes a child once per key.
 */
class Children<T> {
  readonly #children = new Map<string, T>();
  constructor(private readonly make: (values: string[]) => T) {}

  get(key: string, values: () => string[]): T {
    let child = this.#children.get(key);
    if (!child) this.#children.set(key, child = this.make(values()));
    return child;
  }
}

/** A gauge's values at scrape time: one per label set (an empty object for none). */
export type GaugeReading = Array<[labels: Record<string, string>, value: number]>;

/** What the message counter counts: mailbox arrivals, and how messages left it. */
export type MessageEvent = "accepted" | "delivered" | "rejected" | "forwarded" | "expired";

/** The process figures (CPU, memory, file descriptors, event-loop lag), shared by every server
 * of the process and started only when first served. */
let processRegistry: client.Registry | undefined;

function processMetrics(): client.Registry {
  if (!processRegistry) {
    processRegistry = new client.Registry();
    client.collectDefaultMetrics({ register: processRegistry, prefix: "imps_" });
  }
  return processRegistry;
}

export class Metrics {
  readonly registry = new client.Registry();

  /** HTTP requests by route and status (every endpoint, before CSP is read). */
  readonly httpRequests = new client.Counter({
    name: "imps_http_requests_total",
    help: "HTTP requests by route and status",
    labelNames: ["route", "status"] as const,
    registers: [this.registry],
  });
  /** CSP messages read, by encoding (XML, WBXML, SMS) and version. */
  readonly cspMessages = new client.Counter({
    name: "imps_csp_messages_total",
    help: "CSP messages read from clients, by encoding and version",
    labelNames: ["encoding", "version"] as const,
    registers: [this.registry],
  });
  /** CSP transactions (client requests) by primitive and the status code answered. */
  readonly transactions = new client.Counter({
    name: "imps_csp_transactions_total",
    help: "CSP client requests by primitive and result code",
    labelNames: ["primitive", "code"] as const,
    registers: [this.registry],
  });
  readonly transactionSeconds = new client.Histogram({
    name: "imps_csp_transaction_duration_seconds",
    help: "Time to answer a CSP client request, by primitive",
    labelNames: ["primitive"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly messages = new client.Counter({
    name: "imps_messages_total",
    help: "Messages stored for recipients (accepted) and how they left the mailbox",
    labelNames: ["event"] as const,
    registers: [this.registry],
  });
  readonly kvCommitSeconds = new client.Histogram({
    name: "imps_kv_commit_duration_seconds",
    help: "Time of one KV commit (one atomic operation carrying grouped writes)",
    buckets: COMMIT_BUCKETS,
    registers: [this.registry],
  });
  readonly kvCommitWrites = new client.Histogram({
    name: "imps_kv_commit_writes",
    help: "Writes (of separate requests) carried by one KV commit",
    buckets: BATCH_BUCKETS,
    registers: [this.registry],
  });
  readonly loginFailures = new client.Counter({
    name: "imps_login_failures_total",
    help: "Failed logins (wrong password or digest, unknown user)",
    registers: [this.registry],
  });
  /** Requests refused by a limit: login lockouts and backoff, rate limits. */
  readonly limited = new client.Counter({
    name: "imps_limited_total",
    help: "Requests refused by a login lockout or backoff or a rate limit, by limit",
    labelNames: ["limit"] as const,
    registers: [this.registry],
  });

  readonly #httpChildren = new Children((v) => this.httpRequests.labels(...v));
  readonly #transactionChildren = new Children((v) => this.transactions.labels(...v));
  readonly #durationChildren = new Children((v) => this.transactionSeconds.labels(...v));
  readonly #messageChildren = new Children((v) => this.cspMessages.labels(...v));

  /** Counts a CSP message read (the hot path's way to `cspMessages`). */
  cspMessage(encoding: string, version: string): void {
    this.#messageChildren.get(encoding + version, () => [encoding, version]).inc();
  }

  /** Counts an HTTP request (the hot path's way to `httpRequests`). */
  httpRequest(route: string, status: number): void {
    this.#httpChildren.get(route + status, () => [route, String(status)]).inc();
  }

  /** Counts a CSP transaction and its duration (the hot path's way). */
  transaction(primitive: string, code: number, seconds: number): void {
    this.#transactionChildren.get(primitive + code, () => [primitive, String(code)]).inc();
    this.#durationChildren.get(primitive, () => [primitive]).observe(seconds);
  }

  /** Registers a gauge whose values are read when metrics are served. */
  gauge(
    name: string,
    help: string,
    labelNames: readonly string[],
    read: () => GaugeReading | Promise<GaugeReading>,
  ): void {
    new client.Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const [labels, value] of await read()) this.set(labels, value);
      },
    });
  }

  /**
   * Registers a gauge counted from the store: the counts are made at most every `maxAgeMs`
   * (a scrape every few seconds must not read a large queue each time).
   */
  storeGauge(
    name: string,
    help: string,
    labelNames: readonly string[],
    read: () => Promise<GaugeReading>,
    maxAgeMs = 15_000,
  ): void {
    let made: { at: number; reading: Promise<GaugeReading> } | undefined;
    this.gauge(name, help, labelNames, () => {
      const now = Date.now();
      if (!made || now - made.at > maxAgeMs) made = { at: now, reading: read() };
      return made.reading;
    });
  }

  /** Registers a counter kept elsewhere (a total some module keeps), read when served. */
  counter(
    name: string,
    help: string,
    labelNames: readonly string[],
    read: () => GaugeReading,
  ): void {
    new client.Counter({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [labels, value] of read()) if (value > 0) this.inc(labels, value);
      },
    });
  }

  /** The Prometheus text format: this server's metrics, then the process's. */
  async text(): Promise<string> {
    return await this.registry.metrics() + "\n" + await processMetrics().metrics();
  }

  /** Content type of `text()`. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The same figures as JSON, `{name: {help, type, values: [{labels, value}]}}`. */
  async json(): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const registry of [this.registry, processMetrics()]) {
      for (const metric of await registry.getMetricsAsJSON()) {
        out[metric.name] = { help: metric.help, type: metric.type, values: metric.values };
      }
    }
    return out;
  }
}
