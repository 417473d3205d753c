/**
 * Typed readers and builders for the SSP primitives this server speaks (digest §9.2, §9.3).
 * Readers are tolerant where real peers differ (Baraza's `procotolVersion`, newline-padded values,
 * user ids without `wv:`) and return undefined for what cannot be used; builders write the
 * spelling of the digest.
 */
import type { XmlElement } from "../xml/tree.ts";
import { child, children, ID_LIMITS, idAttr, node, textOf } from "./message.ts";
import { utf8Length } from "../../util/utf8.ts";

const DOMAIN = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;

/** `wv:@domain` (a server's service id) → domain. */
export function serviceDomain(serviceId: string | undefined): string | undefined {
  const s = serviceId?.trim().toLowerCase();
  if (!s) return undefined;
  const domain = s.startsWith("wv:@") ? s.slice(4) : s.startsWith("@") ? s.slice(1) : undefined;
  return domain !== undefined && DOMAIN.test(domain) ? domain : undefined;
}

export const serviceId = (domain: string) => `wv:@${domain}`;

// ---- SetupTransaction -------------------------------------------------------------------------

export interface SecretTokenOffer {
  domain: string;
  protocol?: string;
  version?: string;
  /** The token as the peer will hash it (base64 tokens are decoded to their text). */
  token: string;
}

export function readSendSecretToken(p: XmlElement): SecretTokenOffer | undefined {
  if (p.name !== "SendSecretToken") return undefined;
  const domain = serviceDomain(p.attrs.serviceID);
  const tokenElement = child(p, "SecretToken");
  let token = textOf(tokenElement);
  if (!domain || !token) return undefined;
  if ((tokenElement!.attrs.encoding ?? p.attrs.encoding)?.toLowerCase() === "base64") {
    try {
      token = new TextDecoder("utf-8", { fatal: true }).decode(
        Uint8Array.from(atob(token.replace(/\s+/g, "")), (c) => c.charCodeAt(0)),
      );
    } catch {
      return undefined;
    }
  }
  if (token.length > 512) return undefined;
  return {
    domain,
    protocol: p.attrs.protocol,
    // Baraza writes the attribute as "procotolVersion".
    version: p.attrs.protocolVersion ?? p.attrs.procotolVersion,
    token,
  };
}

export function sendSecretToken(domain: string, token: string): XmlElement {
  return node(
    "SendSecretToken",
    { serviceID: serviceId(domain), protocol: "WV-SSP", protocolVersion: "1.3" },
    [node("SecretToken", {}, [], token)],
  );
}

export interface LoginProof {
  domain: string;
  timeToLive?: number;
  /** Base64 text of the digest, whitespace removed. */
  digest: string;
}

export function readLoginRequest(p: XmlElement): LoginProof | undefined {
  if (p.name !== "LoginRequest") return undefined;
  const domain = serviceDomain(p.attrs.serviceID);
  const digest = textOf(child(p, "PasswordDigest"))?.replace(/\s+/g, "");
  if (!domain || !digest || digest.length > 256) return undefined;
  return { domain, timeToLive: seconds(p.attrs.timeToLive), digest };
}

export function loginRequest(domain: string, timeToLive: number, digest: string): XmlElement {
  return node("LoginRequest", { serviceID: serviceId(domain), timeToLive: String(timeToLive) }, [
    node("PasswordDigest", { encoding: "base64" }, [], digest),
  ]);
}

export interface LoginResult {
  sessionId?: string;
  timeToLive?: number;
  code: number;
}

export function readLoginResponse(p: XmlElement): LoginResult | undefined {
  if (p.name !== "LoginResponse") return undefined;
  return {
    sessionId: p.attrs.sessionID?.trim(),
    timeToLive: seconds(p.attrs.timeToLive),
    code: statusCode(child(p, "Status")) ?? 200,
  };
}

export function loginResponse(
  result: { sessionId: string; timeToLive: number } | { code: number; description: string },
): XmlElement {
  if ("sessionId" in result) {
    return node(
      "LoginResponse",
      { sessionID: result.sessionId, timeToLive: String(result.timeToLive) },
      [status(200)],
    );
  }
  return node("LoginResponse", {}, [status(result.code, result.description)]);
}

// ---- Common pieces ----------------------------------------------------------------------------

export interface DetailedResult {
  code: number;
  description?: string;
  userIds?: string[];
}

