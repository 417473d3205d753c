/**
 * What the invite element keeps, declared for its primitives: each inviter's open invitations,
 * each invitee's waiting ones, and the answers and cancellations waiting for a session to take
 * them. `repo.ts` keeps it in Deno KV, each record expiring with its invitation.
 */
import type { ElementObject, Primitive } from "../../codec/csp/message.ts";
import type { Mutation } from "../../store/kv.ts";

export type InviteType = "GR" | "IM" | "PR" | "SC";

/** What the inviter sent, as every invitee sees it. */
export interface Invitation {
  inviteId: string;
  type: InviteType;
  inviter: string;
  groupId?: string;
  presenceSubList?: ElementObject;
  urls?: string[];
  note?: string;
  screenName?: ElementObject;
  createdAt: number;
  expiresAt: number;
}

export interface SentInvitation extends Invitation {
  /** Local invitees who have not answered, and whom a cancellation still reaches. */
  pending: string[];
}

export interface ReceivedInvitation extends Invitation {
  invitee: string;
  /** A session of the invitee acknowledged the InviteUser-Request: not handed out again. */
  delivered: boolean;
}

export interface Notice {
  seq: string;
  user: string;
  primitive: Primitive;
  expiresAt: number;
}

/** Invitations, as the element's primitives use them. */
export interface InviteStorage {
  sent(inviter: string, id: string, now?: number): Promise<SentInvitation | undefined>;

  /** Writes the inviter's record, or removes it once nobody is left to answer. */
  putSent(record: SentInvitation, now?: number): Mutation;

  /** The invitee's invitations under `id` (from any inviter), expired ones included. */
  received(invitee: string, id: string): Promise<ReceivedInvitation[]>;

  receivedFrom(
    invitee: string,
    id: string,
    inviter: string,
  ): Promise<ReceivedInvitation | undefined>;

  inbox(invitee: string): Promise<ReceivedInvitation[]>;

  /** Whether the invitee has fewer than `max` invitations waiting (IMPS_INVITATIONS_PER_USER). */
  hasRoom(invitee: string, max: number, now?: number): Promise<boolean>;

  putReceived(record: ReceivedInvitation, now?: number): Mutation;

  deleteReceived(record: ReceivedInvitation): Mutation;

  newNotice(user: string, primitive: Primitive, expiresAt: number): Notice;

  putNotice(notice: Notice, now?: number): Mutation;

  notices(user: string, now?: number): Promise<Notice[]>;

  deleteNotice(user: string, seq: string): Mutation;
}
