/**
 * ClientCapability-Request: agrees on what the server really supports of what the client offers.
 *
 * CIR (digest §5.2): the SupportedCIRMethod values the client offers and the server has enabled,
 * in the client's order of preference (the order wake-ups fall back in), each with what the
 * client needs to use it: TCPAddress/TCPPort for STCP, the session's own URL as CIRHTTPAddress
 * (1.3) or CIRURL (1.2) for SHTTP. SUDP and WAPUDP are agreed only when the server knows an
 * address to send to (the client's UDPAddress inside IMPS_CIR_UDP_NETWORKS, else the address it
 * connects from), WAPSMS and SSMS only when it knows the user's MSISDN. `X-WEBSOCKET` is this
 * server's extension for browsers (`GET /cir/ws`): agreed only to a client that offers it. A
 * session with a CIR agreed gets the long keep-alive time IMPS_CIR_TTL.
 *
 * A request that came as SMS (the SMS binding) is agreed no CIR method whatever it offers (the
 * Android engine offers STCP, SSMS and SHTTP on every data channel): the server sends what waits
 * for such a session as SMS itself (transport/sms/gateway.ts), STCP, SHTTP and the UDP methods
 * need the data connection the phone does not use, and a WAPSMS or SSMS wake-up would only cost
 * an SMS more before the one carrying the news. SupportedBearer SMS is agreed where the server
 * takes SMS from phones (and is the bearer agreed over SMS to a client that names none we have).
 */
import { isIP } from "node:net";
import type { ElementObject } from "../../codec/csp/message.ts";
import type { PrimitiveModule, RequestContext } from "../../session/handler.ts";
import { int, obj, str, strs } from "../../session/values.ts";
import type { SessionCir, SessionRecord } from "../../store/sessions.ts";
import { randomHex } from "../../util/ids.ts";
import { isMsisdn } from "../../util/msisdn.ts";

/** Most transactions the server puts in one message to a client. */
const MAX_MULTI_TRANS = 16;

export interface CapabilityAgreement {
  agreed: ElementObject;
  sessionChanges: Partial<SessionRecord>;
}

export async function agreeCapabilities(
  ctx: RequestContext,
  session: SessionRecord,
  offer: ElementObject,
): Promise<CapabilityAgreement> {
  const { config } = ctx.server;
  const agreed: ElementObject = {};
  const clientType = str(offer.ClientType);
  if (clientType) agreed.ClientType = clientType;
  const contentTypes = offer.AcceptedContentType;
  if (contentTypes !== undefined) agreed.AcceptedContentType = contentTypes;
  const length = int(offer.AcceptedContentLength);
  if (length !== undefined && ctx.version !== "1.3") {
    agreed.AcceptedContentLength = Math.min(length, config.maxBodyBytes);
  }
  const encodings = strs(offer.AcceptedTransferEncoding).filter((e) =>
    e.toUpperCase() === "BASE64"
  );
  if (encodings.length > 0) agreed.AcceptedTransferEncoding = ["BASE64"];
  const method = str(offer.InitialDeliveryMethod);
  agreed.InitialDeliveryMethod = method === "N" ? "N" : "P";
  const multiTrans = Math.max(1, Math.min(int(offer.MultiTrans) ?? 1, MAX_MULTI_TRANS));
  agreed.MultiTrans = multiTrans;
  const parserSize = int(offer.ParserSize);
  if (parserSize !== undefined) agreed.ParserSize = parserSize;
  agreed.ServerPollMin = Math.max(int(offer.ServerPollMin) ?? 0, config.pollMin);
  const bearers = strs(offer.SupportedBearer).map((b) => b.toUpperCase());
  const overSms = ctx.origin?.bearer === "SMS";
  const ours = config.tlsCert ? ["HTTP", "HTTPS"] : ["HTTP"];
  if (overSms || config.smsIn) ours.push("SMS");
  const common = bearers.filter((b) => ours.includes(b));
  agreed.SupportedBearer = common.length > 0 ? common : [overSms ? "SMS" : "HTTP"];
  const cir = await agreeCir(ctx, session, offer, agreed);
  const sessionChanges: Partial<SessionRecord> = { capabilities: agreed, multiTrans, cir };
  if (cir) {
    sessionChanges.ttl = config.cir.ttlS;
    sessionChanges.expiresAt = Date.now() + config.cir.ttlS * 1000;
  }
  return { agreed, sessionChanges };
}

/** Saves what was agreed, and starts (or stops) waking the session as agreed. */
export async function applyCapabilities(
  ctx: RequestContext,
  session: SessionRecord,
  agreement: CapabilityAgreement,
): Promise<SessionRecord> {
  const updated = await ctx.server.sessions.update(session, agreement.sessionChanges);
  await ctx.server.cir?.agreed(updated, session.cir);
  return updated;
}

