/**
 * The instant messaging service element (CSP 1.1-1.3, digest §2.5 and the blocking part of
 * §2.3). A message answered 200 is in its recipients' mailboxes in KV; it leaves a mailbox only
 * when delivered (MessageDelivered), rejected, forwarded or expired, and a sender who asked for
 * a DeliveryReport learns which. Every new session picks up what its user has waiting. Users and
 * groups of other domains are reached through the SSP transport (`federation*.ts`).
 */
import type { ServerContext, ServiceElement } from "../../session/handler.ts";
import type { BlockRecord } from "../shared/privacy.ts";
import { blockEntityRequest } from "./block_entity.ts";
import { blockUserRequest } from "./block_user.ts";
import { BlockRepo } from "./blocking.ts";
import { pickUp, reportAck } from "./delivery.ts";
import { Im } from "./element.ts";
import { serveMessages } from "./federation.ts";
import { MailboxFeed } from "./feed.ts";
import { forwardMessageRequest } from "./forward_message.ts";
import { getBlockedListRequest } from "./get_blocked_list.ts";
import { getMessageRequest } from "./get_message.ts";
import { getMessageListRequest } from "./get_message_list.ts";
import type { ImHooks } from "./hooks.ts";
import { MailboxRepo } from "./mailbox.ts";
import { messageAck, messageDelivered } from "./message_delivered.ts";
import { type SystemNotices, systemNotices } from "./notices.ts";
import { rejectMessageRequest } from "./reject_message.ts";
import { sendMessageRequest } from "./send_message.ts";
import { setDeliveryMethodRequest } from "./set_delivery_method.ts";
import type { MailboxStorage } from "./storage.ts";
import { PENDING } from "./waiting_counts.ts";

export interface ImElement extends ServiceElement {
  readonly hooks: ImHooks;
  /** Each user's waiting messages and reports, as tests and operators' tools read them. */
  readonly mailbox: MailboxStorage;
  /** Each user's block and grant lists, which presence obeys too. */
  blockList(owner: string): Promise<BlockRecord>;
  /** Operator's notices as messages from the system user (the admin API). */
  readonly notices: SystemNotices;
}

/** The mailbox with its counters, the reports waiting for the user, the block list. */
const IM_USER_DATA = [
  "pending",
  "content",
  "count",
  "bytes",
  "count_from",
  "bytes_from",
  "report",
  "block",
  "gone",
];

export function createIm(server: ServerContext, hooks: ImHooks = {}): ImElement {
  const im = new Im(server, hooks, new MailboxRepo(server.store), new BlockRepo(server.store));
  const feed = new MailboxFeed(im);
  server.outbox.addFeed(feed);
  server.metrics.storeGauge(
    "imps_mailbox_messages",
    "Messages waiting in users' mailboxes (expired ones until they are dropped)",
    [],
    async () => [[{}, (await server.store.count(PENDING)).get("") ?? 0]],
  );
  server.sessions.onStart((session) => {
    feed.started(session.id);
    return pickUp(im, session);
  });
  server.sessions.onEnd((session) => {
    feed.ended(session.id);
    return im.mailbox.clearPrefs(session.id);
  });
  const federation = hooks.federation && serveMessages(im, hooks.federation);
  return {
    name: "im",
    modules: [
      sendMessageRequest(im),
      forwardMessageRequest(im),
      messageDelivered(im),
      setDeliveryMethodRequest(im),
      getMessageListRequest(im),
      getMessageRequest(im),
      rejectMessageRequest(im),
      getBlockedListRequest(im),
      blockEntityRequest(im),
      blockUserRequest(im),
    ],
    acks: [messageAck(im), reportAck(im)],
    hooks,
    mailbox: im.mailbox,
    blockList: (owner) => im.blocks.get(owner),
    notices: systemNotices(im),
    close: async () => await federation?.stop(),
    userData: (userId) =>
      Promise.resolve(IM_USER_DATA.map((kind) => ({ prefix: ["im", kind, userId] }))),
  };
}