export function status(code: number, description?: string, details: DetailedResult[] = []) {
  return node("Status", { code: String(code) }, [
    ...(description ? [node("StatusDescription", {}, [], description)] : []),
    ...details.map((d) =>
      node("DetailedResult", { code: String(d.code) }, [
        ...(d.description ? [node("StatusDescription", {}, [], d.description)] : []),
        ...(d.userIds ?? []).map((id) => node("UserID", { userID: id })),
      ])
    ),
  ]);
}

/** The code of a Status element (or of the Status child of a primitive). */
export function statusCode(element: XmlElement | undefined): number | undefined {
  const s = element?.name === "Status" ? element : child(element, "Status");
  const code = Number(s?.attrs.code?.trim());
  return Number.isInteger(code) && code >= 100 && code <= 999 ? code : undefined;
}

export function statusDescription(element: XmlElement | undefined): string | undefined {
  const s = element?.name === "Status" ? element : child(element, "Status");
  return textOf(child(s, "StatusDescription"));
}

/** Per-user failures of a Status (DetailedResult with UserIDs). */
export function detailedResults(element: XmlElement | undefined): DetailedResult[] {
  const s = element?.name === "Status" ? element : child(element, "Status");
  return children(s, "DetailedResult").map((d) => ({
    code: Number(d.attrs.code) || 0,
    description: textOf(child(d, "StatusDescription")),
    userIds: [...children(d, "UserID"), ...children(d, "User")]
      .map((u) => u.attrs.userID?.trim())
      .filter((u): u is string => !!u),
  }));
}

/** `MetaInfo` naming the requesting server, and the user when a client originated the request. */
export function metaInfo(domain: string, userId?: string): XmlElement {
  return node("MetaInfo", { clientOriginated: userId ? "Yes" : "No" }, [
    node(
      "Requestor",
      { serviceID: serviceId(domain) },
      userId ? [node("User", { userID: userId })] : [],
    ),
  ]);
}

export interface Requestor {
  domain?: string;
  userId?: string;
}

export function readMetaInfo(p: XmlElement): Requestor {
  const requestor = child(child(p, "MetaInfo"), "Requestor");
  return {
    domain: serviceDomain(requestor?.attrs.serviceID),
    userId: child(requestor, "User")?.attrs.userID?.trim(),
  };
}

/** User ids named by `User`/`UserID` children (attribute `userID`). */
export function userIds(element: XmlElement | undefined): string[] {
  return [...children(element, "User"), ...children(element, "UserID")]
    .map((u) => u.attrs.userID?.trim())
    .filter((u): u is string => !!u);
}

// ---- Instant messaging ------------------------------------------------------------------------

/** What any relayed message carries besides its addressing: the content and how it is described. */
export interface RelayedContent {
  messageId: string;
  contentType: string;
  /** The CSP ContentEncoding of the content itself; the SSP transfer encoding is base64. */
  contentEncoding: "None" | "BASE64";
  contentName?: string;
  sentAt: number;
  validity?: number;
  content: string;
}

export interface RelayedMessage extends RelayedContent {
  sender: string;
  recipients: string[];
  deliveryReport: boolean;
}

export function sendMessageRequest(domain: string, m: RelayedMessage): XmlElement {
  return node("SendMessageRequest", { deliveryReport: m.deliveryReport ? "Yes" : "No" }, [
    metaInfo(domain, m.sender),
    messageInfo(m, [
      node("Recipient", {}, m.recipients.map((id) => node("User", { userID: id }))),
      node("Sender", {}, [node("User", { userID: m.sender })]),
    ]),
    contentData(m),
  ]);
}

/** MessageInfo describing the content, around the given addressing (Recipient, Sender). */
export function messageInfo(m: RelayedContent, addressing: XmlElement[]): XmlElement {
  return node(
    "MessageInfo",
    {
      messageID: m.messageId,
      contentType: m.contentType,
      contentSize: String(utf8Length(m.content)),
      contentEncoding: m.contentEncoding === "BASE64" ? "BASE64" : undefined,
      contentName: m.contentName,
      validity: m.validity !== undefined ? String(m.validity) : undefined,
    },
    [...addressing, node("DateTime", { format: "iso8601" }, [], isoSeconds(m.sentAt))],
  );
}

/** The content itself, always base64 on the wire whatever its own encoding. */
export function contentData(m: RelayedContent): XmlElement {
  return node(
    "ContentData",
    { contentType: m.contentType, encoding: "base64" },
    [],
    utf8Base64(m.content),
  );
}

