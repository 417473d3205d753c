/**
 * The server's metrics, kept with prom-client (the maintained Prometheus client) and served as
 * the Prometheus text format on `GET /metrics`, or as JSON to the admin API. One `Metrics` per
 * server; every layer counts through the fields it is handed (`server.metrics`), and a service
 * element whose figures live in its own state (queue depths, peer states) registers a gauge read
 * at scrape time with `gauge()`.
 *
 * The counters and histograms of every request are kept in plain numbers by a key and read into
 * prom-client's registry when served: prom-client hashes an update's labels each time, which cost
 * 0.2–0.5 µs an update (the OpenTelemetry SDK took 0.7–1 µs); the rare ones are prom-client's own.
 * Labels are bounded: a primitive a client made up counts as `other`.
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

type Labels = Record<string, string>;

interface Series {
  labels: Labels;
  value: number;
}

/**
 * A counter kept in plain numbers, one per label set, found by its label values in nested maps:
 * an update makes no label object, key or closure (prom-client's own `inc` hashes the labels
 * every time). Read into a prom-client counter when metrics are served.
 */
class HotCounter {
  readonly #series = new Map<string, Map<string | number, Series>>();

  constructor(
    registry: client.Registry,
    name: string,
    help: string,
    readonly labelNames: readonly [string] | readonly [string, string],
  ) {
    const all = this.#series;
    new client.Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const inner of all.values()) {
          for (const { labels, value } of inner.values()) this.inc(labels, value);
        }
      },
    });
  }

  /** Adds `by` to the series of label values `a` (and `b`, for a counter of two labels). */
  inc(a: string, b: string | number = "", by = 1): void {
    let inner = this.#series.get(a);
    if (!inner) this.#series.set(a, inner = new Map());
    const series = inner.get(b);
    if (series) series.value += by;
    else inner.set(b, { labels: this.#labels(a, b), value: by });
  }

  #labels(a: string, b: string | number): Labels {
    const [first, second] = this.labelNames;
    return second === undefined ? { [first]: a } : { [first]: a, [second]: String(b) };
  }
}

interface HistogramSeries {
  labels: Labels;
  /** Observations per bucket (not cumulative), the last one above every bound. */
  counts: number[];
  sum: number;
  count: number;
}

/**
 * A histogram of at most one label kept in plain numbers, as HotCounter, registered with
 * prom-client's registry as a metric of its own (prom-client's histograms hash their labels on
 * every observation).
 */
class HotHistogram {
  readonly #series = new Map<string, HistogramSeries>();

  constructor(
    registry: client.Registry,
    readonly name: string,
    readonly help: string,
    readonly bounds: readonly number[],
    readonly labelName?: string,
  ) {
    registry.registerMetric(this as unknown as client.Metric);
  }

  readonly type = "histogram";
  readonly aggregator = "sum";

  /** Counts `value` in the series of label value `label` ("" without a label). */
  observe(label: string, value: number): void {
    let series = this.#series.get(label);
    if (!series) {
      series = {
        labels: this.labelName === undefined ? {} : { [this.labelName]: label },
        counts: new Array(this.bounds.length + 1).fill(0),
        sum: 0,
        count: 0,
      };
      this.#series.set(label, series);
    }
    let bucket = 0;
    while (bucket < this.bounds.length && value > this.bounds[bucket]) bucket++;
    series.counts[bucket]++;
    series.sum += value;
    series.count++;
  }

  /** What prom-client's registry reads of a metric: the Prometheus series, cumulative. */
  get() {
    const values = [];
    for (const { labels, counts, sum, count } of this.#series.values()) {
      let cumulative = 0;
      for (let i = 0; i <= this.bounds.length; i++) {
        cumulative += counts[i];
        const le = i < this.bounds.length ? this.bounds[i] : "+Inf";
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { ...labels, le },
          value: cumulative,
        });
      }
      values.push({ metricName: `${this.name}_sum`, labels, value: sum });
      values.push({ metricName: `${this.name}_count`, labels, value: count });
    }
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      values,
      aggregator: this.aggregator,
    };
  }

  reset(): void {
    this.#series.clear();
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
  readonly #httpRequests = new HotCounter(
    this.registry,
    "imps_http_requests_total",
    "HTTP requests by route and status",
    ["route", "status"],
  );
  /** CSP messages read, by encoding (XML, WBXML, SMS) and version. */
  readonly #cspMessages = new HotCounter(
    this.registry,
    "imps_csp_messages_total",
    "CSP messages read from clients, by encoding and version",
    ["encoding", "version"],
  );
  /** CSP transactions (client requests) by primitive and the status code answered. */
  readonly #transactions = new HotCounter(
    this.registry,
    "imps_csp_transactions_total",
    "CSP client requests by primitive and result code",
    ["primitive", "code"],
  );
  readonly #transactionSeconds = new HotHistogram(
    this.registry,
    "imps_csp_transaction_duration_seconds",
    "Time to answer a CSP client request, by primitive",
    LATENCY_BUCKETS,
    "primitive",
  );
  readonly #messages = new HotCounter(
    this.registry,
    "imps_messages_total",
    "Messages stored for recipients (accepted) and how they left the mailbox",
    ["event"],
  );
  readonly #kvCommitSeconds = new HotHistogram(
    this.registry,
    "imps_kv_commit_duration_seconds",
    "Time of one KV commit (one atomic operation carrying grouped writes)",
    COMMIT_BUCKETS,
  );
  readonly #kvCommitWrites = new HotHistogram(
    this.registry,
    "imps_kv_commit_writes",
    "Writes (of separate requests) carried by one KV commit",
    BATCH_BUCKETS,
  );
  readonly #cirWakeups = new HotCounter(
    this.registry,
    "imps_cir_wakeups_total",
    "CIR wake-ups by method and result (sent, unreachable, failed)",
    ["method", "result"],
  );
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

  /** Counts a CSP message read, by encoding and version. */
  cspMessage(encoding: string, version: string): void {
    this.#cspMessages.inc(encoding, version);
  }

  /** Counts an HTTP request by route and status. */
  httpRequest(route: string, status: number): void {
    this.#httpRequests.inc(route, status);
  }

  /** Counts a CIR wake-up by method: sent, the channel could not reach the session now (the
   * next agreed method is tried), or the channel failed. */
  cirWakeup(method: string, result: "sent" | "unreachable" | "failed"): void {
    this.#cirWakeups.inc(method, result);
  }

  /** The clock transactions are timed by, ms (`performance.now`): read through the metrics, so
   * that what measures the metrics' cost can leave it out with them. */
  now(): number {
    return performance.now();
  }

  /** Counts a CSP transaction by primitive and result code, and its duration. */
  transaction(primitive: string, code: number, seconds: number): void {
    this.#transactions.inc(primitive, code);
    this.#transactionSeconds.observe(primitive, seconds);
  }

  /** Counts `count` messages accepted into mailboxes, or leaving one (`event`). */
  message(event: MessageEvent, count = 1): void {
    this.#messages.inc(event, "", count);
  }

  /** Records one KV commit: its duration and the writes it carried. */
  kvCommit(seconds: number, writes: number): void {
    this.#kvCommitSeconds.observe("", seconds);
    this.#kvCommitWrites.observe("", writes);
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
