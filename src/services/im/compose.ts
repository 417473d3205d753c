/**
 * Reading what a client sends to be delivered: the content with its MessageInfo (type,
 * encoding, validity, ...) and the Recipient element. Everything is checked here, so what is
 * stored is well-formed whatever arrived.
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { RequestContext } from "../../session/handler.ts";
import type { RateCharge } from "../../session/rates.ts";
import { ProtocolError } from "../../session/status.ts";
import { all, int, obj, str, strs, type Value } from "../../session/values.ts";
import { parseUserId } from "../shared/ids.ts";
import { utf8Length } from "../../util/utf8.ts";
import type { Config } from "../../config.ts";
import type { StoredMessage } from "./storage.ts";
import type { GroupRecipient } from "../shared/group_messages.ts";

/** A message as it will be stored for each recipient, before the recipient is set. */
export type Draft = Omit<StoredMessage, "recipient">;

const CONTENT_TYPE = /^[\w.+-]+\/[\w.+-]+(?:\s*;\s*[\w.+-]+=[\w.+"-]+)*$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** Longest validity honoured: a month; longer asks are shortened to it. */
const MAX_VALIDITY_S = 30 * 24 * 3600;

export interface Addressed {
  users: string[];
  groups: GroupRecipient[];
  contactLists: string[];
}

/** The content and its description; throws ProtocolError for what cannot be delivered. */
export function readContent(
  info: ElementObject,
  contentData: unknown,
  limits: Pick<Config, "maxMessageBytes">,
): Omit<Draft, "id" | "sender" | "sentAt" | "deliveryReport"> & { content: string } {
  const content = typeof contentData === "string"
    ? contentData
    : typeof contentData === "number"
    ? String(contentData)
    : contentData === undefined
    ? ""
    : undefined;
  if (content === undefined) throw new ProtocolError(400, "ContentData must be text");
  const sentBytes = utf8Length(content);
  if (sentBytes > limits.maxMessageBytes) {
    throw new ProtocolError(402, `ContentData is larger than ${limits.maxMessageBytes} bytes`);
  }

  const contentType = (str(info.ContentType) ?? "text/plain").trim();
  if (!CONTENT_TYPE.test(contentType) || contentType.length > 128) {
    throw new ProtocolError(415, "Unsupported ContentType");
  }
  const encodingText = (str(info.ContentEncoding) ?? "None").trim();
  let encoding: "None" | "BASE64";
  let size = sentBytes;
  if (/^none$/i.test(encodingText)) encoding = "None";
  else if (/^base64$/i.test(encodingText)) {
    encoding = "BASE64";
    const compact = content.replace(/\s+/g, "");
    if (compact.length % 4 !== 0 || !BASE64.test(compact)) {
      throw new ProtocolError(402, "ContentData is not valid BASE64");
    }
    size = compact.length / 4 * 3 - (compact.match(/=*$/)?.[0].length ?? 0);
  } else throw new ProtocolError(415, `Unsupported ContentEncoding ${encodingText.slice(0, 32)}`);

  let validity: number | undefined;
  if (info.Validity !== undefined) {
    validity = int(info.Validity);
    if (validity === undefined || validity === 0) {
      throw new ProtocolError(402, "Validity must be a positive number of seconds");
    }
    validity = Math.min(validity, MAX_VALIDITY_S);
  }
  const contentName = str(info.ContentName)?.trim().slice(0, 256);
  const font = obj(info.Font);
  return {
    contentType,
    encoding,
    size,
    content,
    ...(contentName ? { contentName } : {}),
    ...(font ? { font } : {}),
    ...(validity !== undefined ? { validity, expiresAt: Date.now() + validity * 1000 } : {}),
  };
}

/** Who a Recipient element names; a User without a UserID is a malformed request. */
export function readRecipients(recipient: ElementObject): Addressed {
  const users = all(recipient.User).map((u) => {
    const id = str(obj(u)?.UserID);
    if (id === undefined) throw new ProtocolError(400, "Recipient User without UserID");
    return id;
  });
  const groups = all(recipient.Group).map((g): GroupRecipient => {
    const group = obj(g);
    const screenName = obj(group?.ScreenName);
    const groupId = str(group?.GroupID) ?? str(screenName?.GroupID);
    if (groupId === undefined) throw new ProtocolError(400, "Recipient Group without GroupID");
    if (!screenName) return { groupId };
    const sName = str(screenName.SName);
    if (sName === undefined) throw new ProtocolError(400, "Recipient ScreenName without SName");
    return { groupId, screenName: sName };
  });
  return { users, groups, contactLists: strs(recipient.ContactList) };
}

/** How many recipients a Recipient element names (users, groups, contact lists), for the
 * recipients/min rate limit. */
export function recipientCount(recipient: Value): number {
  const r = obj(recipient);
  return r ? all(r.User).length + all(r.Group).length + all(r.ContactList).length : 0;
}

/** The rate-limit charges of a message to `recipient`: one message, each recipient. */
export function messageCharges(recipient: Value): RateCharge[] {
  return [{ kind: "messages", cost: 1 }, { kind: "recipients", cost: recipientCount(recipient) }];
}

/** A Sender element, when given, must name the caller: nobody sends in another's name. */
export function checkSender(ctx: RequestContext, sender: ElementObject | undefined): void {
  const claimed = str(obj(sender?.User)?.UserID);
  if (claimed === undefined) return;
  if (parseUserId(claimed, ctx.server.config.domain)?.id !== ctx.session!.userId) {
    throw new ProtocolError(402, "Sender is not the session's user");
  }
}
