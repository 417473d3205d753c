/**
 * Notices from the operator to users whose clients have no SystemMessage (CSP 1.1 and 1.2): a
 * plain message from the system user (IMPS_SYSTEM_USER) in the user's mailbox, handed to every
 * session of theirs like any other. Offered to the admin API by the element (`notices`).
 */
import { sortableId } from "../../util/ids.ts";
import { utf8Length } from "../../util/utf8.ts";
import type { Im } from "./element.ts";

export interface SystemNotices {
  /** Puts `text` in `recipient`'s mailbox as a message from the system user. */
  send(recipient: string, text: string): Promise<void>;
}

export function systemNotices(im: Im): SystemNotices {
  const { server } = im;
  return {
    async send(recipient, text) {
      await server.store.write(
        ...im.mailbox.storeMutations({
          id: sortableId(),
          sender: server.config.systemUser,
          recipient,
          contentType: "text/plain",
          encoding: "None",
          size: utf8Length(text),
          sentAt: Date.now(),
          deliveryReport: false,
          content: text,
        }),
      );
      server.metrics.message("accepted");
    },
  };
}
