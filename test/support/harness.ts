/**
 * Test harness: a server on an in-memory store, driven in-process (`app.request`) or over a real
 * port, and CSP clients that speak to it in hand-written XML, so the tests do not lean on the
 * server's own encoder for what they send. A client may speak WBXML instead (`encoding`): its
 * XML is then read by fast-xml-parser and written as WBXML by the WBXML codec's tree encoder
 * (itself held byte for byte to libwbxml and Baraza), and WBXML answers are read back into the
 * same Reply, `text` being their XML form.
 */
import { type Config, loadConfig } from "../../src/config.ts";
import { decodeCsp } from "../../src/codec/csp/mod.ts";
import type {
  CspMessage,
  CspVersion,
  ElementObject,
  Primitive,
} from "../../src/codec/csp/message.ts";
import { parseXmlFxp } from "../../src/codec/xml/parse.ts";
import { loadCore } from "../../src/core/mod.ts";
import { DEFAULT_XML_LIMITS, type XmlElement } from "../../src/codec/xml/tree.ts";
import { XmlWriter } from "../../src/codec/xml/write.ts";
import { encodeWbxmlTree } from "../../src/codec/wbxml/mod.ts";
import { TsWbxmlTokenizer } from "../../src/core/wbxml_tokenizer_ts.ts";
import { wbxmlTreeSource } from "../../src/core/wbxml_tree.ts";
import { createServer, type ImpsServer } from "../../src/server.ts";
import { log } from "../../src/observe/log.ts";
import { type DigestSchema, hashPassword, loginDigest, toBase64 } from "../../src/util/crypto.ts";
import { type Shape, startInstances, testShape } from "./shapes.ts";
import assert from "node:assert/strict";
import { resultCode } from "./body_reader.ts";

export const NS: Record<CspVersion, { csp: string; trc: string; type: string }> = {
  "1.1": {
    csp: "http://www.wireless-village.org/CSP1.1",
    trc: "http://www.wireless-village.org/TRC1.1",
    type: "application/vnd.wv.csp.xml",
  },
  "1.2": {
    csp: "http://www.openmobilealliance.org/DTD/WV-CSP1.2",
    trc: "http://www.openmobilealliance.org/DTD/WV-TRC1.2",
    type: "application/vnd.wv.csp.xml",
  },
  "1.3": {
    csp: "http://www.openmobilealliance.org/DTD/IMPS-CSP1.3",
    trc: "http://www.openmobilealliance.org/DTD/IMPS-TRC1.3",
    type: "application/vnd.wv.csp+xml",
  },
};

export const VERSIONS: CspVersion[] = ["1.1", "1.2", "1.3"];

/** What a client speaks: CSP in XML or in WBXML. */
export type Encoding = "xml" | "wbxml";

/** What clients speak when the test does not say: `CSP_TEST_ENCODING=wbxml` runs the
 * conversation suites with WBXML clients. */
function defaultEncoding(): Encoding {
  return Deno.env.get("CSP_TEST_ENCODING") === "wbxml" ? "wbxml" : "xml";
}

/** The WBXML content type of each version (digest §5.1). */
export const WBXML_TYPES: Record<CspVersion, string> = {
  "1.1": "application/vnd.wv.csp.wbxml",
  "1.2": "application/vnd.wv.csp.wbxml",
  "1.3": "application/vnd.wv.csp+wbxml",
};

/** Sends raw bytes to the server and returns its HTTP response. */
export type Transport = (
  body: string | Uint8Array<ArrayBuffer>,
  contentType: string,
  /** The client's IP address as the server sees it (in-process only; over HTTP, loopback). */
  address?: string,
) => Promise<Response>;

