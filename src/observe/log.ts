/**
 * The server's log: one line per event, at a level, as text or JSON lines. Everything the server
 * says goes through `log` (never `console.*`), so IMPS_LOG_LEVEL and IMPS_LOG_FORMAT apply to all
 * of it:
 *
 *     log.info("relay resumed", { peers: 2 });
 *     // text: 2026-01-02T03:04:05.678Z info relay resumed peers=2
 *     // json: {"time":"2026-01-02T03:04:05.678Z","level":"info","msg":"relay resumed","peers":2}
 *
 * Lines go out through the console, debug and info to stdout, warn and error to stderr (so that
 * Deno's OpenTelemetry, with OTEL_DENO=true, exports them as log records tagged with the span
 * they were written in). Access lines (one per HTTP request) are gathered and written together at
 * most 50 ms later or once 32 KiB wait, so that a busy server makes one write for many of them;
 * any other line writes them first, so the order holds. Where the process owns its output,
 * `accessTo: Deno.stdout` writes those batches straight to it (the console's handling of a
 * 32 KiB batch cost about as much as formatting its lines).
 */

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFormat = "text" | "json";
/** Values of a line's fields; undefined ones are left out. */
export type LogFields = Record<string, string | number | boolean | undefined | null | unknown>;

export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];
const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

const FLUSH_MS = 50;
const FLUSH_BYTES = 32 * 1024;
const encoder = new TextEncoder();

export class Logger {
  #min = RANK.info;
  #format: LogFormat = "text";
  #batched = true;
  #to?: Writer;
  #accessTo?: Writer;
  #pending: string[] = [];
  #pendingBytes = 0;
  #timer?: ReturnType<typeof setTimeout>;

  /**
   * Sets the lowest level written and the format; `batched: false` writes access lines one by
   * one (for OpenTelemetry, which exports each console call as a record); `accessTo` writes the
   * batches of access lines to it rather than through the console (Deno.stdout); `to` writes
   * every line to one file instead of the console (benchmarks).
   */
  configure(
    options: {
      level?: LogLevel;
      format?: LogFormat;
      batched?: boolean;
      accessTo?: Writer;
      to?: Writer;
    },
  ): void {
    this.flush();
    if (options.level) this.#min = RANK[options.level];
    if (options.format) this.#format = options.format;
    if (options.batched !== undefined) this.#batched = options.batched;
    if (options.accessTo) this.#accessTo = options.accessTo;
    if (options.to) this.#to = options.to;
  }

  /** Whether lines of `level` are written (to skip building fields nobody reads). */
  enabled(level: LogLevel): boolean {
    return RANK[level] >= this.#min;
  }

