/**
 * Network (implicit) presence: the server keeps OnlineStatus and UserAvailability in step with
 * the user's sessions — online and available from the first login, offline and not available
 * once the last session ends (logout, expiry, forced disconnect, or found after a crash), even
 * if the user published otherwise — and drops what a client published about itself
 * (ClientInfo, CommCap, …) when its session ends; the watchers are told, here and in other
 * domains. A new session also receives the authorisation requests still waiting for the user's
 * answer.
 */
import type { SessionRecord } from "../../store/sessions.ts";
import { obj } from "../../session/values.ts";
import {
  changedAttributes,
  clientKey,
  type PresenceAttributes,
  withoutClient,
} from "./attributes.ts";
import type { Mutation } from "../../store/kv.ts";
import { publishPresence } from "./publish.ts";
import type { Presence } from "./element.ts";
import { commitAll } from "./commit.ts";
import { forgetSubscriptions } from "./notification.ts";
import { askOwner } from "./presence_auth_request.ts";

const ONLINE: PresenceAttributes = {
  OnlineStatus: { Qualifier: true, PresenceValue: "T" },
  UserAvailability: { Qualifier: true, PresenceValue: "AVAILABLE" },
};
const OFFLINE: PresenceAttributes = {
  OnlineStatus: { Qualifier: true, PresenceValue: "F" },
  UserAvailability: { Qualifier: true, PresenceValue: "NOT_AVAILABLE" },
};

/** Online: some instance of OnlineStatus (one per client) says T and is valid. */
const isOnline = (presence: PresenceAttributes) =>
  [presence.OnlineStatus ?? []].flat().some((instance) => {
    const o = obj(instance);
    return o?.PresenceValue === "T" && o.Qualifier !== false;
  });

/** At login: online and available, unless another session of the user made it so already (and
 * may have chosen another availability since). */
function publishOnline(p: Presence, user: string): Promise<void> {
  return publishPresence(p, user, Object.keys(ONLINE), (current) => {
    if (isOnline(current) && current.UserAvailability !== undefined) return undefined;
    return { ...current, ...ONLINE };
  });
}

/**
 * When a session ends: what its client said about itself goes (unless another session of the
 * same client is still there); after the user's last session, every client-specific attribute
 * goes and the user is offline and not available, whatever the user published.
 */
function publishEnd(
  p: Presence,
  session: SessionRecord,
  others: readonly SessionRecord[],
): Promise<void> {
  const client = clientKey(session.clientId);
  // Another session of the same client keeps what it said; a session that named no client
  // cannot tell its instances from those of clients that named none either.
  const keep = others.length > 0 &&
    (session.clientId === undefined || others.some((s) => clientKey(s.clientId) === client));
  if (keep) return Promise.resolve();
  return publishPresence(p, session.userId, "diff", (current) => {
    const next = others.length > 0
      ? withoutClient(current, session.clientId)
      : { ...withoutClient(current, "all"), ...OFFLINE };
    return changedAttributes(current, next).length > 0 ? next : undefined;
  });
}

async function onSessionStart(p: Presence, session: SessionRecord): Promise<void> {
  await publishOnline(p, session.userId);
  const { server, repo } = p;
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
        ...await askOwner(p, session.userId, watcher, auth.attributes, session),
      );
    }
  }
  await commitAll(server.store, mutations);
}

async function onSessionEnd(p: Presence, session: SessionRecord): Promise<void> {
  const { server, repo } = p;
  await commitAll(server.store, [
    forgetSubscriptions(session.id),
    ...[...(await repo.watching(session.userId)).keys()].map((user) =>
      repo.removeListener(user, session.userId, session.id)
    ),
  ]);
  await publishEnd(p, session, await server.sessions.repo.listByUser(session.userId));
}

export function installNetworkPresence(p: Presence): void {
  p.server.sessions.onStart((session) => onSessionStart(p, session));
  p.server.sessions.onEnd((session) => onSessionEnd(p, session));
}
