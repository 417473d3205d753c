/**
 * Messages to groups, as IM (which stores and delivers them) and the group element (which knows
 * who may post and who receives) speak of them.
 */

/** A `Recipient/Group`: the whole group, or one member by screen name (a private message). */
export interface GroupRecipient {
  groupId: string;
  screenName?: string;
}

/** How a message to a group presents itself to its receivers (MessageInfo Recipient/Sender). */
export interface GroupAddressing {
  groupId: string;
  /** The sender's screen name in the group, shown instead of their UserID. */
  senderName: string;
  /** Set for a private message: the one member it is for. */
  recipientName?: string;
}

/** Who receives a group message: joined users, of this domain or others (never the sender). */
export interface GroupAudience {
  addressing: GroupAddressing;
  receivers: string[];
}

/** A group of another domain: its own server decides who receives. */
export interface RemoteGroup {
  groupId: string;
  domain: string;
}

/** Why a message may not be sent to a group (800 no such group, 808 not joined, …). */
export interface GroupRefusal {
  code: number;
  description?: string;
}