  debug(msg: string, fields?: LogFields): void {
    if (this.#min <= RANK.debug) this.#write("debug", msg, fields, false);
  }

  info(msg: string, fields?: LogFields): void {
    if (this.#min <= RANK.info) this.#write("info", msg, fields, false);
  }

  /** An info line written at every level: where the server listens, what it stops for. */
  notice(msg: string, fields?: LogFields): void {
    this.#write("info", msg, fields, false);
  }

  warn(msg: string, fields?: LogFields): void {
    if (this.#min <= RANK.warn) this.#write("warn", msg, fields, false);
  }

  error(msg: string, fields?: LogFields): void {
    this.#write("error", msg, fields, false);
  }

  /** An access line (info): written with the next batch rather than at once. Made without the
   * generic fields' walk: one is written for every request. */
  access(msg: string, fields: AccessFields): void {
    if (this.#min > RANK.info) return;
    let line: string;
    if (this.#format === "json") line = jsonLine("info", msg, fields);
    else {
      const { status, primitive, user, ms, addr } = fields;
      line = `${now()} info ${msg} status=${status}`;
      if (primitive !== undefined) line += ` primitive=${primitive}`;
      if (user !== undefined) line += ` user=${textValue(user)}`;
      line += ` ms=${ms}`;
      if (addr !== undefined) line += ` addr=${addr}`;
    }
    if (this.#batched) this.#gather(line);
    else {
      this.flush();
      this.#emit("info", line);
    }
  }

  /** Writes the access lines still gathered (before the process exits). */
  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#pending.length === 0) return;
    const text = this.#pending.join("\n");
    this.#pending = [];
    this.#pendingBytes = 0;
    const writer = this.#to ?? this.#accessTo;
    if (writer) writeAll(writer, text + "\n");
    else this.#emit("info", text);
  }

  #write(level: LogLevel, msg: string, fields: LogFields | undefined, batched = false): void {
    const line = formatLine(this.#format, level, msg, fields);
    if (batched) return this.#gather(line);
    this.flush();
    this.#emit(level, line);
  }

  /** Keeps a line for the next batch, which goes 50 ms after its first line or at 32 KiB. */
  #gather(line: string): void {
    this.#pending.push(line);
    this.#pendingBytes += line.length + 1;
    if (this.#pendingBytes >= FLUSH_BYTES) this.flush();
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.flush();
      }, FLUSH_MS);
      Deno.unrefTimer(this.#timer);
    }
  }

  /** One write: lines (without their last newline) at a level. */
  #emit(level: LogLevel, text: string): void {
    if (this.#to) return writeAll(this.#to, text + "\n");
    if (level === "error") console.error(text);
    else if (level === "warn") console.warn(text);
    else if (level === "info") console.info(text);
    else console.debug(text);
  }
}

/** What an access line says of a request: the primitives (comma-separated) and user of a CSP
 * message, its duration and the client's address (IP addresses and primitive names need no
 * quoting in a text line). */
export type AccessFields = {
  status: number;
  primitive?: string;
  user?: string;
  ms: number;
  addr?: string;
};

/** Where lines go: stdout, stderr, or a file. */
export interface Writer {
  writeSync(p: Uint8Array): number;
}

function writeAll(stream: Writer, text: string): void {
  let bytes = encoder.encode(text);
  try {
    while (bytes.length > 0) bytes = bytes.subarray(stream.writeSync(bytes));
  } catch {
    // The output is gone (a closed pipe): nothing left to tell it.
  }
}

/**
 * The time of a line (ISO 8601, UTC, ms): the date and time up to the second are formatted once a
 * second, the milliseconds added to them (a busy server writes a line or more every millisecond,
 * and `toISOString` for each was a tenth of what the access line cost).
 */
let secondAt = -1;
let secondText = "";
let stampedAt = 0;
let stamp = "";
function now(): string {
  const ms = Date.now();
  if (ms === stampedAt) return stamp;
  stampedAt = ms;
  const second = ms - ms % 1000;
  if (second !== secondAt) {
    secondAt = second;
    secondText = new Date(second).toISOString().slice(0, 20); // up to "ss."
  }
  const millis = ms - second;
  stamp = secondText + (millis < 10 ? "00" : millis < 100 ? "0" : "") + millis + "Z";
  return stamp;
}

/** One line of the log, without its newline. */
export function formatLine(
  format: LogFormat,
  level: LogLevel,
  msg: string,
  fields?: LogFields,
): string {
  return format === "json" ? jsonLine(level, msg, fields) : textLine(level, msg, fields);
}

function textLine(level: LogLevel, msg: string, fields: LogFields | undefined): string {
  let line = `${now()} ${level} ${msg}`;
  if (fields) {
    for (const key in fields) {
      const value = fields[key];
      if (value === undefined || value === null) continue;
      line += ` ${key}=${textValue(value)}`;
    }
  }
  return line;
}

const PLAIN = /^[^\s"=\\]+$/;

function textValue(value: unknown): string {
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  const text = value instanceof Error ? value.message : String(value);
  return PLAIN.test(text) ? text : JSON.stringify(text);
}

function jsonLine(level: LogLevel, msg: string, fields: LogFields | undefined): string {
  const record: Record<string, unknown> = { time: now(), level, msg };
  if (fields) {
    for (const key in fields) {
      const value = fields[key];
      if (value === undefined || value === null) continue;
      record[key] = value instanceof Error ? value.message : value;
    }
  }
  return JSON.stringify(record);
}

/** Fields describing a failure: its message and where it was thrown (the first frames). */
export function failure(error: unknown): LogFields {
  if (!(error instanceof Error)) return { error: String(error) };
  return { error: error.message, stack: error.stack?.split("\n").slice(1, 6).join(" | ") };
}

/** The server's one log. */
export const log = new Logger();