export interface Harness extends AsyncDisposable {
  server: ImpsServer;
  config: Config;
  transport: Transport;
  /** Where the server listens (`http://127.0.0.1:<port>`), when it serves a real port. */
  origin?: string;
  addUser(name: string, password: string): Promise<void>;
  /** A client of `version` (1.2) speaking `encoding` (the harness's, XML unless set). */
  client(name: string, version?: CspVersion, encoding?: Encoding): CspClient;
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  /** Serve on a real loopback port and talk HTTP to it. */
  overHttp?: boolean;
  /** The shape of the server (see `test/support/shapes.ts`); `CSP_TEST_SHAPE` unless set. */
  shape?: Shape;
  /** What clients speak unless told otherwise (XML, or as CSP_TEST_ENCODING says). */
  encoding?: Encoding;
}

export async function startServer(options: HarnessOptions = {}): Promise<Harness> {
  const env = {
    IMPS_CORE: Deno.env.get("IMPS_CORE") ?? "wasm",
    IMPS_DOMAIN: "example.com",
    IMPS_DATA: ":memory:",
    IMPS_SECRET: "test-secret-0123456789",
    // Access lines and the like stay out of the tests' output.
    IMPS_LOG_LEVEL: "warn",
    ...options.env,
  };
  const shape = options.shape ?? testShape();
  if (shape !== "one") return await startShaped(shape, env, options);
  const config = loadConfig(env);
  log.configure({ level: config.logLevel });
  // The server reads with the configured core, as in production (IMPS_CORE, default wasm).
  const core = await loadCore(config.core);
  const server = await createServer(config, {
    parseXml: core.parseXml,
    parseWbxml: core.parseWbxml,
    sweepIntervalMs: 0,
  });
  let transport: Transport;
  let http: Deno.HttpServer | undefined;
  let origin: string | undefined;
  if (options.overHttp) {
    http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, server.app.fetch);
    origin = `http://127.0.0.1:${(http.addr as Deno.NetAddr).port}`;
    const url = `${origin}/csp`;
    transport = (body, type) =>
      fetch(url, { method: "POST", body, headers: { "content-type": type } });
  } else {
    transport = (body, type, address = "127.0.0.1") =>
      Promise.resolve(
        server.app.request(
          "/csp",
          { method: "POST", body, headers: { "content-type": type } },
          // What Deno.serve hands the app as its second argument.
          { remoteAddr: { transport: "tcp", hostname: address, port: 40000 } },
        ),
      );
  }
  const close = async () => {
    await http?.shutdown();
    await server.close();
  };
  const harness: Harness = {
    server,
    config,
    transport,
    origin,
    addUser: (name, password) => addUser(server, name, password),
    client: (name, version = "1.2", encoding = options.encoding ?? defaultEncoding()) =>
      new CspClient(name, version, transport, config.domain, encoding),
    close,
    [Symbol.asyncDispose]: close,
  };
  return harness;
}

/**
 * The server in a shape of several instances on one KV file (a new one unless `env` names one),
 * clients reaching them through a round-robin proxy. `server` is one more instance on the same
 * store in this process, serving nothing, through which the test adds users and looks at the
 * store as any instance would.
 */
async function startShaped(
  shape: Exclude<Shape, "one">,
  env: Record<string, string>,
  options: HarnessOptions,
): Promise<Harness> {
  const dir = env.IMPS_DATA === ":memory:" ? await Deno.makeTempDir() : undefined;
  if (dir) env = { ...env, IMPS_DATA: `${dir}/imps.kv` };
  const config = loadConfig({ ...env, IMPS_SHARED: "true" });
  const core = await loadCore(config.core);
  const server = await createServer(config, {
    parseXml: core.parseXml,
    parseWbxml: core.parseWbxml,
    sweepIntervalMs: 0,
  });
  let instances;
  try {
    instances = await startInstances(shape, env);
  } catch (error) {
    await server.close();
    throw error;
  }
  const url = `${instances.url}/csp`;
  const transport: Transport = (body, type) =>
    fetch(url, { method: "POST", body, headers: { "content-type": type } });
  const close = async () => {
    await instances.close();
    await server.close();
    if (dir) await Deno.remove(dir, { recursive: true });
  };
  return {
    server,
    config,
    transport,
    addUser: (name, password) => addUser(server, name, password),
    client: (name, version = "1.2", encoding = options.encoding ?? defaultEncoding()) =>
      new CspClient(name, version, transport, config.domain, encoding),
    close,
    [Symbol.asyncDispose]: close,
  };
}

