/**
 * CSP 1.3 Notification-Request about presence and contact lists (digest §2.3), and the types each
 * session chose to hear (SubscribeNotification / UnsubscribeNotification, 0A/08, 0A/09).
 *
 * Decided here (the digest lists the codes, not when they are sent; inferred):
 * - ANU, ANC (authorisation needed) and AC (authorisation changed, when the owner set a *Notify
 *   flag) replace what 1.1/1.2 always sent or what the owner asked for, so every 1.3 session
 *   gets them, subscribed or not.
 * - ATCL (someone added you to a contact list), CLCR / CLD / CLC (one of your lists was created,
 *   deleted or changed by another of your sessions) only reach sessions that subscribed to them:
 *   that is what SubscribeNotification is for, and a client that never asks is not troubled.
 * - AND (authorisation needed for the default list) is not sent: a missing default attribute
 *   list is the normal state, and each watcher is asked for on its own (ANU) instead.
 */
import type { ElementObject } from "../../codec/csp/message.ts";
import type { ServerContext } from "../../session/handler.ts";
import { ProtocolError } from "../../session/status.ts";
import { obj, strs } from "../../session/values.ts";
import { del, type Mutation, set } from "../../store/kv.ts";
import type { SessionRecord } from "../../store/sessions.ts";

/** The 1.3 NotificationType codes (digest §2.3). */
const NOTIFICATION_TYPES = new Set([
  "ANU",
  "ANC",
  "AND",
  "AC",
  "BLC",
  "BLUC",
  "GLC",
  "GLUC",
  "CLCR",
  "CLD",
  "CLC",
  "ATCL",
  "GC",
  "GD",
  "GR",
  "GMAU",
  "GMG",
  "GMR",
  "GMU",
  "IA",
  "IR",
  "IC",
  "OEU",
  "PPU",
  "SPA",
]);

/** Types a session hears only after subscribing to them. */
const ON_REQUEST = new Set(["ATCL", "CLCR", "CLD", "CLC"]);

const subscribedKey = (sessionId: string) => ["presence", "notify", sessionId];

/** The NotificationTypes a request lists: 400 without a list, 402 for an unknown type. */
export function requestedTypes(body: ElementObject): string[] {
  const list = obj(body.NotificationTypeList);
  if (!list) throw new ProtocolError(400, "NotificationTypeList missing");
  const types = strs(list.NotificationType).map((t) => t.trim().toUpperCase());
  for (const type of types) {
    if (!NOTIFICATION_TYPES.has(type)) {
      throw new ProtocolError(402, `Unknown NotificationType ${type}`);
    }
  }
  return types;
}

export async function subscribedTypes(server: ServerContext, sessionId: string): Promise<string[]> {
  return await server.store.get<string[]>(subscribedKey(sessionId)) ?? [];
}

export function setSubscribed(sessionId: string, types: string[]): Mutation {
  return types.length > 0 ? set(subscribedKey(sessionId), types) : del(subscribedKey(sessionId));
}

/** What goes when a session ends. */
export function forgetSubscriptions(sessionId: string): Mutation {
  return del(subscribedKey(sessionId));
}

/**
 * Mutations that queue a Notification-Request of `type` for the 1.3 sessions of `user` that
 * hear it (all but `except`, the session that caused it).
 */
export async function notifySessions(
  server: ServerContext,
  user: string,
  type: string,
  content: ElementObject,
  except?: string,
): Promise<Mutation[]> {
  const sessions = (await server.sessions.repo.listByUser(user)).filter((s) =>
    s.version === "1.3" && s.id !== except
  );
  const hearing: SessionRecord[] = [];
  for (const session of sessions) {
    if (!ON_REQUEST.has(type) || (await subscribedTypes(server, session.id)).includes(type)) {
      hearing.push(session);
    }
  }
  const primitive = { name: "Notification-Request", body: { NotificationType: type, ...content } };
  return await server.outbox.enqueueManyMutations(
    hearing.map((session) => ({ sessionId: session.id, entry: { primitive } })),
  );
}

/** ATCL to each user added to `owner`'s contact list (not to the owner). */
export async function addedToContactList(
  server: ServerContext,
  owner: string,
  added: readonly string[],
): Promise<Mutation[]> {
  const content = { UserIDList: { UserID: [owner] } };
  const notes = await Promise.all(
    added.filter((user) => user !== owner).map((user) =>
      notifySessions(server, user, "ATCL", content)
    ),
  );
  return notes.flat();
}

/** CLCR, CLD or CLC about one of the owner's lists, to the owner's other sessions. */
export function contactListChanged(
  server: ServerContext,
  session: SessionRecord,
  type: "CLCR" | "CLD" | "CLC",
  list: string,
): Promise<Mutation[]> {
  return notifySessions(
    server,
    session.userId,
    type,
    { ContactListIDList: { ContactList: [list] } },
    session.id,
  );
}
