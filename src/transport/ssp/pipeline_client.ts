/**
 * The outbound half of an SSP connection pair (seed §5.1): one persistent HTTP/1.1 connection on
 * raw TCP or TLS, on which POSTs are pipelined — written as soon as they are asked for, without
 * waiting for earlier answers — and the answers, which must come back in request order, are
 * matched to them first in, first out. `fetch` cannot pipeline, hence this client. Answers of any
 * status are read whole (1xx heads, chunked bodies, bodies on 3xx and 4xx, `Connection: close`).
 * undici's pipelining `Client` does the same on Deno, but measured at half the federated
 * throughput of this one in scripts/bench_ssp.ts.
 */
import type { Core } from "../../core/mod.ts";
import { FLAG_BODY_UNTIL_CLOSE } from "../../core/http_head.ts";
import { SSP_CONTENT_TYPE } from "../../codec/ssp/message.ts";
import { frameAnswer, type FramedAnswer } from "./answer_framing.ts";

export interface PostAnswer {
  status: number;
  /** The Location of a redirect (3xx). */
  location?: string;
}

export interface PostHeaders {
  transactionId?: string;
  sessionId?: string;
  /** W3C trace context of the span the POST belongs to (OpenTelemetry on). */
  traceparent?: string;
}

export interface ConnectOptions {
  core: Core;
  connectTimeoutMs: number;
  /** PEM certificates to trust besides the system's (tests with their own CA). */
  caCerts?: string[];
  /** Largest HTTP answer (head and body) accepted; a dummy reply is empty. */
  maxAnswerBytes?: number;
}

/** The connection failed or was closed before every answer arrived. */
export class ConnectionLost extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConnectionLost";
  }
}

interface InFlight {
  resolve(answer: PostAnswer): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

const encoder = new TextEncoder();

export class PipelinedConnection {
  readonly #conn: Deno.Conn;
  readonly #core: Core;
  readonly #hostHeader: string;
  readonly #path: string;
  readonly #maxAnswerBytes: number;
  readonly #inFlight: InFlight[] = [];
  #writing: Promise<void> = Promise.resolve();
  #closed = false;
  #posts = 0;
  /** Resolves once the reader has stopped (the connection is closed). */
  readonly finished: Promise<void>;

  private constructor(conn: Deno.Conn, url: URL, options: ConnectOptions) {
    this.#conn = conn;
    this.#core = options.core;
    this.#hostHeader = url.host;
    this.#path = url.pathname + url.search;
    this.#maxAnswerBytes = options.maxAnswerBytes ?? 64 * 1024;
    this.finished = this.#read();
  }