async function addUser(server: ImpsServer, name: string, password: string): Promise<void> {
  const ctx = server.context;
  const id = `wv:${name}@${ctx.config.domain}`;
  await ctx.users.create({
    id,
    password: await hashPassword(password),
    sealedPassword: ctx.sealer ? await ctx.sealer.seal(password, id) : undefined,
    createdAt: Date.now(),
  });
}

/** The password `loggedIn` gives every user. */
export const PASSWORD = "pw";

/** Adds the users (password `PASSWORD`) and logs each one in with the given version (and the
 * harness's encoding). */
export async function loggedIn(
  h: Harness,
  version: CspVersion,
  ...names: string[]
): Promise<CspClient[]> {
  const clients = [];
  for (const name of names) {
    await h.addUser(name, PASSWORD);
    const client = h.client(name, version);
    assert.equal((await client.login(PASSWORD)).code, 200);
    clients.push(client);
  }
  return clients;
}

/** One answer from the server, decoded, with helpers to read it. */
export class Reply {
  constructor(
    readonly http: Response,
    /** The answer as XML: as sent, or the XML form of a WBXML answer. */
    readonly text: string,
    readonly message: CspMessage | null,
  ) {}

  get empty(): boolean {
    return this.text.length === 0;
  }

  /** The first transaction's primitive. */
  get primitive(): Primitive {
    if (!this.message) throw new Error(`no CSP message in reply: ${this.text}`);
    return this.message.transactions[0].primitive;
  }

  get body(): ElementObject {
    return this.primitive.body;
  }

  /** Result/Code of the first primitive (Result directly inside it, as in Status). */
  get code(): number {
    return resultCode(this.body);
  }

  get poll(): boolean | undefined {
    return this.message?.poll ?? this.message?.transactions[0]?.poll;
  }
}

let transactionCounter = 0;

export class CspClient {
  sessionId?: string;
  /** The IP address this client posts from (in-process transport). */
  address?: string;

  constructor(
    readonly name: string,
    readonly version: CspVersion,
    private readonly transport: Transport,
    readonly domain: string,
    readonly encoding: Encoding = "xml",
  ) {}

  get userId(): string {
    return `wv:${this.name}@${this.domain}`;
  }

  /** Wraps primitive XML in an envelope of this client's version and posts it. */
  async send(
    primitiveXml: string,
    options: { mode?: "Request" | "Response"; transactionId?: string; outband?: boolean } = {},
  ): Promise<Reply> {
    const transactionId = options.transactionId ?? `${this.name}-${++transactionCounter}`;
    return await this.post(this.envelope(primitiveXml, { ...options, transactionId }));
  }

  envelope(
    primitiveXml: string,
    options: { mode?: "Request" | "Response"; transactionId: string; outband?: boolean },
  ): string {
    const ns = NS[this.version];
    const inband = !options.outband && this.sessionId !== undefined;
    const descriptor = inband
      ? `<SessionType>Inband</SessionType><SessionID>${this.sessionId}</SessionID>`
      : `<SessionType>Outband</SessionType>`;
    return `<?xml version="1.0" encoding="UTF-8"?>
<WV-CSP-Message xmlns="${ns.csp}">
  <Session>
    <SessionDescriptor>${descriptor}</SessionDescriptor>
    <Transaction>
      <TransactionDescriptor>
        <TransactionMode>${options.mode ?? "Request"}</TransactionMode>
        <TransactionID>${options.transactionId}</TransactionID>
      </TransactionDescriptor>
      <TransactionContent xmlns="${ns.trc}">${primitiveXml}</TransactionContent>
    </Transaction>
  </Session>
</WV-CSP-Message>`;
  }

