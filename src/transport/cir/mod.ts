/**
 * The CIR channels the configuration enables, and the dispatcher that wakes sessions through
 * them: STCP (stcp.ts), SHTTP (shttp.ts), SUDP and WAPUDP (sudp.ts, wapudp.ts), WAPSMS and SSMS
 * through Kannel (wapsms.ts, ssms.ts) and the WebSocket extension (websocket.ts).
 */
import type { Hono } from "hono";
import type { Config } from "../../config.ts";
import { log } from "../../observe/log.ts";
import type { ServerContext } from "../../session/handler.ts";
import { CirRepo } from "../../store/cir.ts";
import { descriptorsForConnections } from "../connection_gate.ts";
import { KannelClient } from "../sms/kannel.ts";
import type { CirChannel } from "./channel.ts";
import type { DatagramSender } from "./datagram.ts";
import { CirDispatcher } from "./dispatcher.ts";
import { RateLimit } from "./rate.ts";
import { ShttpChannel } from "./shttp.ts";
import { SsmsChannel } from "./ssms.ts";
import type { StcpChannel } from "./stcp.ts";
import { SudpChannel } from "./sudp.ts";
import { WapSmsChannel } from "./wapsms.ts";
import { WapUdpChannel } from "./wapudp.ts";
import { WebSocketChannel } from "./websocket.ts";

export interface Cir {
  dispatcher: CirDispatcher;
  /** The STCP listener, when STCP is on. */
  stcp?: StcpChannel;
  /** The WebSocket channel, when it is on. */
  websocket?: WebSocketChannel;
  /** The methods on, in the order they are offered. */
  methods: string[];
  /** What is on, for the start-up log: the methods, and where each listens or sends. */
  summary: string;
  /** Adds the HTTP routes of SHTTP and WebSocket. */
  routes(app: Hono): void;
  /** Closes every listener and connection, answers held SHTTP GETs (once; later calls wait for
   * the first). */
  close(): Promise<void>;
}

/** A CIR listener could not start: `where` it was to listen, and why not. */
export class CirListenError extends Error {
  constructor(readonly where: string, readonly reason: string) {
    super(`cannot listen for STCP CIR on ${where}: ${reason}`);
    this.name = "CirListenError";
  }
}

/** Starts the enabled channels; undefined when none is. Throws CirListenError when the STCP
 * port cannot be bound. */
export async function startCir(config: Config, server: ServerContext): Promise<Cir | undefined> {
  const settings = config.cir;
  const dispatcher = new CirDispatcher(server, new CirRepo(server.store), {
    minGapMs: settings.minGapMs,
  });
  const channels: CirChannel[] = [];
  const routed: { routes(app: Hono): void }[] = [];
  let stcp: StcpChannel | undefined;
  let websocket: WebSocketChannel | undefined;
  let datagrams: DatagramSender | undefined;
  if (settings.tcp) {
    const tls = settings.tcp.tls
      ? {
        cert: await Deno.readTextFile(config.tlsCert!),
        key: await Deno.readTextFile(config.tlsKey!),
      }
      : undefined;
    const { host, port } = settings.tcp;
    try {
      // Loaded only when on: a host that listens itself (Deno Deploy) has no socket to offer.
      const { StcpChannel } = await import("./stcp.ts");
      stcp = await StcpChannel.listen(dispatcher, {
        hostname: host,
        port,
        tls,
        maxConnections: settings.maxConnections ?? connectionsForFileLimit(),
        maxPerAddress: settings.maxPerAddress,
        heloTimeoutMs: settings.heloTimeoutS * 1000,
        idleTimeoutMs: settings.idleTimeoutS * 1000,
        log: (message) => log.warn(`STCP CIR: ${message}`),
      });
    } catch (error) {
      const where = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
      throw new CirListenError(where, error instanceof Error ? error.message : String(error));
    }
    channels.push(stcp);
  }
  if (settings.http) {
    const shttp = new ShttpChannel(dispatcher, { maxWaitMs: settings.httpWaitS * 1000 });
    channels.push(shttp);
    routed.push(shttp);
  }
  if (settings.udp) {
    const { DatagramSender } = await import("./datagram.ts");
    datagrams = new DatagramSender(config.host, settings.udpRate);
    channels.push(new SudpChannel(datagrams), new WapUdpChannel(datagrams));
  }
  if (config.sms && settings.smsWakeups) {
    const gateway = new KannelClient(config.sms);
    const budget = new RateLimit({
      burst: settings.smsPerHour,
      perSecond: settings.smsPerHour / 3600,
    });
    channels.push(new WapSmsChannel(gateway, budget), new SsmsChannel(gateway, budget));
  }
  if (settings.websocket) {
    websocket = new WebSocketChannel(dispatcher, {
      maxConnections: settings.maxConnections ?? connectionsForFileLimit(),
      maxPerAddress: settings.maxPerAddress,
      heloTimeoutMs: settings.heloTimeoutS * 1000,
      log: (message) => log.warn(`WebSocket CIR: ${message}`),
    });
    channels.push(websocket);
    routed.push(websocket);
  }
  if (channels.length === 0) return undefined;
  try {
    await dispatcher.start(channels);
  } catch (error) {
    await dispatcher.close();
    await datagrams?.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    dispatcher,
    stcp,
    websocket,
    methods: channels.map((channel) => channel.method),
    summary: summary(config, channels, stcp),
    routes(app) {
      for (const channel of routed) channel.routes(app);
    },
    close() {
      return closing ??= (async () => {
        await dispatcher.close();
        await datagrams?.close();
      })();
    },
  };
}

/** The default bound of STCP connections (one descriptor each): half of what the open-file
 * limit leaves for connections, the HTTP listener having the other half; at most 20,000. The
 * WebSockets, among the HTTP listener's connections, are bounded alike. */
function connectionsForFileLimit(): number {
  const descriptors = descriptorsForConnections();
  if (descriptors === undefined) return 20_000;
  return Math.max(1, Math.min(20_000, Math.floor(descriptors / 2)));
}

/** `methods STCP, SHTTP, …: STCP on 127.0.0.1:56732, SHTTP on the HTTP port, …` */
function summary(config: Config, channels: CirChannel[], stcp?: StcpChannel): string {
  const methods = channels.map((channel) => channel.method);
  const where: string[] = [];
  if (stcp) where.push(`STCP on ${stcp.address}${config.cir.tcp?.tls ? " (TLS)" : ""}`);
  const onHttp = [
    config.cir.http && "SHTTP (/cir/<token>)",
    config.cir.websocket && "X-WEBSOCKET (/cir/ws)",
  ].filter(Boolean);
  if (onHttp.length > 0) where.push(`${onHttp.join(" and ")} on the HTTP port`);
  if (config.cir.udp) {
    where.push(`SUDP and WAPUDP datagrams, ${config.cir.udpRate}/s at most`);
  }
  if (config.sms && config.cir.smsWakeups) {
    // The URL without its query or credentials, which may carry the gateway's password.
    const { origin, pathname } = new URL(config.sms.url);
    where.push(`WAPSMS and SSMS through ${origin}${pathname}`);
  }
  return `methods ${methods.join(", ")}: ${where.join("; ")}`;
}
