/**
 * The CIR channels the configuration enables, and the dispatcher that wakes sessions through
 * them: STCP (stcp.ts), SHTTP (shttp.ts), SUDP and WAPUDP (sudp.ts, wapudp.ts), WAPSMS and SSMS
 * through Kannel (wapsms.ts, ssms.ts) and the WebSocket extension (websocket.ts).
 */
import type { Hono } from "hono";
import type { Config } from "../../config.ts";
import type { ServerContext } from "../../session/server_context.ts";
import { CirRepo } from "../../store/cir.ts";
import { KannelClient } from "../sms/kannel.ts";
import type { CirChannel } from "./channel.ts";
import { DatagramSender } from "./datagram.ts";
import { CirDispatcher } from "./dispatcher.ts";
import { RateLimit } from "./rate.ts";
import { ShttpChannel } from "./shttp.ts";
import { SsmsChannel } from "./ssms.ts";
import { StcpChannel } from "./stcp.ts";
import { SudpChannel } from "./sudp.ts";
import { WapSmsChannel } from "./wapsms.ts";
import { WapUdpChannel } from "./wapudp.ts";
import { WebSocketChannel } from "./websocket.ts";

export interface Cir {
  dispatcher: CirDispatcher;
  /** The STCP listener, when STCP is on. */
  stcp?: StcpChannel;
  /** Adds the HTTP routes of SHTTP and WebSocket. */
  routes(app: Hono): void;
  /** Closes every listener and connection. */
  close(): Promise<void>;
}

/** Starts the enabled channels; undefined when none is. Throws when the STCP port cannot be
 * bound or its TLS files read. */
export async function startCir(config: Config, server: ServerContext): Promise<Cir | undefined> {
  const settings = config.cir;
  const dispatcher = new CirDispatcher(server, new CirRepo(server.store), {
    minGapMs: settings.minGapMs,
  });
  const channels: CirChannel[] = [];
  const routed: { routes(app: Hono): void }[] = [];
  let stcp: StcpChannel | undefined;
  let datagrams: DatagramSender | undefined;
  if (settings.tcp) {
    const tls = settings.tcp.tls
      ? {
        cert: await Deno.readTextFile(config.tlsCert!),
        key: await Deno.readTextFile(config.tlsKey!),
      }
      : undefined;
    stcp = await StcpChannel.listen(dispatcher, {
      hostname: settings.tcp.host,
      port: settings.tcp.port,
      tls,
      maxConnections: settings.tcp.maxConnections,
      maxPerAddress: settings.tcp.maxPerAddress,
      heloTimeoutMs: settings.heloTimeoutS * 1000,
      idleTimeoutMs: settings.idleTimeoutS * 1000,
    });
    channels.push(stcp);
  }
  if (settings.http) {
    const shttp = new ShttpChannel(dispatcher, { maxWaitMs: settings.httpWaitS * 1000 });
    channels.push(shttp);
    routed.push(shttp);
  }
  if (settings.udp) {
    datagrams = new DatagramSender(config.host, settings.udpRate);
    channels.push(new SudpChannel(datagrams), new WapUdpChannel(datagrams));
  }
  if (config.sms) {
    const gateway = new KannelClient(config.sms);
    const budget = new RateLimit({
      burst: settings.smsPerHour,
      perSecond: settings.smsPerHour / 3600,
    });
    channels.push(new WapSmsChannel(gateway, budget), new SsmsChannel(gateway, budget));
  }
  if (settings.websocket) {
    const websocket = new WebSocketChannel(dispatcher, {
      maxConnections: settings.tcp?.maxConnections ?? 20_000,
      maxPerAddress: settings.tcp?.maxPerAddress ?? 100,
      heloTimeoutMs: settings.heloTimeoutS * 1000,
    });
    channels.push(websocket);
    routed.push(websocket);
  }
  if (channels.length === 0) return undefined;
  await dispatcher.start(channels);
  return {
    dispatcher,
    stcp,
    routes(app) {
      for (const channel of routed) channel.routes(app);
    },
    async close() {
      await dispatcher.close();
      await datagrams?.close();
    },
  };
}