  /** Posts a message: XML text is sent as WBXML when this client speaks WBXML (unless
   * `contentType` says otherwise); bytes are sent as they are. */
  async post(
    xml: string | Uint8Array<ArrayBuffer>,
    contentType = this.encoding === "wbxml" ? WBXML_TYPES[this.version] : NS[this.version].type,
  ): Promise<Reply> {
    const wbxml = contentType.includes("wbxml");
    const body = wbxml && typeof xml === "string" ? wbxmlOfXml(xml, this.version) : xml;
    const http = await this.transport(body, contentType, this.address);
    const bytes = new Uint8Array(await http.arrayBuffer());
    const answeredWbxml = (http.headers.get("content-type") ?? "").includes("wbxml");
    if (http.status !== 200 || bytes.length === 0 || !answeredWbxml) {
      const text = new TextDecoder().decode(bytes);
      const message = http.status === 200 && text.length > 0
        ? decodeCsp(parseXmlFxp(bytes, DEFAULT_XML_LIMITS))
        : null;
      return new Reply(http, text, message);
    }
    const tree = readWbxml(bytes, DEFAULT_XML_LIMITS);
    return new Reply(http, xmlOf(tree), decodeCsp(tree));
  }

  /** 2-way login; remembers the session. */
  async login(password: string, extra = ""): Promise<Reply> {
    const reply = await this.send(
      `<Login-Request><UserID>${this.userId}</UserID><ClientID><URL>http://client.test/${this.name}</URL></ClientID>` +
        `<Password>${password}</Password><TimeToLive>600</TimeToLive>` +
        `<SessionCookie>${this.name}-cookie</SessionCookie>${extra}</Login-Request>`,
      { outband: true },
    );
    const sessionId = reply.message ? reply.body.SessionID : undefined;
    if (typeof sessionId === "string") this.sessionId = sessionId;
    return reply;
  }

  /** 4-way login offering `schemas`: the answer to step 1 when it hands out no nonce, else the
   * answer to step 2 (remembering the session). */
  async loginDigest(password: string, schemas: string[] = ["SHA", "MD5"]): Promise<Reply> {
    const head = `<Login-Request><UserID>${this.userId}</UserID>` +
      `<ClientID><URL>http://client.test/${this.name}</URL></ClientID>`;
    const tail = `<TimeToLive>600</TimeToLive><SessionCookie>${this.name}-cookie</SessionCookie>` +
      `</Login-Request>`;
    const offer = await this.send(
      head + schemas.map((s) => `<DigestSchema>${s}</DigestSchema>`).join("") + tail,
      { outband: true },
    );
    const nonce = offer.message ? offer.body.Nonce : undefined;
    if (typeof nonce !== "string") return offer;
    const schema = offer.body.DigestSchema as DigestSchema;
    const digest = toBase64(loginDigest(schema, nonce, password));
    const reply = await this.send(head + `<DigestBytes>${digest}</DigestBytes>` + tail, {
      outband: true,
    });
    const sessionId = reply.message ? reply.body.SessionID : undefined;
    if (typeof sessionId === "string") this.sessionId = sessionId;
    return reply;
  }
}

const readWbxml = wbxmlTreeSource(new TsWbxmlTokenizer());

/** XML text as a WBXML client of `version` would send it. */
export function wbxmlOfXml(xml: string, version: CspVersion): Uint8Array<ArrayBuffer> {
  return encodeWbxmlTree(parseXmlFxp(new TextEncoder().encode(xml), DEFAULT_XML_LIMITS), version);
}

/** The XML text of a WBXML message. */
export function xmlOfWbxml(bytes: Uint8Array): string {
  return xmlOf(readWbxml(bytes, DEFAULT_XML_LIMITS));
}

/** A tree as XML text, attributes and all. */
export function xmlOf(tree: XmlElement): string {
  const writer = new XmlWriter();
  const write = (el: XmlElement) => {
    if (el.children.length === 0) {
      writer.leaf(el.name, el.text, el.attrs);
      return;
    }
    writer.open(el.name, el.attrs).text(el.text);
    for (const child of el.children) write(child);
    writer.close(el.name);
  };
  write(tree);
  return writer.toString();
}
