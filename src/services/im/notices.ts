/**
 * Notices from the operator to users whose clients have no SystemMessage (CSP 1.1 and 1.2): a
 * plain message from the system user (IMPS_SYSTEM_USER) in the user's mailbox, handed to every
 * session of theirs like any other. Offered to the admin API as `server.hooks.systemNotices`.
 */
import type { ServerContext } from "../../session/server_context.ts";
import { sortableId } from "../../util/ids.ts";
import { utf8Length } from "../../util/utf8.ts";
import { mailboxOf } from "./delivery.ts";

export interface SystemNotices {
  /** Puts `text` in `recipient`'s mailbox as a message from the system user. */
  send(recipient: string, text: string): Promise<void>;
}

declare module "../../session/server_context.ts" {
  interface ServiceHooks {
    systemNotices?: SystemNotices;
  }
}

export function systemNotices(server: ServerContext): SystemNotices {
  return {
    async send(recipient, text) {
      await server.store.write(
        ...mailboxOf(server).storeMutations({
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