/** The message of a SendMessageRequest, or why it is unusable (a CSP status code and text). */
export function readSendMessageRequest(
  p: XmlElement,
): RelayedMessage | { code: number; description: string } {
  const info = child(p, "MessageInfo");
  const messageId = idAttr(info, "messageID", ID_LIMITS.message);
  if (!info || !messageId) {
    return { code: 400, description: "MessageInfo with a messageID is required" };
  }
  const recipients = userIds(child(info, "Recipient"));
  if (recipients.length === 0) return { code: 400, description: "Recipient names nobody" };
  const sender = userIds(child(info, "Sender"))[0] ?? readMetaInfo(p).userId;
  if (!sender) return { code: 400, description: "Sender missing" };
  const content = readRelayedContent(p, info, messageId);
  if ("code" in content) return content;
  return { ...content, sender, recipients, deliveryReport: yes(p.attrs.deliveryReport) };
}

/** The content of a message whose MessageInfo and messageID are already checked. */
export function readRelayedContent(
  p: XmlElement,
  info: XmlElement,
  messageId: string,
): RelayedContent | { code: number; description: string } {
  const data = child(p, "ContentData");
  let content = data?.text ?? "";
  if ((data?.attrs.encoding ?? "").toLowerCase() === "base64") {
    const decoded = base64Utf8(content);
    if (decoded === undefined) return { code: 402, description: "ContentData is not valid base64" };
    content = decoded;
  }
  const sentAt = Date.parse(textOf(child(info, "DateTime")) ?? "");
  return {
    messageId,
    contentType: (info.attrs.contentType ?? data?.attrs.contentType ?? "text/plain").trim(),
    contentEncoding: /^base64$/i.test(info.attrs.contentEncoding ?? "") ? "BASE64" : "None",
    contentName: info.attrs.contentName,
    // A peer's clock is not trusted beyond the moment the message arrives.
    sentAt: Number.isFinite(sentAt) ? Math.min(sentAt, Date.now()) : Date.now(),
    validity: seconds(info.attrs.validity),
    content,
  };
}

export function sendMessageResponse(messageId: string, statusElement: XmlElement): XmlElement {
  return node("SendMessageResponse", { messageID: messageId }, [statusElement]);
}

export interface DeliveryStatus {
  /** The message id as its sender's server issued it. */
  messageId: string;
  /** Who the report is for: the message's sender. */
  owner: string;
  /** The recipient the report is about. */
  recipient: string;
  code: number;
  at: number;
  contentType?: string;
}

export function deliveryStatusReport(domain: string, r: DeliveryStatus): XmlElement {
  return node("DeliveryStatusReport", {}, [
    metaInfo(domain, r.recipient),
    node("DeliveryResult", {}, [status(r.code)]),
    node("DeliveryTime", {}, [], isoSeconds(r.at)),
    node("MessageInfo", { messageID: r.messageId, contentType: r.contentType }, [
      node("Recipient", {}, [node("User", { userID: r.owner })]),
      node("Sender", {}, [node("User", { userID: r.recipient })]),
    ]),
  ]);
}

export function readDeliveryStatusReport(p: XmlElement): DeliveryStatus | undefined {
  const info = child(p, "MessageInfo");
  const messageId = idAttr(info, "messageID", ID_LIMITS.message);
  const owner = userIds(child(info, "Recipient"))[0];
  const recipient = userIds(child(info, "Sender"))[0] ?? readMetaInfo(p).userId;
  const code = statusCode(child(p, "DeliveryResult"));
  if (!messageId || !owner || !recipient || code === undefined) return undefined;
  const at = Date.parse(textOf(child(p, "DeliveryTime")) ?? "");
  return {
    messageId,
    owner,
    recipient,
    code,
    at: Number.isFinite(at) ? at : Date.now(),
    contentType: info!.attrs.contentType,
  };
}

// ---- Helpers ----------------------------------------------------------------------------------

function yes(value: string | undefined): boolean {
  return /^(yes|t|true)$/i.test(value?.trim() ?? "");
}

export function seconds(value: string | undefined): number | undefined {
  const n = Number(value?.trim());
  return value !== undefined && Number.isInteger(n) && n > 0 ? n : undefined;
}

export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function utf8Base64(text: string): string {
  let binary = "";
  for (const b of new TextEncoder().encode(text)) binary += String.fromCharCode(b);
  return btoa(binary);
}

export function base64Utf8(text: string): string | undefined {
  try {
    const bytes = Uint8Array.from(atob(text.replace(/\s+/g, "")), (c) => c.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
