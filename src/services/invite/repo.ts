/**
 * Invitations in KV, all under `["invite", ...]`. InviteIDs are chosen by inviters, so an
 * invitation is known by inviter and InviteID together:
 *
 * - `sent, inviter, inviteId` → the inviter's side: who has not answered yet (for CancelInvite
 *   and to refuse a second invitation under a live InviteID)
 * - `inbox, invitee, inviteId, inviter` → an invitation waiting for the invitee's answer
 * - `notice, user, seq` → an Invite-Response or CancelInviteUser-Request waiting for one of the
 *   user's sessions to acknowledge it (the user may be offline when it is sent)
 *
 * Every record expires with its invitation (KV `expireIn`, checked on read as well, since KV
 * drops expired entries only eventually).
 */
import type { Primitive } from "../../codec/csp/message.ts";
import { del, type Mutation, type Store } from "../../store/kv.ts";
import { sortableId } from "../../util/ids.ts";
import type { InviteStorage, Notice, ReceivedInvitation, SentInvitation } from "./storage.ts";

const sentKey = (inviter: string, id: string) => ["invite", "sent", inviter, id];
const inboxKey = (invitee: string, id: string, inviter: string) => [
  "invite",
  "inbox",
  invitee,
  id,
  inviter,
];
const noticeKey = (user: string, seq: string) => ["invite", "notice", user, seq];

const live = <T extends { expiresAt: number }>(record: T | undefined, now: number) =>
  record && record.expiresAt > now ? record : undefined;

/** A KV set that lasts as long as the record is valid (at least a second). */
const setUntil = (key: Deno.KvKey, value: { expiresAt: number }, now: number): Mutation => ({
  type: "set",
  key,
  value,
  expireIn: Math.max(1000, value.expiresAt - now),
});

/** The storage of `storage.ts` over Deno KV. */
export class InviteRepo implements InviteStorage {
  constructor(private readonly store: Store) {}

  async sent(inviter: string, id: string, now = Date.now()): Promise<SentInvitation | undefined> {
    return live(await this.store.get<SentInvitation>(sentKey(inviter, id)), now);
  }

  putSent(record: SentInvitation, now = Date.now()): Mutation {
    return record.pending.length > 0
      ? setUntil(sentKey(record.inviter, record.inviteId), record, now)
      : del(sentKey(record.inviter, record.inviteId));
  }

  async received(invitee: string, id: string): Promise<ReceivedInvitation[]> {
    return (await this.store.list<ReceivedInvitation>(["invite", "inbox", invitee, id]))
      .map((e) => e.value);
  }

  async receivedFrom(
    invitee: string,
    id: string,
    inviter: string,
  ): Promise<ReceivedInvitation | undefined> {
    return await this.store.get<ReceivedInvitation>(inboxKey(invitee, id, inviter));
  }

  async inbox(invitee: string): Promise<ReceivedInvitation[]> {
    return (await this.store.list<ReceivedInvitation>(["invite", "inbox", invitee]))
      .map((e) => e.value);
  }

  async hasRoom(invitee: string, max: number, now = Date.now()): Promise<boolean> {
    const waiting = await this.store.list<ReceivedInvitation>(["invite", "inbox", invitee], {
      limit: max,
    });
    return waiting.filter((e) => e.value.expiresAt > now).length < max;
  }

  putReceived(record: ReceivedInvitation, now = Date.now()): Mutation {
    return setUntil(inboxKey(record.invitee, record.inviteId, record.inviter), record, now);
  }

  deleteReceived(record: ReceivedInvitation): Mutation {
    return del(inboxKey(record.invitee, record.inviteId, record.inviter));
  }

  newNotice(user: string, primitive: Primitive, expiresAt: number): Notice {
    return { seq: sortableId(), user, primitive, expiresAt };
  }

  putNotice(notice: Notice, now = Date.now()): Mutation {
    return setUntil(noticeKey(notice.user, notice.seq), notice, now);
  }

  async notices(user: string, now = Date.now()): Promise<Notice[]> {
    return (await this.store.list<Notice>(["invite", "notice", user]))
      .map((e) => e.value).filter((n) => n.expiresAt > now);
  }

  deleteNotice(user: string, seq: string): Mutation {
    return del(noticeKey(user, seq));
  }
}