const UDP_METHODS = ["SUDP", "WAPUDP"];
const SMS_METHODS = ["WAPSMS", "SSMS"];

/** The CIR methods agreed for the session, in the client's order, with what each needs written
 * into `agreed`; undefined when none is. */
async function agreeCir(
  ctx: RequestContext,
  session: SessionRecord,
  offer: ElementObject,
  agreed: ElementObject,
): Promise<SessionCir | undefined> {
  const cir = ctx.server.cir;
  if (!cir || ctx.origin?.bearer === "SMS") return undefined;
  const { config } = ctx.server;
  const offered = strs(offer.SupportedCIRMethod).map((m) => m.trim().toUpperCase());
  const wanted = [...new Set(offered)].filter((m) => cir.enabled.has(m));
  const udp = wanted.some((m) => UDP_METHODS.includes(m)) ? udpTarget(ctx, offer) : undefined;
  const msisdn = wanted.some((m) => SMS_METHODS.includes(m))
    ? await msisdnOf(ctx, session)
    : undefined;
  const methods = wanted.filter((m) =>
    (!UDP_METHODS.includes(m) || udp !== undefined) &&
    (!SMS_METHODS.includes(m) || msisdn !== undefined)
  );
  if (methods.length === 0) return undefined;
  const token = randomHex(16);
  const reached = ctx.origin?.url ? new URL(ctx.origin.url) : undefined;
  agreed.SupportedCIRMethod = methods;
  if (methods.includes("STCP")) {
    agreed.TCPAddress = config.cir.tcp?.address ?? reached?.hostname.replace(/^\[|\]$/g, "") ??
      config.host;
    agreed.TCPPort = cir.tcpPort!;
  }
  if (methods.includes("SHTTP")) {
    const base = config.cir.publicUrl ?? reached?.origin ?? `http://${config.host}:${config.port}`;
    agreed[ctx.version === "1.3" ? "CIRHTTPAddress" : "CIRURL"] = { URL: `${base}/cir/${token}` };
  }
  if (udp?.port !== undefined) agreed.UDPPort = udp.port;
  return { methods, token, udp, msisdn };
}

/** Where datagrams go: the client's UDPAddress where it is believed, else the address it
 * connects from; with its UDPPort when it gave one. */
function udpTarget(ctx: RequestContext, offer: ElementObject): SessionCir["udp"] {
  const given = str(offer.UDPAddress)?.trim();
  const trusted = given !== undefined && isIP(given) === 4 &&
    ctx.server.config.cir.udpNetworks.some((network) => inNetwork(given, network));
  const address = trusted ? given : ctx.clientAddress;
  if (address === undefined || isIP(address) === 0) return undefined;
  const port = int(offer.UDPPort);
  return port !== undefined && port >= 1 && port <= 65_535 ? { address, port } : { address };
}

/** The user's MSISDN: the one the client states, if configured to believe it, else the one the
 * operator set for the user. */
async function msisdnOf(ctx: RequestContext, session: SessionRecord): Promise<string | undefined> {
  if (ctx.server.config.cir.trustMsisdn) {
    const stated = ctx.origin?.msisdn?.trim() ?? str(obj(session.clientId)?.MSISDN)?.trim();
    if (stated !== undefined && isMsisdn(stated)) return stated;
  }
  return (await ctx.server.users.get(session.userId))?.msisdn;
}

const ipv4 = (address: string) =>
  address.split(".").reduce((value, byte) => value * 256 + Number(byte), 0);

/** Whether an IPv4 address lies in `network` (`a.b.c.d/len`). */
function inNetwork(address: string, network: string): boolean {
  const [base, length] = network.split("/");
  const size = 2 ** (32 - Number(length));
  return Math.floor(ipv4(address) / size) === Math.floor(ipv4(base) / size);
}

export const clientCapabilityRequest: PrimitiveModule = {
  name: "ClientCapability-Request",
  async handle(ctx, body) {
    const agreement = await agreeCapabilities(ctx, ctx.session!, obj(body.CapabilityList) ?? {});
    const { agreed } = agreement;
    ctx.session = await applyCapabilities(ctx, ctx.session!, agreement);
    // 1.1 answers with CapabilityList; 1.2 renamed it AgreedCapabilityList.
    return {
      name: "ClientCapability-Response",
      body: ctx.version === "1.1"
        ? { ClientID: body.ClientID, CapabilityList: agreed }
        : { AgreedCapabilityList: agreed },
    };
  },
};
