/**
 * The phone's side of CIR for tests, written from the handset engines' behaviour rather than from
 * the server's code: an STCP socket that says HELO and reads lines (Android's TcpCirChannel,
 * Nokia's TCP watcher), a UDP port that takes datagrams (Nokia's UDP watcher), a decoder of the
 * WSP push PDU (what a WAP push handler sees), and the capability lists real clients offer.
 */
import assert from "node:assert/strict";
import dgram from "node:dgram";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A line-reading TCP (or TLS) connection to the STCP listener. */
export class StcpClient {
  readonly #conn: Deno.Conn;
  readonly #lines: string[] = [];
  #waiting?: () => void;
  /** Resolves when the server closes the connection (or it breaks). */
  readonly closed: Promise<void>;

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.closed = this.#read();
  }

  static async connect(
    port: number,
    options: { caCerts?: string[]; hostname?: string } = {},
  ): Promise<StcpClient> {
    const hostname = options.hostname ?? "127.0.0.1";
    const conn = options.caCerts
      ? await Deno.connectTls({ hostname, port, caCerts: options.caCerts })
      : await Deno.connect({ hostname, port });
    return new StcpClient(conn);
  }

  /** Connects, says `HELO <sessionId>` and insists on `OK`. */
  static async helo(port: number, sessionId: string, caCerts?: string[]): Promise<StcpClient> {
    const client = await StcpClient.connect(port, { caCerts });
    await client.send(`HELO ${sessionId}\r\n`);
    assert.equal(await client.line(), "OK");
    return client;
  }

  async send(text: string | Uint8Array): Promise<void> {
    const bytes = typeof text === "string" ? encoder.encode(text) : text;
    for (let sent = 0; sent < bytes.length;) sent += await this.#conn.write(bytes.subarray(sent));
  }

  /** The next line from the server (without CRLF); rejects after `timeoutMs` or if it closes. */
  async line(timeoutMs = 3_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.#lines.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no line from the server within ${timeoutMs} ms`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const closed = await Promise.race([
        new Promise<boolean>((resolve) => this.#waiting = () => resolve(false)),
        this.closed.then(() => true),
        new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), left)),
      ]);
      clearTimeout(timer);
      if (closed && this.#lines.length === 0) throw new Error("the server closed the connection");
    }
    return this.#lines.shift()!;
  }

  /** Lines received and not read yet. */
  get pending(): readonly string[] {
    return this.#lines;
  }

  close(): void {
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }

  async #read(): Promise<void> {
    const buffer = new Uint8Array(1024);
    let rest = "";
    try {
      for (;;) {
        const n = await this.#conn.read(buffer);
        if (n === null) return;
        const lines = (rest + decoder.decode(buffer.subarray(0, n))).split("\r\n");
        rest = lines.pop()!;
        this.#lines.push(...lines);
        this.#waiting?.();
      }
    } catch {
      // reset or closed here
    } finally {
      this.#waiting?.();
    }
  }
}

/** A UDP port on the loopback that collects the datagrams sent to it. */
export class UdpReceiver {
  readonly #datagrams: { bytes: Uint8Array; from: string }[] = [];
  #waiting?: () => void;

  private constructor(private readonly socket: dgram.Socket) {
    socket.on("message", (bytes, info) => {
      this.#datagrams.push({ bytes: new Uint8Array(bytes), from: info.address });
      this.#waiting?.();
    });
  }

