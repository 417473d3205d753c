/** Search-shaped XML for the conversations, written by hand as a client would send it. */
import assert from "node:assert/strict";
import type { GroupDirectory, GroupSearchCriterion } from "../../src/services/group/directory.ts";
import type { Harness } from "../support/harness.ts";
import type { CspClient, Reply } from "../support/harness.ts";
import { at, items, nodes } from "../support/body_reader.ts";

export const PA = `xmlns="http://www.openmobilealliance.org/DTD/WV-PA1.2"`;

export const publishAlias = (alias: string) =>
  `<UpdatePresence-Request><PresenceSubList ${PA}><Alias><Qualifier>T</Qualifier>` +
  `<PresenceValue>${alias}</PresenceValue></Alias></PresenceSubList></UpdatePresence-Request>`;

export const publishVCard = (vcard: string) =>
  `<UpdatePresence-Request><PresenceSubList ${PA}><ContactInfo><Qualifier>T</Qualifier>` +
  `<ContainedvCard>${vcard}</ContainedvCard></ContactInfo></PresenceSubList>` +
  `</UpdatePresence-Request>`;

/** A Search-Request with one SearchPairList per criterion (the 1.1/1.2 form). */
export function searchXml(criteria: [string, string][], limit?: number): string {
  const pairs = criteria.map(([element, value]) =>
    `<SearchPairList><SearchElement>${element}</SearchElement>` +
    `<SearchString>${value}</SearchString></SearchPairList>`
  ).join("");
  const limitXml = limit === undefined ? "" : `<SearchLimit>${limit}</SearchLimit>`;
  return `<Search-Request>${pairs}${limitXml}</Search-Request>`;
}

export const continueXml = (searchId: unknown, index: number) =>
  `<Search-Request><SearchID>${searchId}</SearchID><SearchIndex>${index}</SearchIndex>` +
  `</Search-Request>`;

export const stopXml = (searchId: unknown) =>
  `<StopSearch-Request><SearchID>${searchId}</SearchID></StopSearch-Request>`;

/** The user ids (or group ids) a Search-Response carries. */
export function found(reply: Reply): string[] {
  assert.equal(reply.primitive.name, "Search-Response", reply.text);
  const users = at(reply.body, "SearchResult", "UserList", "User");
  if (users) return nodes(users).map((u) => String(u.UserID));
  return items(reply.body, "SearchResult", "GroupList", "GroupID").map(String);
}

export async function search(
  client: CspClient,
  criteria: [string, string][],
  limit?: number,
): Promise<Reply> {
  return await client.send(searchXml(criteria, limit));
}

export async function publish(client: CspClient, xml: string): Promise<void> {
  const reply = await client.send(xml);
  assert.equal(reply.code, 200, reply.text);
}

/** Accounts written straight into the store, with an alias indexed through the presence hook
 * (password hashing would make hundreds of real accounts slow to create). */
export async function bulkUsers(h: Harness, names: string[], alias: (i: number) => string) {
  const ctx = h.server.context;
  for (let i = 0; i < names.length; i += 200) {
    const batch = names.slice(i, i + 200);
    const mutations = [];
    for (const [j, name] of batch.entries()) {
      const id = `wv:${name}@${ctx.config.domain}`;
      mutations.push({ type: "set" as const, key: ["user", id], value: { id, createdAt: 0 } });
      mutations.push(
        ...await h.server.elements.search.indexPresence(id, {
          Alias: { Qualifier: true, PresenceValue: alias(i + j) },
        }),
      );
    }
    await ctx.store.write(...mutations);
  }
}

/** A group directory standing in for the group element: searchable groups by name. */
export function fakeGroupDirectory(groups: Record<string, { name: string; members: string[] }>) {
  const asked: GroupSearchCriterion[][] = [];
  const directory: GroupDirectory = {
    search(criteria, limit) {
      asked.push([...criteria]);
      const hits = Object.entries(groups).filter(([id, g]) =>
        criteria.every((c) =>
          c.key === "GROUP_NAME"
            ? g.name.toLowerCase().includes(c.value.toLowerCase())
            : c.key === "GROUP_ID"
            ? id === c.value
            : false
        )
      ).map(([id]) => id).sort();
      return Promise.resolve(hits.slice(0, limit));
    },
    checkInviter: (groupId, userId) =>
      Promise.resolve(
        !groups[groupId] ? 800 : groups[groupId].members.includes(userId) ? undefined : 816,
      ),
    isMember: (groupId, userId) =>
      Promise.resolve(groups[groupId]?.members.includes(userId) ?? false),
    admitInvitee(groupId, userId) {
      groups[groupId]?.members.push(userId);
      return Promise.resolve();
    },
  };
  return { directory, asked };
}
