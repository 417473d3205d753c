/**
 * A notice from the operator to the users online now (all, or those named): maintenance, a
 * policy change. A user whose every session speaks CSP 1.3 gets a SystemMessage-Request in each
 * session (SystemMessageList with the text, no answer required); a user with an older session
 * gets the text as a message from the system user (IMPS_SYSTEM_USER) in their mailbox, which
 * every session of theirs is handed. Users offline at the time get nothing.
 */
import type { SessionRecord } from "../store/sessions.ts";
import type { SystemNotices } from "../services/im/notices.ts";
import type { ServerContext } from "../session/handler.ts";
import { sortableId } from "../util/ids.ts";
import { AdminError } from "./users.ts";

/** Longest notice, characters: it must fit a handset's screen and one KV value. */
export const MAX_NOTICE = 2000;

export interface NoticeReport {
  /** Users who got it as a SystemMessage-Request, and the sessions it went to. */
  systemMessages: number;
  sessions: number;
  /** Users who got it as a message from the system user. */
  messages: number;
}

export async function broadcast(
  server: ServerContext,
  text: string,
  users?: string[],
  notices?: SystemNotices,
): Promise<NoticeReport> {
  if (text.length > MAX_NOTICE) {
    throw new AdminError(400, `a notice has at most ${MAX_NOTICE} characters`);
  }
  const byUser = new Map<string, SessionRecord[]>();
  const sessions = users
    ? (await Promise.all(users.map((u) => server.sessions.list(u)))).flat()
    : await server.sessions.list();
  for (const s of sessions) {
    if (s.disconnect) continue;
    byUser.set(s.userId, [...byUser.get(s.userId) ?? [], s]);
  }
  const report: NoticeReport = { systemMessages: 0, sessions: 0, messages: 0 };
  const id = sortableId();
  for (const [user, own] of byUser) {
    if (own.every((s) => s.version === "1.3") || !notices) {
      for (const s of own) {
        await server.outbox.enqueue(s.id, { primitive: systemMessage(id, text) });
        report.sessions++;
      }
      report.systemMessages++;
    } else {
      await notices.send(user, text);
      report.messages++;
    }
  }
  return report;
}

function systemMessage(id: string, text: string) {
  return {
    name: "SystemMessage-Request",
    body: {
      SystemMessageList: {
        SystemMessage: {
          SystemMessageID: id,
          RequiresResponse: false,
          SystemMessageText: text,
        },
      },
    },
  };
}