  /** Connects to an http: or https: URL. */
  static async open(url: URL, options: ConnectOptions): Promise<PipelinedConnection> {
    const secure = url.protocol === "https:";
    if (!secure && url.protocol !== "http:") {
      throw new ConnectionLost(`unsupported scheme ${url.protocol}`);
    }
    const hostname = url.hostname.replace(/^\[(.*)\]$/, "$1");
    const port = Number(url.port || (secure ? 443 : 80));
    const signal = AbortSignal.timeout(options.connectTimeoutMs);
    let conn: Deno.Conn;
    try {
      conn = secure
        ? await Deno.connectTls(
          { hostname, port, caCerts: options.caCerts, signal } as Deno.ConnectTlsOptions,
        )
        : await Deno.connect({ hostname, port, signal } as Deno.ConnectOptions);
    } catch (error) {
      throw new ConnectionLost(`cannot connect to ${url.host}: ${(error as Error).message}`);
    }
    return new PipelinedConnection(conn, url, options);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** POSTs sent and not yet answered: the pipelining depth right now. */
  get inFlight(): number {
    return this.#inFlight.length;
  }

  /** POSTs written on this connection so far (the first may be redirected, no later one). */
  get posts(): number {
    return this.#posts;
  }

  /** POSTs an SSP message; resolves with the HTTP answer, in request order. */
  post(body: string, headers: PostHeaders, timeoutMs: number): Promise<PostAnswer> {
    if (this.#closed) return Promise.reject(new ConnectionLost("connection is closed"));
    this.#posts++;
    const bytes = encoder.encode(body);
    let head = `POST ${this.#path} HTTP/1.1\r\nHost: ${this.#hostHeader}\r\n` +
      `Content-Type: ${SSP_CONTENT_TYPE}\r\nContent-Length: ${bytes.length}\r\n` +
      `Connection: keep-alive\r\nUser-Agent: imps-server\r\n`;
    if (headers.transactionId) head += `x-wv-transactionid: ${headers.transactionId}\r\n`;
    if (headers.sessionId) head += `x-wv-sessionid: ${headers.sessionId}\r\n`;
    if (headers.traceparent) head += `traceparent: ${headers.traceparent}\r\n`;
    const message = concat(encoder.encode(head + "\r\n"), bytes);
    const answer = new Promise<PostAnswer>((resolve, reject) => {
      const timer = setTimeout(
        () => this.#fail(new ConnectionLost(`no answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.#inFlight.push({ resolve, reject, timer });
    });
    this.#writing = this.#writing.then(() => this.#writeAll(message)).catch((error) =>
      this.#fail(new ConnectionLost(`write failed: ${(error as Error).message}`))
    );
    return answer;
  }

  /** Closes the connection; whatever is still in flight fails with ConnectionLost. */
  close(): void {
    this.#fail(new ConnectionLost("connection closed"));
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) offset += await this.#conn.write(bytes.subarray(offset));
  }

  async #read(): Promise<void> {
    let buffer: Uint8Array = new Uint8Array(0);
    const chunk = new Uint8Array(16 * 1024);
    try {
      while (!this.#closed) {
        const n = await this.#conn.read(chunk);
        if (n === null) break;
        buffer = concat(buffer, chunk.subarray(0, n));
        let offset = 0;
        while (offset < buffer.length) {
          const answer = this.#frame(buffer, offset);
          if (!answer) break;
          offset = answer.end;
          // An informational head (100 Continue, 103) precedes the real answer.
          if (answer.status < 200) continue;
          const pending = this.#inFlight.shift();
          if (!pending) throw new Error("answer without a request");
          clearTimeout(pending.timer);
          pending.resolve({
            status: answer.status,
            ...(answer.location !== undefined ? { location: answer.location } : {}),
          });
          // The peer closes after this answer: the POSTs behind it fail now, to be sent again.
          if (answer.closes) throw new Error("peer closes the connection");
        }
        buffer = buffer.slice(offset);
      }
      this.#fail(new ConnectionLost("peer closed the connection"));
    } catch (error) {
      this.#fail(new ConnectionLost((error as Error).message));
    }
  }

  /**
   * The answer at `offset`, or undefined while bytes are missing. The core's scanner frames the
   * usual answers (Content-Length, no body); 1xx heads and Transfer-Encoding go the slow way.
   */
  #frame(buffer: Uint8Array, offset: number): FramedAnswer | undefined {
    const scan = this.#core.scanHead(buffer, offset, this.#maxAnswerBytes);
    if (scan.incomplete) {
      if (buffer.length - offset > this.#maxAnswerBytes) throw new Error("answer too large");
      return undefined;
    }
    if (scan.complete && scan.isRequest) throw new Error("a request where an answer belongs");
    if (!scan.complete || scan.status < 200) {
      return frameAnswer(buffer, offset, this.#maxAnswerBytes);
    }
    return {
      status: scan.status,
      ...(scan.location !== undefined ? { location: scan.location } : {}),
      end: scan.end,
      closes: scan.connectionClose || (scan.flags & FLAG_BODY_UNTIL_CLOSE) !== 0,
    };
  }

  #fail(error: Error): void {
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.#conn.close();
      } catch {
        // Already closed by the peer.
      }
    }
    for (const pending of this.#inFlight.splice(0)) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b.slice();
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
