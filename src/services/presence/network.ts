/**
 * Network (implicit) presence: the server keeps OnlineStatus and UserAvailability in step with
 * the user's sessions — online and available from the first login, offline and not available
 * once the last session ends (logout, expiry, forced disconnect) — and tells the watchers. A new
 * session also receives the authorisation requests still waiting for the user's answer.
 */
import type { ServerContext } from "../../session/server_context.ts";
import type { SessionRecord } from "../../store/sessions.ts";
import type { PresenceAttributes } from "./attributes.ts";
import type { Mutation } from "../../store/kv.ts";
import { forgetSubscriptions } from "./notifications.ts";
import { askOwner, commitAll } from "./notify.ts";
import { publishPresence } from "./publish.ts";
import { PresenceRepo } from "./repo.ts";

const ONLINE: PresenceAttributes = {
  OnlineStatus: { Qualifier: true, PresenceValue: "T" },
  UserAvailability: { Qualifier: true, PresenceValue: "AVAILABLE" },
};
const OFFLINE: PresenceAttributes = {
  OnlineStatus: { Qualifier: true, PresenceValue: "F" },
  UserAvailability: { Qualifier: true, PresenceValue: "NOT_AVAILABLE" },
};

const isOnline = (presence: PresenceAttributes) => {
  const status = presence.OnlineStatus;
  return !Array.isArray(status) && typeof status === "object" && status.PresenceValue === "T";
};

function publish(server: ServerContext, user: string, online: boolean): Promise<void> {
  return publishPresence(server, user, Object.keys(ONLINE), (current) => {
    if (isOnline(current) === online && current.UserAvailability !== undefined) return undefined;
    return { ...current, ...(online ? ONLINE : OFFLINE) };
  });
}

async function onSessionStart(server: ServerContext, session: SessionRecord): Promise<void> {
  await publish(server, session.userId, true);
  const repo = new PresenceRepo(server.store);
  // The new session hears about everyone the user watches, and is asked what is still waiting.
  const mutations: Mutation[] = [];
  for (const [user, attributes] of await repo.watching(session.userId)) {
    mutations.push(
      repo.setListener(user, {
        watcher: session.userId,
        session: session.id,
        record: { attributes },
      }),
    );
  }
  for (const [watcher, auth] of await repo.auths(session.userId)) {
    if (auth.state === "pending") {
      mutations.push(
        ...await askOwner(server, repo, session.userId, watcher, auth.attributes, session),
      );
    }
  }
  await commitAll(server.store, mutations);
}

async function onSessionEnd(server: ServerContext, session: SessionRecord): Promise<void> {
  const repo = new PresenceRepo(server.store);
  await commitAll(server.store, [
    forgetSubscriptions(session.id),
    ...[...(await repo.watching(session.userId)).keys()].map((user) =>
      repo.removeListener(user, session.userId, session.id)
    ),
  ]);
  if (await server.sessions.repo.hasSessions(session.userId)) return;
  await publish(server, session.userId, false);
}

export function installNetworkPresence(server: ServerContext): void {
  server.sessions.onStart((session) => onSessionStart(server, session));
  server.sessions.onEnd((session) => onSessionEnd(server, session));
}
