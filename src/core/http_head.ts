/**
 * HTTP/1.1 head scanning: the result format shared by the TypeScript and WebAssembly scanners
 * (`wasm/assembly/head.ts` mirrors these numbers), and the view the rest of the server reads.
 */

/** Word indexes of a scan's fields (int32). Spans are [start, end) byte offsets, -1 if absent. */
export const F_STATE = 0;
export const F_ERROR = 1;
export const F_ERROR_OFFSET = 2;
export const F_START = 3;
export const F_HEAD_END = 4;
export const F_END = 5;
export const F_KIND = 6;
export const F_STATUS = 7;
export const F_CONTENT_LENGTH = 8;
export const F_FLAGS = 9;
export const F_METHOD = 10;
export const F_TARGET = 12;
export const F_CONTENT_TYPE = 14;
export const F_CONNECTION = 16;
export const F_LOCATION = 18;
export const F_TRANSACTION_ID = 20;
export const F_SESSION_ID = 22;
export const HEAD_FIELDS = 24;

export const STATE_COMPLETE = 0;
/** The head, or the body its Content-Length announces, is not all there yet. */
export const STATE_INCOMPLETE = 1;
export const STATE_MALFORMED = 2;

export const KIND_REQUEST = 1;
export const KIND_RESPONSE = 2;

export const FLAG_TRANSACTION_ID_VALID = 1;
export const FLAG_SESSION_ID_VALID = 2;
export const FLAG_CONNECTION_CLOSE = 4;
export const FLAG_CONNECTION_KEEP_ALIVE = 8;
/** A response without Content-Length whose body (if any) runs until the connection closes. */
export const FLAG_BODY_UNTIL_CLOSE = 16;

export const HEAD_ERR_TOO_LARGE = 1;
export const HEAD_ERR_START_LINE = 2;
export const HEAD_ERR_OBS_FOLD = 3;
export const HEAD_ERR_HEADER_NAME = 4;
export const HEAD_ERR_HEADER_VALUE = 5;
export const HEAD_ERR_CONTENT_LENGTH = 6;
export const HEAD_ERR_CONFLICTING_CONTENT_LENGTH = 7;
export const HEAD_ERR_TRANSFER_ENCODING = 8;

export const HEAD_ERROR_MESSAGES: readonly string[] = [
  "",
  "head larger than the limit",
  "malformed request or status line",
  "obsolete line folding",
  "malformed header name",
  "control character in header value",
  "malformed Content-Length",
  "conflicting Content-Length headers",
  "Transfer-Encoding is not supported",
];

/** Heads longer than this (through the blank line) are malformed unless told otherwise. */
export const DEFAULT_MAX_HEAD_BYTES = 16 * 1024;

/** Scans per chunk of FieldSlots (24 KiB): allocating one takes microseconds, shared by 256. */
const SLOT_CHUNK = 256;

/**
 * Hands out room for scan results in shared Int32Arrays, so that a scan allocates no array of
 * its own (a 24-word typed array costs more than scanning a head). Room is never handed out twice:
 * a HeadScan stays valid for as long as it is kept, and keeps its whole chunk alive.
 */
export class FieldSlots {
  /** The array the last reserved room is in. */
  words = new Int32Array(0);
  private next = 0;

  /** Room for `count` scans' fields; returns its word index in `words`. */
  reserve(count: number): number {
    const size = count * HEAD_FIELDS;
    if (this.next + size > this.words.length) {
      this.words = new Int32Array(Math.max(size, SLOT_CHUNK * HEAD_FIELDS));
      this.next = 0;
    }
    const base = this.next;
    this.next += size;
    return base;
  }
}

/**
 * What one scan found, in `words[base, base + HEAD_FIELDS)` (scans of one batch share `words`);
 * string getters decode on demand (ISO-8859-1, as HTTP fields are).
 */
export class HeadScan {
  constructor(
    readonly input: Uint8Array,
    private readonly words: Int32Array,
    private readonly base = 0,
  ) {}