  /** Binds a free port on `host` (a loopback address). */
  static bind(host = "127.0.0.1"): Promise<UdpReceiver> {
    return new Promise((resolve) => {
      const socket = dgram.createSocket("udp4");
      socket.bind(0, host, () => resolve(new UdpReceiver(socket)));
    });
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** Datagrams received and not taken yet. */
  get count(): number {
    return this.#datagrams.length;
  }

  /** The next datagram; rejects after `timeoutMs`. */
  async next(timeoutMs = 3_000): Promise<{ bytes: Uint8Array; from: string }> {
    const deadline = Date.now() + timeoutMs;
    while (this.#datagrams.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no datagram within ${timeoutMs} ms`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#waiting = resolve;
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
    return this.#datagrams.shift()!;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

/** A WSP connectionless push PDU as a phone's push handler reads it (WAP-230 §8.2.4). */
export interface WspPush {
  tid: number;
  pduType: number;
  /** Well-known content type number (short integer), when given as one. */
  contentType?: number;
  /** X-Wap-Application-Id (header 0x2F), when given as a short integer. */
  applicationId?: number;
  body: string;
}

export function decodeWspPush(pdu: Uint8Array): WspPush {
  let i = 0;
  const tid = pdu[i++];
  const pduType = pdu[i++];
  // uintvar: 7 bits a byte, high bit set on all but the last
  let headersLength = 0;
  for (;;) {
    const b = pdu[i++];
    headersLength = headersLength * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) break;
  }
  const headersEnd = i + headersLength;
  const contentTypeByte = pdu[i++];
  const contentType = contentTypeByte & 0x80 ? contentTypeByte & 0x7f : undefined;
  let applicationId: number | undefined;
  while (i < headersEnd) {
    const field = pdu[i++];
    const value = pdu[i++];
    if (field === (0x80 | 0x2f) && value & 0x80) applicationId = value & 0x7f;
  }
  return {
    tid,
    pduType,
    contentType,
    applicationId,
    body: decoder.decode(pdu.subarray(headersEnd)),
  };
}

/** `WVCI <version> <cookie>`, as Android's SMS CIR and Nokia's handlers check it. */
export function assertWvci(text: string, version: string, cookie: string): void {
  assert.equal(text, `WVCI ${version} ${cookie}`);
}

/** ClientCapability lists of real clients (../shared/spec/handsets.md), with their CIR offers. */
export const CAPABILITIES = {
  /** Android's engine: STCP first, then SSMS, then SHTTP. */
  android: (methods = ["STCP", "SSMS", "SHTTP"]) =>
    `<ClientCapability-Request><CapabilityList><ClientType>MOBILE_PHONE</ClientType>` +
    `<InitialDeliveryMethod>P</InitialDeliveryMethod>` +
    `<AcceptedContentLength>262144</AcceptedContentLength><ParserSize>262144</ParserSize>` +
    `<MultiTrans>1</MultiTrans><ServerPollMin>30</ServerPollMin>` +
    `<SupportedBearer>HTTP</SupportedBearer>` +
    methods.map((m) => `<SupportedCIRMethod>${m}</SupportedCIRMethod>`).join("") +
    `</CapabilityList></ClientCapability-Request>`,
  /** Nokia's S60 engine: WAPSMS, WAPUDP, SUDP, STCP, with a UDP port of its own. */
  nokia: (methods = ["STCP", "SUDP", "WAPUDP", "WAPSMS"], udpPort?: number) =>
    `<ClientCapability-Request><CapabilityList><ClientType>MOBILE_PHONE</ClientType>` +
    `<InitialDeliveryMethod>P</InitialDeliveryMethod>` +
    `<AcceptedContentLength>102400</AcceptedContentLength><ParserSize>131072</ParserSize>` +
    `<MultiTrans>3</MultiTrans><SupportedBearer>HTTP</SupportedBearer>` +
    methods.map((m) => `<SupportedCIRMethod>${m}</SupportedCIRMethod>`).join("") +
    (udpPort !== undefined ? `<UDPPort>${udpPort}</UDPPort>` : "") +
    `</CapabilityList></ClientCapability-Request>`,
  /** A CSP 1.1 feature phone that offers only WAPSMS. */
  featurePhone: () =>
    `<ClientCapability-Request><CapabilityList><ClientType>MOBILE_PHONE</ClientType>` +
    `<InitialDeliveryMethod>P</InitialDeliveryMethod><ServerPollMin>20</ServerPollMin>` +
    `<SupportedBearer>HTTP</SupportedBearer><SupportedCIRMethod>WAPSMS</SupportedCIRMethod>` +
    `</CapabilityList></ClientCapability-Request>`,
  /** A browser client asking for the WebSocket extension, SHTTP as its fallback. */
  browser: (methods = ["X-WEBSOCKET", "SHTTP"]) =>
    `<ClientCapability-Request><CapabilityList><ClientType>COMPUTER</ClientType>` +
    `<InitialDeliveryMethod>P</InitialDeliveryMethod><MultiTrans>10</MultiTrans>` +
    `<SupportedBearer>HTTP</SupportedBearer>` +
    methods.map((m) => `<SupportedCIRMethod>${m}</SupportedCIRMethod>`).join("") +
    `</CapabilityList></ClientCapability-Request>`,
};

/** Resolves `true` if `promise` settles within `ms`, `false` if not. */
export async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const settled = await Promise.race([
    promise.then(() => true, () => true),
    new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), ms)),
  ]);
  clearTimeout(timer);
  return settled;
}

/** Whether openssl is there to make test certificates; says so when not. */
export async function haveOpenssl(skipped: string): Promise<boolean> {
  const found = await new Deno.Command("openssl", { args: ["version"], stdout: "null" })
    .output().then((o) => o.success, () => false);
  if (!found) console.log(`note: openssl not found; ${skipped} skipped`);
  return found;
}

/** A CA and a certificate for 127.0.0.1 signed by it, in `dir`: `ca.pem`, `cert.pem`, `key.pem`. */
export async function makeCertificates(dir: string): Promise<void> {
  await Deno.writeTextFile(`${dir}/san.ext`, "subjectAltName=IP:127.0.0.1\n");
  const openssl = (args: string) =>
    new Deno.Command("openssl", { args: args.split(" "), cwd: dir, stdout: "null", stderr: "null" })
      .output();
  for (
    const args of [
      "req -x509 -newkey rsa:2048 -nodes -subj /CN=test-ca -days 1 -keyout ca.key -out ca.pem",
      "req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout key.pem -out leaf.csr",
      "x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 -extfile san.ext -out cert.pem",
    ]
  ) assert.ok((await openssl(args)).success, `openssl ${args}`);
}
