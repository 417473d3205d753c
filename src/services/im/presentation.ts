/** How stored messages and reports look on the wire: MessageInfo, NewMessage, reports. */
import type { ElementObject, Primitive } from "../../codec/csp/message.ts";
import { describe } from "../../session/status.ts";
import type { StoredMessage, StoredReport } from "./storage.ts";
import type { GroupAddressing } from "../shared/group_messages.ts";

/** A stored message as the mailbox holds it; one sent to a group says how (group_delivery.ts). */
export type PresentedMessage = StoredMessage & { group?: GroupAddressing };

const userElement = (userId: string): ElementObject => ({ User: { UserID: userId } });

/** A group message names the group (or the one member's screen name) and the sender's screen
 * name in it, never UserIDs (as Baraza delivers them, fixture 050). */
function groupRecipient({ groupId, recipientName }: GroupAddressing): ElementObject {
  return recipientName === undefined
    ? { Group: { GroupID: groupId } }
    : { Group: { ScreenName: { SName: recipientName, GroupID: groupId } } };
}

const groupSender = ({ groupId, senderName }: GroupAddressing): ElementObject => ({
  Group: { ScreenName: { SName: senderName, GroupID: groupId } },
});

const OUTCOME_TEXT: Record<number, string> = {
  200: "Delivered",
  538: "Message has been rejected",
  541: "Message has been forwarded",
  542: "Message has expired",
};

/**
 * Writes the messages and reports IM sends. It keeps the last second it formatted: messages
 * sent together share it.
 */
export class Presenter {
  #second = NaN;
  #text = "";

  /** ISO 8601 basic UTC, the form every client parses (`20261121T153928Z`). */
  dateTime(ms: number): string {
    const second = Math.floor(ms / 1000);
    if (second !== this.#second) {
      this.#text = new Date(second * 1000).toISOString().replace(/[-:]/g, "")
        .replace(/\.\d{3}/, "");
      this.#second = second;
    }
    return this.#text;
  }

  messageInfo(message: PresentedMessage): ElementObject {
    const info: ElementObject = {
      MessageID: message.id,
      ContentType: message.contentType,
      ContentEncoding: message.encoding,
      ContentSize: message.size,
      Recipient: message.group ? groupRecipient(message.group) : userElement(message.recipient),
      Sender: message.group ? groupSender(message.group) : userElement(message.sender),
      DateTime: this.dateTime(message.sentAt),
    };
    if (message.contentName !== undefined) info.ContentName = message.contentName;
    if (message.font !== undefined) info.Font = message.font;
    if (message.validity !== undefined) info.Validity = message.validity;
    return info;
  }

  newMessage(message: PresentedMessage, content: string): Primitive {
    return {
      name: "NewMessage",
      body: { MessageInfo: this.messageInfo(message), ContentData: content },
    };
  }

  messageNotification(message: PresentedMessage): Primitive {
    return { name: "MessageNotification", body: { MessageInfo: this.messageInfo(message) } };
  }

  /** DeliveryReport-Request: MessageInfo describes the original message, sender to recipient. */
  deliveryReport(report: StoredReport): Primitive {
    const body: ElementObject = {
      Result: {
        Code: report.code,
        Description: OUTCOME_TEXT[report.code] ?? describe(report.code),
      },
      MessageInfo: {
        MessageID: report.messageId,
        ContentType: report.message.contentType,
        ContentSize: report.message.size,
        Recipient: userElement(report.recipient),
        Sender: userElement(report.owner),
        DateTime: this.dateTime(report.message.sentAt),
      },
    };
    if (report.code === 200) body.DeliveryTime = this.dateTime(report.at);
    return { name: "DeliveryReport-Request", body };
  }
}