  /** This scan's HEAD_FIELDS words, as a view. */
  get fields(): Int32Array {
    return this.words.subarray(this.base, this.base + HEAD_FIELDS);
  }

  get state(): number {
    return this.word(F_STATE);
  }
  get complete(): boolean {
    return this.word(F_STATE) === STATE_COMPLETE;
  }
  get incomplete(): boolean {
    return this.word(F_STATE) === STATE_INCOMPLETE;
  }
  /** Why the head is malformed, or "" . */
  get error(): string {
    return HEAD_ERROR_MESSAGES[this.word(F_ERROR)];
  }
  get errorOffset(): number {
    return this.word(F_ERROR_OFFSET);
  }
  get start(): number {
    return this.word(F_START);
  }
  /** Offset of the body (just after the blank line). */
  get headEnd(): number {
    return this.word(F_HEAD_END);
  }
  /** Offset just after the body: where the next pipelined message starts. */
  get end(): number {
    return this.word(F_END);
  }
  get isRequest(): boolean {
    return this.word(F_KIND) === KIND_REQUEST;
  }
  get status(): number {
    return this.word(F_STATUS);
  }
  /** -1 when there is no Content-Length header. */
  get contentLength(): number {
    return this.word(F_CONTENT_LENGTH);
  }
  get flags(): number {
    return this.word(F_FLAGS);
  }
  get method(): string | undefined {
    return this.span(F_METHOD);
  }
  get target(): string | undefined {
    return this.span(F_TARGET);
  }
  get contentType(): string | undefined {
    return this.span(F_CONTENT_TYPE);
  }
  /** The first Connection header; `connectionClose` / `keepAlive` consider all of them. */
  get connection(): string | undefined {
    return this.span(F_CONNECTION);
  }
  get connectionClose(): boolean {
    return (this.word(F_FLAGS) & FLAG_CONNECTION_CLOSE) !== 0;
  }
  get keepAlive(): boolean {
    return (this.word(F_FLAGS) & FLAG_CONNECTION_KEEP_ALIVE) !== 0;
  }
  get location(): string | undefined {
    return this.span(F_LOCATION);
  }
  get transactionId(): string | undefined {
    return this.span(F_TRANSACTION_ID);
  }
  /** Whether x-wv-transactionid is 1*(letter | digit | "_"). */
  get transactionIdValid(): boolean {
    return (this.word(F_FLAGS) & FLAG_TRANSACTION_ID_VALID) !== 0;
  }
  get sessionId(): string | undefined {
    return this.span(F_SESSION_ID);
  }
  get sessionIdValid(): boolean {
    return (this.word(F_FLAGS) & FLAG_SESSION_ID_VALID) !== 0;
  }
  /** The body bytes (a view, not a copy); only meaningful once complete. */
  get body(): Uint8Array {
    return this.input.subarray(this.word(F_HEAD_END), this.word(F_END));
  }

  /** Bytes of a span field, as a view (e.g. to key the correlation table without a string). */
  bytes(field: number): Uint8Array | undefined {
    const start = this.word(field);
    return start < 0 ? undefined : this.input.subarray(start, this.word(field + 1));
  }

  private word(field: number): number {
    return this.words[this.base + field];
  }

  private span(field: number): string | undefined {
    const start = this.word(field);
    if (start < 0) return undefined;
    return String.fromCharCode.apply(
      null,
      this.input.subarray(start, this.word(field + 1)) as unknown as number[],
    );
  }
}

export interface HeadScanner {
  /** Scans the message starting at `start` (head, and whether its body is all there). */
  scan(input: Uint8Array, start?: number, maxHeadBytes?: number): HeadScan;
  /**
   * Scans pipelined messages from `start` on: every complete message, then the first incomplete
   * or malformed one if any (none when the input ends exactly after a message).
   */
  scanAll(input: Uint8Array, start?: number, maxHeadBytes?: number): HeadScan[];
}
