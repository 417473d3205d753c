/**
 * The instant messaging service element (CSP 1.1-1.3, digest §2.5 and the blocking part of
 * §2.3). A message answered 200 is in its recipients' mailboxes in KV; it leaves a mailbox only
 * when delivered (MessageDelivered), rejected, forwarded or expired, and a sender who asked for
 * a DeliveryReport learns which. Every new session picks up what its user has waiting.
 */
import type { AckModule, PrimitiveModule } from "../../session/handler.ts";
import type { ServerContext } from "../../session/server_context.ts";
import type { ServiceElement } from "../mod.ts";
import { messageAck, messageDelivered, reportAck } from "./acknowledge.ts";
import { blockEntityRequest, blockUserRequest, getBlockedListRequest } from "./block_list.ts";
import { mailboxOf, pickUp } from "./delivery.ts";
import { MailboxFeed } from "./feed.ts";
import { forwardMessageRequest } from "./forward_message.ts";
import { getMessageListRequest, getMessageRequest } from "./get_message.ts";
import { systemNotices } from "./notices.ts";
import { PENDING } from "./waiting_counts.ts";
import { rejectMessageRequest } from "./reject_message.ts";
import { sendMessageRequest } from "./send_message.ts";
import { setDeliveryMethodRequest } from "./set_delivery_method.ts";

const modules: PrimitiveModule[] = [
  sendMessageRequest,
  forwardMessageRequest,
  messageDelivered,
  setDeliveryMethodRequest,
  getMessageListRequest,
  getMessageRequest,
  rejectMessageRequest,
  getBlockedListRequest,
  blockEntityRequest,
  blockUserRequest,
];

const acks: AckModule[] = [messageAck, reportAck];

function install(server: ServerContext): void {
  const feed = new MailboxFeed(server);
  server.outbox.addFeed(feed);
  server.hooks.systemNotices = systemNotices(server);
  server.metrics.storeGauge(
    "imps_mailbox_messages",
    "Messages waiting in users' mailboxes (expired ones until they are dropped)",
    [],
    async () => [[{}, (await server.store.count(PENDING)).get("") ?? 0]],
  );
  server.sessions.onStart((session) => {
    feed.started(session.id);
    return pickUp(server, session);
  });
  server.sessions.onEnd((session) => {
    feed.ended(session.id);
    return mailboxOf(server).clearPrefs(session.id);
  });
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

export const imElement: ServiceElement = {
  name: "im",
  modules,
  acks,
  install,
  userData: (_store, userId) =>
    Promise.resolve(IM_USER_DATA.map((kind) => ({ prefix: ["im", kind, userId] }))),
};
